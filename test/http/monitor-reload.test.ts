/**
 * The monitor's HTTP surface across reloads (http/monitor-extension.ts through service/compose-monitor.ts,
 * scripted links, real sockets on loopback): nutguard.conf is loaded once per reload and handed over;
 * unchanged settings keep the surface and its event-stream clients, a changed address or authentication
 * takes effect, and a refused setting or a failed bind keeps the previous surface, logged with file:line.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { monitorHttpExtension } from "../../src/http/monitor-extension.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import type { MonitorHandle } from "../../src/monitor/monitor-handle.js";
import { composeMonitor } from "../../src/service/compose-monitor.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { openStream, request } from "../helpers/nutguard-exporter.js";
import { ScriptedLink } from "../helpers/scripted-link.js";

const OL: PollResult = {
  kind: "status",
  status: "OL",
  vars: { "ups.status": "OL", "battery.charge": "100" },
};
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function monitorWith(nutguardConf: string) {
  const dir = mkdtempSync(join(tmpdir(), "nutguard-http-reload-"));
  const upsmon = join(dir, "upsmon.conf");
  const ng = join(dir, "nutguard.conf");
  writeFileSync(upsmon, "MONITOR u@h 1 m p primary\nPOLLFREQ 1\nPOLLFREQALERT 1\n");
  const write = (text: string) => writeFileSync(ng, `[history]\n  dir = ${dir}\n${text}`);
  write(nutguardConf);
  const log = createMemoryLogger();
  const ext = await monitorHttpExtension({ confPath: ng, http: [], serving: true }, {});
  const handle: MonitorHandle = composeMonitor({
    config: parseUpsmonConf("MONITOR u@h 1 m p primary\nPOLLFREQ 1\nPOLLFREQALERT 1\n", upsmon).config,
    configPath: upsmon,
    host: { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} },
    log,
    notifier: null,
    createLink: (entry) => new ScriptedLink(entry, [OL]),
    extensions: [ext],
  });
  cleanups.push(async () => {
    handle.stop();
    await handle.done;
  });
  /** The URL of the n-th "listening on" line of the log. */
  const listening = (n: number) =>
    until(`listening line ${n}`, () => {
      const lines = log.lines.filter((l) => l.message.startsWith("http: listening on "));
      return lines[n]?.message.slice("http: listening on ".length);
    });
  const reload = async (text: string) => {
    write(text);
    const before = log.lines.length;
    await handle.reload();
    // the surface applies the load in the background; the reload event comes first
    await new Promise((r) => setTimeout(r, 300));
    return log.lines.slice(before).map((l) => l.message);
  };
  return { log, handle, listening, reload, ng };
}

const refused = (url: string) =>
  new Promise<string>((resolve) => {
    http
      .get(url, (res) => resolve(`HTTP ${res.statusCode}`))
      .on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? ""));
  });

describe("the monitor's HTTP surface on reload", () => {
  it("unchanged settings: the same surface goes on serving, event-stream clients stay connected", async () => {
    const m = await monitorWith("[http]\n  listen = 127.0.0.1:0\n");
    const url = await m.listening(0);
    const stream = openStream(`${url}api/v1/events/stream`);
    cleanups.push(() => stream.close());
    await until("a round on the stream", () => stream.events.find((e) => e.event === "round"));
    const logged = await m.reload("[http]\n  listen = 127.0.0.1:0\n");
    expect(logged.filter((l) => l.startsWith("http:"))).toEqual([]);
    const reloadEvent = await until("the reload event on the same stream", () =>
      stream.events.find((e) => e.event === "reload"),
    );
    expect(reloadEvent.data).toMatchObject({ kind: "reload", ok: true });
    expect((await request(`${url}metrics`)).status).toBe(200);
  });

  it("a changed address: the new one serves, the old one is closed", async () => {
    const m = await monitorWith("[http]\n  listen = 127.0.0.1:0\n");
    const old = await m.listening(0);
    await m.reload("[http]\n  listen = 127.0.0.2:0\n");
    const now = await m.listening(1);
    expect(now).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/$/);
    expect((await request(`${now}api/v1/ups`)).status).toBe(200);
    expect(await refused(`${old}metrics`)).toBe("ECONNREFUSED");
  });

  it("changed authentication takes effect at once", async () => {
    const m = await monitorWith("[http]\n  listen = 127.0.0.1:0\n");
    const url = await m.listening(0);
    const stream = openStream(`${url}api/v1/events/stream`);
    cleanups.push(() => stream.close());
    await until("the stream", () => stream.status() === 200);
    const logged = await m.reload("[http]\n  listen = 127.0.0.1:0\n  token = s3cret\n");
    expect(logged).toContain("http: authentication settings changed");
    expect((await request(`${url}metrics`)).status).toBe(401);
    expect((await request(`${url}metrics`, { headers: { authorization: "Bearer s3cret" } })).status).toBe(
      200,
    );
  });

  it("a refused setting keeps the previous surface, logged with file:line", async () => {
    const m = await monitorWith("[http]\n  listen = 127.0.0.1:0\n");
    const url = await m.listening(0);
    const logged = await m.reload("[http]\n  listen = 0.0.0.0:0\n  listen = nonsense\n");
    expect(logged).toContain(
      `http: ${m.ng}:5: listen: "nonsense" has no port (ADDR:PORT) (keeping the previous settings)`,
    );
    const open = await m.reload("[http]\n  listen = 0.0.0.0:0\n");
    expect(open.find((l) => l.startsWith("http: refusing to listen on 0.0.0.0:0"))).toContain(
      "(keeping the previous settings)",
    );
    expect((await request(`${url}metrics`)).status).toBe(200);
  });

  it("an address that cannot be bound keeps the previous surface, logged with file:line", async () => {
    const taken = http.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as { port: number }).port;
    const m = await monitorWith("[http]\n  listen = 127.0.0.1:0\n");
    const url = await m.listening(0);
    const logged = await m.reload(`[http]\n  listen = 127.0.0.1:0\n  listen = 127.0.0.1:${port}\n`);
    expect(logged).toContain(
      `http: ${m.ng}:5: cannot listen on 127.0.0.1:${port}: EADDRINUSE (keeping the previous settings)`,
    );
    expect((await request(`${url}metrics`)).status).toBe(200);
  });

  it("[http] gaining a listen line starts the surface; losing it stops it", async () => {
    const m = await monitorWith("");
    await new Promise((r) => setTimeout(r, 300));
    expect(m.log.lines.some((l) => l.message.startsWith("http: listening"))).toBe(false);
    await m.reload("[http]\n  listen = 127.0.0.1:0\n");
    const url = await m.listening(0);
    expect((await request(`${url}metrics`)).status).toBe(200);
    const logged = await m.reload("");
    expect(logged).toContain(`http: no longer serving (no "listen" in [http] of ${m.ng})`);
    expect(await refused(`${url}metrics`)).toBe("ECONNREFUSED");
  });
});
