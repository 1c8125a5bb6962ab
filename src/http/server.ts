/**
 * The HTTP surface's I/O shell: node:http (or https with tls_cert/tls_key) servers on the configured
 * addresses, authentication, read-only routing, and the event stream. Everything it serves is
 * rendered from the view's snapshot and the history store: a request never talks to upsd and never
 * changes anything (any method but GET and HEAD gets 405).
 *
 * Slow clients: request/header timeouts, an idle timeout, a cap on connections and on event-stream
 * clients, and a bound on each stream's unsent data (sse.ts). Nothing here is awaited by the poll loop.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LastDrillRead } from "../drill/last-drill.js";
import type { HistoryStore } from "../history/store.js";
import type { MonitorEvent } from "../monitor/events.js";
import type { Logger } from "../util/log.js";
import { eventJson, findUps, upsJson, upsListJson } from "./api.js";
import { authorizer, type Credentials, challenge } from "./auth.js";
import type { ListenAddress } from "./http-conf.js";
import { Listeners, type TlsFiles } from "./listeners.js";
import { APP_CSS, APP_JS } from "./page-assets.js";
import { RenderCache } from "./render-cache.js";
import { SseHub, type SseMessage } from "./sse.js";
import type { ObservedView } from "./view.js";

/** What a reload may change. */
export interface SurfaceSettings {
  listen: readonly ListenAddress[];
  credentials: Credentials;
  tls?: TlsFiles | undefined;
}

export interface HttpSurfaceOptions extends SurfaceSettings {
  view: ObservedView;
  history: HistoryStore;
  log: Logger;
  now?: () => number;
  /** Readings are sampled for the charts this often (and at every status change). Default 60 s. */
  sampleEveryMs?: number;
  maxStreamClients?: number;
  maxConnections?: number;
  /** The last `nutguard drill`'s result (read at each request; undefined: none). */
  lastDrill?: () => LastDrillRead | undefined;
}

export interface HttpSurface {
  /** Where it listens (port resolved when 0 was asked). */
  readonly addresses: { host: string; port: number }[];
  /** The event-stream hub (for tests and figures: clients, dropped). */
  readonly streams: SseHub;
  /**
   * Apply reloaded settings (listeners.ts says what happens to each server). Changed credentials
   * disconnect the event-stream clients (they reconnect and must authenticate again). Throws, with
   * the previous settings still serving, when a TLS file cannot be read or an address cannot be
   * bound. Returns whether anything changed.
   */
  reconfigure(next: SurfaceSettings): Promise<boolean>;
  close(): Promise<void>;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Which events the history keeps: every one but poll rounds that changed nothing. */
function roundKey(e: MonitorEvent): string | undefined {
  if (e.kind !== "round") return undefined;
  return JSON.stringify([e.critical, e.healthyPowerValue, e.minSupplies, e.shutdown]);
}

export async function startHttpSurface(o: HttpSurfaceOptions): Promise<HttpSurface> {
  const now = o.now ?? Date.now;
  const { view, history } = o;
  const hub = new SseHub(o.maxStreamClients ?? 100);
  let credentials = o.credentials;
  let authorized = authorizer(credentials);
  let lastRound: string | undefined;
  const renders = new RenderCache(view, history, o.lastDrill);
  const sample = () => {
    history.sample(view.snapshot());
    renders.changed();
  };

  const unsubscribe = view.subscribe((event) => {
    renders.changed();
    const key = roundKey(event);
    const stored = key === undefined || key !== lastRound;
    if (key !== undefined) lastRound = key;
    const id = stored ? history.record(event) : undefined;
    if (event.kind === "status") sample();
    hub.publish({ id, event: event.kind, data: eventJson(event, id ?? 0) });
  });
  const sampler = setInterval(sample, o.sampleEveryMs ?? 60_000);
  sampler.unref();

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    text: string | Buffer | readonly Buffer[],
    head: boolean,
  ) => {
    // encoded once (a rendered page is one long rope of small strings)
    const parts =
      typeof text === "string" ? [Buffer.from(text, "utf8")] : Buffer.isBuffer(text) ? [text] : text;
    res.writeHead(status, {
      "content-type": type,
      "content-length": parts.reduce((n, b) => n + b.length, 0),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": CSP,
      "referrer-policy": "no-referrer",
    });
    if (!head) for (let i = 0; i < parts.length - 1; i++) res.write(parts[i]);
    res.end(head ? undefined : parts[parts.length - 1]);
  };
  const json = (res: ServerResponse, status: number, value: unknown, head: boolean) =>
    send(res, status, "application/json; charset=utf-8", `${JSON.stringify(value, null, 1)}\n`, head);
  const text = (res: ServerResponse, status: number, body: string, head: boolean) =>
    send(res, status, "text/plain; charset=utf-8", `${body}\n`, head);

  const openStream = (req: IncomingMessage, res: ServerResponse, head: boolean): void => {
    if (head) send(res, 200, "text/event-stream; charset=utf-8", "", true);
    else if (hub.full) text(res, 503, "503 Service Unavailable: too many event-stream clients", false);
    else {
      // a reconnecting client catches up on what it missed
      const lastId = Number(req.headers["last-event-id"]) || 0;
      const backlog: SseMessage[] = history
        .recentEvents(1000, lastId)
        .filter(() => lastId > 0)
        .map((e) => ({ id: e.id, event: e.event.kind, data: eventJson(e.event, e.id) }));
      req.socket.setTimeout(0);
      hub.add(res, backlog);
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!authorized(req.headers.authorization)) {
      res.setHeader("www-authenticate", challenge(credentials));
      text(
        res,
        401,
        "401 Unauthorized: this nutguard needs credentials (see [http] in nutguard.conf)",
        false,
      );
      return;
    }
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      text(res, 405, "405 Method Not Allowed: this interface is read-only", method === "HEAD");
      return;
    }
    const head = method === "HEAD";
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const t = now();
    if (path === "/" || path === "/index.html") {
      send(res, 200, "text/html; charset=utf-8", renders.html("page", t), head);
    } else if (path === "/live") {
      send(res, 200, "text/html; charset=utf-8", renders.html("live", t), head);
    } else if (path === "/app.css") {
      send(res, 200, "text/css; charset=utf-8", APP_CSS, head);
    } else if (path === "/app.js") {
      send(res, 200, "text/javascript; charset=utf-8", APP_JS, head);
    } else if (path === "/metrics") {
      send(res, 200, "text/plain; version=0.0.4; charset=utf-8", renders.metrics(t), head);
    } else if (path === "/api/v1/ups") {
      json(res, 200, upsListJson(view.snapshot(), view.source, t), head);
    } else if (path.startsWith("/api/v1/ups/")) {
      const s = view.snapshot();
      const name = decodeURIComponent(path.slice("/api/v1/ups/".length));
      const u = findUps(s, name);
      if (u) json(res, 200, upsJson(u, s, view.source, t), head);
      else json(res, 404, { error: `no UPS named "${name}"` }, head);
    } else if (path === "/api/v1/events") {
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit")) || 100));
      const after = Number(url.searchParams.get("after")) || 0;
      const events = history.recentEvents(limit, after).map((e) => eventJson(e.event, e.id));
      json(res, 200, { events }, head);
    } else if (path === "/api/v1/drill") {
      const d = o.lastDrill?.();
      json(
        res,
        200,
        d === undefined || "record" in d
          ? { lastDrill: d?.record ?? null }
          : { lastDrill: null, error: d.error },
        head,
      );
    } else if (path === "/api/v1/events/stream") {
      openStream(req, res, head);
    } else {
      text(res, 404, "404 Not Found", head);
    }
  };

  const safeHandle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handle(req, res);
    } catch (err) {
      o.log.error(`http: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) text(res, 500, "500 Internal Server Error", false);
      else res.destroy();
    }
  };

  const listeners = new Listeners(safeHandle, o.log, o.maxConnections ?? 256);
  const closeAll = async () => {
    clearInterval(sampler);
    unsubscribe();
    hub.close();
    await listeners.close();
  };
  try {
    await listeners.start(o.listen, o.tls);
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    get addresses() {
      return listeners.addresses;
    },
    streams: hub,
    reconfigure: async (next) => {
      const changed = await listeners.reconfigure(next.listen, next.tls);
      if (sameCredentials(credentials, next.credentials)) return changed;
      // who was let in before is not necessarily let in now: open streams must authenticate again
      credentials = next.credentials;
      authorized = authorizer(credentials);
      hub.disconnectAll();
      o.log.info("http: authentication settings changed");
      return true;
    },
    close: closeAll,
  };
}

function sameCredentials(a: Credentials, b: Credentials): boolean {
  return a.token === b.token && a.user === b.user && a.password === b.password;
}
