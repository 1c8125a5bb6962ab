/**
 * The HTTP surface in-process (startHttpSurface with a scripted view): authentication, read-only
 * routing, TLS, the event stream's replay and its bound on slow readers.
 */
import https from "node:https";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HistoryStore } from "../../src/history/store.js";
import { parseListen } from "../../src/http/http-conf.js";
import { type HttpSurface, type HttpSurfaceOptions, startHttpSurface } from "../../src/http/server.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { openStream, request } from "../helpers/nutguard-exporter.js";
import { makeTestPki } from "../helpers/tls-certs.js";
import { ups } from "./fixtures.js";
import { ScriptedView } from "./scripted-view.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function surface(
  o: Partial<HttpSurfaceOptions> = {},
): Promise<{ s: HttpSurface; url: string; view: ScriptedView }> {
  const view = (o.view as ScriptedView | undefined) ?? new ScriptedView();
  const history =
    o.history ?? new HistoryStore({ dir: "/nonexistent", hours: 24 }, createMemoryLogger(), Date.now, false);
  const l = parseListen("127.0.0.1:0");
  if ("error" in l) throw new Error(l.error);
  const s = await startHttpSurface({
    view,
    history,
    listen: [l],
    credentials: {},
    log: createMemoryLogger(),
    ...o,
  });
  cleanups.push(() => s.close());
  const a = s.addresses[0]!;
  return { s, url: `${o.tls ? "https" : "http"}://127.0.0.1:${a.port}/`, view };
}

const ROUTES = ["", "live", "app.js", "app.css", "metrics", "api/v1/ups", "api/v1/ups/ups1", "api/v1/events"];

describe("authentication", () => {
  it("without credentials configured, every route answers (loopback only)", async () => {
    const { url } = await surface();
    for (const r of ROUTES) expect([r, (await request(url + r)).status]).toEqual([r, 200]);
  });

  it("with a token, a request without it (or with a wrong one) gets 401 on every route", async () => {
    const { url } = await surface({ credentials: { token: "s3cret" } });
    for (const r of [...ROUTES, "api/v1/events/stream", "nosuch"]) {
      const res = await request(url + r);
      expect([r, res.status]).toEqual([r, 401]);
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="nutguard"');
      expect(res.body).not.toContain("ups1");
      expect((await request(url + r, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    }
    const ok = await request(`${url}metrics`, { headers: { authorization: "Bearer s3cret" } });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain("nut_ups_up");
  });

  it("with user and password, HTTP Basic", async () => {
    const { url } = await surface({ credentials: { user: "prom", password: "pa:ss" } });
    const res = await request(`${url}api/v1/ups`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("Basic");
    const basic = (u: string) => ({ authorization: `Basic ${Buffer.from(u).toString("base64")}` });
    expect((await request(`${url}api/v1/ups`, { headers: basic("prom:wrong") })).status).toBe(401);
    expect((await request(`${url}api/v1/ups`, { headers: basic("prom:pa:ss") })).status).toBe(200);
  });
});

describe("read-only", () => {
  it("every method but GET and HEAD gets 405 and changes nothing", async () => {
    const { url, view } = await surface();
    const before = JSON.stringify(view.snapshot());
    for (const r of ROUTES) {
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
        const res = await request(url + r, { method });
        expect([r, method, res.status, res.headers.allow]).toEqual([r, method, 405, "GET, HEAD"]);
      }
    }
    expect(JSON.stringify(view.snapshot())).toBe(before);
  });
});

describe("TLS", () => {
  it("serves https with tls_cert/tls_key", async () => {
    const pki = await makeTestPki();
    cleanups.push(() => pki.remove());
    const { url } = await surface({ tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } });
    const { readFileSync } = await import("node:fs");
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${url}metrics`, { ca: readFileSync(pki.caFile) }, (res) => {
          let b = "";
          res.on("data", (d) => (b += d));
          res.on("end", () => resolve(b));
        })
        .on("error", reject);
    });
    expect(body).toContain("nut_ups_up");
  });
});

describe("event stream", () => {
  it("sends each event with its id; a reconnecting client catches up from Last-Event-ID", async () => {
    const { url, view } = await surface();
    const a = openStream(`${url}api/v1/events/stream`);
    cleanups.push(async () => a.close());
    await waitFor(() => a.status() === 200);
    const status = (cur: string[]) =>
      view.emit({
        kind: "status",
        timeMs: Date.now(),
        ups: "ups1@127.0.0.1:3493",
        previous: [],
        current: cur,
        charge: 50,
        runtime: 60,
      });
    status(["OL"]);
    status(["OB"]);
    await waitFor(() => a.events.length === 2);
    expect(a.events.map((e) => [e.id, e.event])).toEqual([
      ["1", "status"],
      ["2", "status"],
    ]);
    status(["OB", "LB"]);
    const b = openStream(`${url}api/v1/events/stream`, { "last-event-id": "1" });
    cleanups.push(async () => b.close());
    await waitFor(() => b.events.length === 2).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify([a.events, b.events, b.status()])}`);
    });
    expect(b.events.map((e) => (e.data as { current: string[] }).current)).toEqual([["OB"], ["OB", "LB"]]);
  });

  it("poll rounds that change nothing reach the stream but not the history", async () => {
    const { url, view } = await surface();
    const T = Date.now();
    const stream = openStream(`${url}api/v1/events/stream`);
    cleanups.push(async () => stream.close());
    await waitFor(() => stream.status() === 200);
    const round = {
      kind: "round",
      timeMs: T,
      critical: [],
      healthyPowerValue: 1,
      minSupplies: 1,
      shutdown: false,
    } as const;
    view.emit(round);
    view.emit({ ...round, timeMs: T + 1 });
    view.emit({ ...round, timeMs: T + 2, healthyPowerValue: 0 });
    const events = JSON.parse((await request(`${url}api/v1/events`)).body).events;
    expect(events.map((e: { timeMs: number }) => e.timeMs)).toEqual([T, T + 2]);
    await waitFor(() => stream.events.length === 3);
    expect(stream.events.map((e) => e.id)).toEqual(["1", undefined, "2"]);
  });

  it("a client that does not read is cut off once its unsent data passes the bound; the others go on", async () => {
    const { url, view, s } = await surface();
    const reader = openStream(`${url}api/v1/events/stream`);
    cleanups.push(async () => reader.close());
    // a client that sends the request and then never reads a byte
    const port = new URL(url).port;
    const stalled = net.connect(Number(port), "127.0.0.1");
    stalled.write("GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n");
    stalled.pause();
    cleanups.push(async () => void stalled.destroy());
    await waitFor(() => s.streams.size === 2);
    // loopback's socket buffers take a few MB before anything waits in the process
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 2000 && s.streams.dropped === 0; i++) {
      view.emit({ kind: "reload", timeMs: i, ok: false, error: big });
      await new Promise((r) => setImmediate(r));
    }
    expect(s.streams.dropped).toBe(1);
    expect(s.streams.size).toBe(1);
    await waitFor(() => reader.events.length > 0);
  });

  it("refuses clients past the limit with 503", async () => {
    const { url } = await surface({ maxStreamClients: 2 });
    const a = openStream(`${url}api/v1/events/stream`);
    const b = openStream(`${url}api/v1/events/stream`);
    cleanups.push(async () => {
      a.close();
      b.close();
    });
    await waitFor(() => a.status() === 200 && b.status() === 200);
    expect((await request(`${url}api/v1/events/stream`)).status).toBe(503);
  });
});

describe("routes", () => {
  it("a UPS by its full name or its unique upsd name; 404 otherwise", async () => {
    const view = new ScriptedView("exporter");
    view.current = { ...view.current, ups: [ups(), ups({ system: "ups1@10.0.0.9:3493", host: "10.0.0.9" })] };
    const { url } = await surface({ view });
    expect(
      JSON.parse((await request(`${url}api/v1/ups/${encodeURIComponent("ups1@10.0.0.9:3493")}`)).body).host,
    ).toBe("10.0.0.9");
    const ambiguous = await request(`${url}api/v1/ups/ups1`);
    expect(ambiguous.status).toBe(404);
    expect(JSON.parse(ambiguous.body).error).toBe('no UPS named "ups1"');
  });

  it("the page and its assets are same-origin only (Content-Security-Policy)", async () => {
    const { url } = await surface();
    const page = await request(url);
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.body).toContain('src="app.js"');
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("reconfigure (a reload's [http])", () => {
  /** The SHA-256 of the certificate an https server presents, AB:CD:... */
  const presented = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const req = https.get(
        { host: "127.0.0.1", port, path: "/metrics", rejectUnauthorized: false, agent: false },
        (res) => {
          resolve((res.socket as import("node:tls").TLSSocket).getPeerCertificate().fingerprint256);
          res.resume();
        },
      );
      req.on("error", reject);
    });

  it("HTTP to HTTPS on the same address, a renewed certificate, and an unreadable one that changes nothing", async () => {
    const [a, b] = [await makeTestPki(), await makeTestPki()];
    cleanups.push(() => a.remove());
    cleanups.push(() => b.remove());
    const { s, url } = await surface();
    expect((await request(`${url}metrics`)).status).toBe(200);
    const listen = parseListen("127.0.0.1:0");
    if ("error" in listen) throw new Error(listen.error);
    const tlsA = { certFile: a.serverCertFile, keyFile: a.serverKeyFile };
    expect(await s.reconfigure({ listen: [listen], credentials: {}, tls: tlsA })).toBe(true);
    const port = s.addresses[0]!.port;
    expect(await presented(port)).toBe(a.serverSha256);
    // same address, new files: the running server presents the new certificate
    const tlsB = { certFile: b.serverCertFile, keyFile: b.serverKeyFile };
    expect(await s.reconfigure({ listen: [listen], credentials: {}, tls: tlsB })).toBe(true);
    expect(s.addresses[0]!.port).toBe(port);
    expect(await presented(port)).toBe(b.serverSha256);
    expect(await s.reconfigure({ listen: [listen], credentials: {}, tls: tlsB })).toBe(false);
    await expect(
      s.reconfigure({ listen: [listen], credentials: {}, tls: { ...tlsB, certFile: "/nonexistent.pem" } }),
    ).rejects.toThrow("Can't open /nonexistent.pem: No such file or directory");
    expect(await presented(port)).toBe(b.serverSha256);
  });
});
