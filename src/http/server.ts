/**
 * The HTTP surface's I/O shell: node:http (or https with tls_cert/tls_key) servers on the configured
 * addresses, authentication, read-only routing, and the event stream. Everything it serves is
 * rendered from the view's snapshot and the history store: a request never talks to upsd and never
 * changes anything (any method but GET and HEAD gets 405).
 *
 * Slow clients: request/header timeouts, an idle timeout, a cap on connections and on event-stream
 * clients, and a bound on each stream's unsent data (sse.ts). Nothing here is awaited by the poll loop.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { LastDrillRead } from "../drill/last-drill.js";
import type { HistoryStore } from "../history/store.js";
import type { MonitorEvent } from "../monitor/events.js";
import type { Logger } from "../util/log.js";
import { NUTGUARD_VERSION } from "../util/version.js";
import { eventJson, findUps, upsJson, upsListJson } from "./api.js";
import { authorizer, type Credentials, challenge } from "./auth.js";
import type { ListenAddress } from "./http-conf.js";
import { renderMetricsBytes } from "./metrics.js";
import { renderLive, renderPage } from "./page.js";
import { APP_CSS, APP_JS } from "./page-assets.js";
import { SseHub, type SseMessage } from "./sse.js";
import type { ObservedView } from "./view.js";

export interface HttpSurfaceOptions {
  view: ObservedView;
  history: HistoryStore;
  listen: readonly ListenAddress[];
  credentials: Credentials;
  tls?: { certFile: string; keyFile: string } | undefined;
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
  const authorized = authorizer(o.credentials);
  let lastRound: string | undefined;

  const unsubscribe = view.subscribe((event) => {
    const key = roundKey(event);
    const stored = key === undefined || key !== lastRound;
    if (key !== undefined) lastRound = key;
    const id = stored ? history.record(event) : undefined;
    if (event.kind === "status") history.sample(view.snapshot());
    hub.publish({ id, event: event.kind, data: eventJson(event, id ?? 0) });
  });
  const sampler = setInterval(() => history.sample(view.snapshot()), o.sampleEveryMs ?? 60_000);
  sampler.unref();

  const pageInput = () => {
    const t = now();
    return {
      snapshot: view.snapshot(),
      source: view.source,
      nowMs: t,
      events: history.recentEvents(20),
      series: (ups: string) => history.series(ups, t - history.hours * 3600_000),
      hours: history.hours,
      version: NUTGUARD_VERSION,
      lastDrill: o.lastDrill?.(),
    };
  };

  const send = (res: ServerResponse, status: number, type: string, text: string | Buffer, head: boolean) => {
    // encoded once (a rendered page is one long rope of small strings)
    const body = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    res.writeHead(status, {
      "content-type": type,
      "content-length": body.length,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": CSP,
      "referrer-policy": "no-referrer",
    });
    res.end(head ? undefined : body);
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
      res.setHeader("www-authenticate", challenge(o.credentials));
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
      send(res, 200, "text/html; charset=utf-8", renderPage(pageInput()), head);
    } else if (path === "/live") {
      send(res, 200, "text/html; charset=utf-8", renderLive(pageInput()), head);
    } else if (path === "/app.css") {
      send(res, 200, "text/css; charset=utf-8", APP_CSS, head);
    } else if (path === "/app.js") {
      send(res, 200, "text/javascript; charset=utf-8", APP_JS, head);
    } else if (path === "/metrics") {
      const body = renderMetricsBytes({
        snapshot: view.snapshot(),
        source: view.source,
        nowMs: t,
        version: NUTGUARD_VERSION,
      });
      send(res, 200, "text/plain; version=0.0.4; charset=utf-8", body, head);
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

  const tlsOptions = o.tls
    ? { cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) }
    : undefined;
  const servers: Server[] = [];
  const addresses: { host: string; port: number }[] = [];
  const closeAll = async () => {
    clearInterval(sampler);
    unsubscribe();
    hub.close();
    await Promise.all(
      servers.map(
        (srv) =>
          new Promise<void>((resolve) => {
            srv.close(() => resolve());
            srv.closeAllConnections();
          }),
      ),
    );
  };
  try {
    for (const l of o.listen) {
      const srv: Server = tlsOptions ? createTlsServer(tlsOptions, safeHandle) : createServer(safeHandle);
      srv.requestTimeout = 10_000;
      srv.headersTimeout = 5_000;
      srv.keepAliveTimeout = 5_000;
      srv.timeout = 30_000;
      srv.maxHeadersCount = 50;
      srv.maxConnections = o.maxConnections ?? 256;
      srv.on("clientError", (_err, socket) => socket.destroy());
      await new Promise<void>((resolve, reject) => {
        srv.once("error", (err: NodeJS.ErrnoException) =>
          reject(new Error(`cannot listen on ${l.text}: ${err.code ?? err.message}`)),
        );
        srv.listen(l.port, l.host, () => resolve());
      });
      servers.push(srv);
      const a = srv.address() as AddressInfo;
      addresses.push({ host: a.address, port: a.port });
      o.log.info(
        `http: listening on ${tlsOptions ? "https" : "http"}://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/`,
      );
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { addresses, streams: hub, close: closeAll };
}
