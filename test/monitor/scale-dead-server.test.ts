/**
 * The monitor at scale (issue 16): 100 UPSes, 90 of them on nine in-process `nutguard server`s and
 * 10 on a dead server (it accepts connections and never answers a byte), then a power failure on a
 * healthy UPS. The monitor runs with its real NUT links (default timeouts) on a virtual clock
 * (test/helpers/virtual-clock.ts); the test asserts the sequence of events, never a duration:
 * the dead server's UPSes are reported (COMMBAD, then NOCOMM: upsmon's rules for a UPS never
 * reached), no healthy UPS is, the power failure is noticed and the host is shut down, and the
 * monitor never holds more than one connection per UPS to the dead server (reconnects do not pile up).
 */
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/index.js";
import { parseUpsmonConf, type UpsmonConfig } from "../../src/config/upsmon-conf.js";
import type { NotifyType } from "../../src/config/upsmon-notify-types.js";
import { Notifier } from "../../src/monitor/actions.js";
import { startMonitor } from "../../src/monitor/daemon.js";
import { createNutLink } from "../../src/monitor/ups-link-nut.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { createMemoryLogger, type Logger } from "../../src/util/log.js";
import { DEFAULT_USERS, type NutDeviceSpec } from "../helpers/nut-stack.js";
import { recordingHost } from "../helpers/recording-host.js";
import { VirtualClock } from "../helpers/virtual-clock.js";
import { writeConfDir } from "../server/server-fixture.js";

const HEALTHY_SERVERS = 9;
const UPS_PER_SERVER = 10;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server that accepts every connection and never answers; counts connections, open and in all. */
async function deadServer() {
  const sockets = new Set<net.Socket>();
  const stats = { accepted: 0, open: 0, maxOpen: 0, bytesReceived: 0 };
  const server = net.createServer((sock) => {
    stats.accepted++;
    sockets.add(sock);
    stats.open = sockets.size;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    sock.on("data", (d) => {
      stats.bytesReceived += d.length;
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      sockets.delete(sock);
      stats.open = sockets.size;
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port, stats };
}

async function healthyServer(index: number): Promise<{ port: number; server: RunningServer }> {
  const dir = await mkdtemp(join(tmpdir(), "nutguard-scale-"));
  const devices: Record<string, NutDeviceSpec> = {};
  for (let u = 0; u < UPS_PER_SERVER; u++) {
    devices[`ups${index}x${u}`] = { dev: "ups.status: OL\nbattery.charge: 100\n" };
  }
  await writeConfDir(dir, devices);
  const server = await startServer({
    confPath: dir,
    log: createMemoryLogger(),
    listen: [{ host: "127.0.0.1", port: 0 }],
  });
  cleanups.push(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { port: server.addresses[0]!.port, server };
}

class RecordingNotifier extends Notifier {
  readonly seen: string[] = [];
  constructor(config: UpsmonConfig, log: Logger) {
    super({ config, log });
  }
  override deliver(type: NotifyType, ups: string | undefined): void {
    this.seen.push(`${type}${ups ? ` ${ups}` : ""}`);
  }
  override wall(): void {}
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setStatus(port: number, ups: string, status: string): Promise<void> {
  const c = await NutClient.connect({ host: "127.0.0.1", port });
  try {
    await c.username(DEFAULT_USERS.admin.user);
    await c.password(DEFAULT_USERS.admin.pass);
    await c.setVar(ups, "ups.status", status);
  } finally {
    await c.close();
  }
}

describe("monitor at scale: 100 UPSes, a dead server, a power failure", () => {
  it("shuts the host down for a healthy UPS's power failure while a dead server's UPSes are reported COMMBAD/NOCOMM", async () => {
    const healthy = await Promise.all(Array.from({ length: HEALTHY_SERVERS }, (_, i) => healthyServer(i)));
    const dead = await deadServer();
    const healthySystems = healthy.flatMap((h, i) =>
      Array.from({ length: UPS_PER_SERVER }, (_, u) => `ups${i}x${u}@127.0.0.1:${h.port}`),
    );
    const deadSystems = Array.from({ length: UPS_PER_SERVER }, (_, u) => `dead${u}@127.0.0.1:${dead.port}`);
    // the dead server's UPSes come first in the file: a monitor that polls in order would stall on them
    const systems = [...deadSystems, ...healthySystems];
    expect(systems).toHaveLength(100);
    const { user, pass } = DEFAULT_USERS.secondary;
    // every UPS feeds this host (MINSUPPLIES 100): one critical UPS means too little power
    const conf = [
      ...systems.map((s) => `MONITOR ${s} 1 ${user} ${pass} secondary`),
      "MINSUPPLIES 100",
      "POLLFREQ 5",
      "POLLFREQALERT 5",
      "DEADTIME 15",
      "HOSTSYNC 1",
      "FINALDELAY 0",
      "NOCOMMWARNTIME 300",
    ].join("\n");
    const parsed = parseUpsmonConf(conf, "upsmon.conf");
    if (parsed.fatal) throw new Error(parsed.fatal);
    const config = parsed.config;
    const clock = new VirtualClock(1_800_000_000_000, 20);
    const log = createMemoryLogger();
    const notifier = new RecordingNotifier(config, log);
    const { host, shutdowns } = recordingHost(clock.now);
    const handle = startMonitor({
      config,
      log,
      notifier,
      host,
      clock: clock.clock,
      // the links keep upsmon's timeouts (connect 10 s, request 5 s), on real time
      createLink: (entry) => createNutLink(entry, config, log),
    });
    cleanups.push(async () => {
      await handle.stop();
      clock.dispose();
    });

    // each dead UPS is reported: COMMBAD at its first failed poll, NOCOMM at the next (never reached)
    const reported = (type: string) => deadSystems.filter((s) => notifier.seen.includes(`${type} ${s}`));
    await until(() => reported("NOCOMM").length === deadSystems.length, "NOCOMM for every dead UPS");
    expect(reported("COMMBAD")).toEqual(deadSystems);
    expect(shutdowns).toEqual([]);

    // the power failure on a healthy UPS, on the last healthy server
    const failing = healthySystems.at(-1)!;
    await setStatus(healthy.at(-1)!.port, failing.split("@")[0]!, "OB LB");
    await until(() => shutdowns.length > 0, "the shutdown");
    expect(await handle.done).toEqual({ reason: "shutdown", exitCode: 0 });

    const seen = notifier.seen;
    for (const s of deadSystems) {
      // COMMBAD before NOCOMM, each once (NOCOMMWARNTIME 300 s has not passed again)
      expect(seen.filter((e) => e.endsWith(` ${s}`))).toEqual([`COMMBAD ${s}`, `NOCOMM ${s}`]);
    }
    // no healthy UPS was ever reported lost; the failing one went on battery, low, then the shutdown
    expect(
      seen.filter((e) => /^(COMMBAD|NOCOMM) /.test(e) && healthySystems.includes(e.split(" ")[1]!)),
    ).toEqual([]);
    const after = seen.slice(seen.indexOf(`ONBATT ${failing}`));
    expect(after).toEqual([`ONBATT ${failing}`, `LOWBATT ${failing}`, "SHUTDOWN"]);
    expect(log.lines.some((l) => l.message.includes("Too few UPS(es) are healthy (99<100)"))).toBe(true);
    // at most one connection per dead UPS at any time: reconnects replace, never pile up
    expect(dead.stats.maxOpen).toBeLessThanOrEqual(deadSystems.length);
    expect(dead.stats.accepted).toBeGreaterThanOrEqual(deadSystems.length);
  }, 120_000);
});
