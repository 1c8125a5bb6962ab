/**
 * The polls of one server's UPSes share one connection (monitor/poll-carriers.ts): the registry's rule
 * as a table, then a composed monitor (real NUT links) against scripted upsd servers, what each of
 * their connections received: every UPS logged in on its own connection, each round's GETs of all of a
 * server's UPSes in one write on one of them, another carrier when that one drops, keep-alives on the
 * idle ones.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import type { NotifyType } from "../../src/config/upsmon-notify-types.js";
import { Notifier } from "../../src/monitor/actions.js";
import type { MonitorEvent } from "../../src/monitor/events.js";
import { type PollCarrierMember, PollCarriers } from "../../src/monitor/poll-carriers.js";
import { composeMonitor } from "../../src/service/compose-monitor.js";
import { createMemoryLogger } from "../../src/util/log.js";
import {
  type FakeAction,
  type FakeConnection,
  type FakeServer,
  startFakeServer,
} from "../helpers/fake-server.js";

describe("PollCarriers: which member's connection carries a poll", () => {
  const member = (server: string, up: boolean) => ({
    server,
    up,
    canCarry() {
      return this.up;
    },
  });
  it.each<[string, boolean[], number, number]>([
    // [case, which members can carry, the asking member, the carrier]
    ["the first member carries for all", [true, true, true], 2, 0],
    ["the first member asks: itself", [true, true, true], 0, 0],
    ["the first is down: the second carries for the third", [false, true, true], 2, 1],
    [
      "the first is down and asks: itself (it polls only once its own connection is back)",
      [false, true, true],
      0,
      0,
    ],
    ["none before the asker can carry: itself", [false, false, true], 2, 2],
  ])("%s", (_name, up, asker, carrier) => {
    const carriers = new PollCarriers<ReturnType<typeof member>>();
    const members = up.map((u) => member("h:3493", u));
    for (const m of members) carriers.join(m);
    expect(members.indexOf(carriers.carrierFor(members[asker]!))).toBe(carrier);
  });

  it("members of other servers never carry; a member that left carries no more", () => {
    const carriers = new PollCarriers<PollCarrierMember>();
    const a = member("h:3493", true);
    const b = member("h:3494", true);
    const c = member("h:3493", true);
    for (const m of [a, b, c]) carriers.join(m);
    expect(carriers.carrierFor(b)).toBe(b);
    expect(carriers.carrierFor(c)).toBe(a);
    carriers.leave(a);
    expect(carriers.carrierFor(c)).toBe(c);
    // c is the first of its server now: it carries for a member that joins after it
    const d = member("h:3493", true);
    carriers.join(d);
    expect(carriers.carrierFor(d)).toBe(c);
  });
});

/** upsd-like; every connection recorded in the order it sent its first line. */
function upsd(status: Record<string, string>) {
  const connections: FakeConnection[] = [];
  const onLine = (line: string, conn: FakeConnection): FakeAction => {
    if (!connections.includes(conn)) connections.push(conn);
    const w = line.split(" ");
    if (["USERNAME", "PASSWORD", "LOGIN"].includes(w[0]!)) return "OK\n";
    if (w[0] === "GET" && w[1] === "VAR") {
      if (w[3] === "ups.status" && status[w[2]!] !== undefined)
        return `VAR ${w[2]} ups.status "${status[w[2]!]}"\n`;
      return status[w[2]!] === undefined ? "ERR UNKNOWN-UPS\n" : "ERR VAR-NOT-SUPPORTED\n";
    }
    if (w[0] === "GET" && w[1] === "NUMLOGINS") return `NUMLOGINS ${w[2]} 1\n`;
    if (w[0] === "VER") return "Network UPS Tools upsd 2.8.0\n";
    if (w[0] === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
    return "ERR UNKNOWN-COMMAND\n";
  };
  return { connections, onLine };
}

class RecordingNotifier extends Notifier {
  readonly seen: string[] = [];
  override deliver(type: NotifyType, ups?: string): void {
    this.seen.push(`${type} ${ups ?? ""}`.trim());
  }
  override wall(): void {}
}

const servers: FakeServer[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const s of servers.splice(0)) await s.close();
});

async function serverWith(status: Record<string, string>) {
  const u = upsd(status);
  const server = await startFakeServer({ onLine: u.onLine });
  servers.push(server);
  return { server, connections: u.connections };
}

/** A composed monitor on `monitors` (MONITOR lines); resolves `rounds()` as the rounds go by. */
function monitor(monitors: string[], linkOptions = {}, pollFreq = 0) {
  const text = `${monitors.map((m) => `MONITOR ${m} 1 u p secondary`).join("\n")}\nPOLLFREQ ${pollFreq}\nPOLLFREQALERT 0\nDEADTIME 30\n`;
  const config = parseUpsmonConf(text, "upsmon.conf").config;
  const log = createMemoryLogger();
  const notifier = new RecordingNotifier({ config, log });
  let rounds = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const listener = (e: MonitorEvent) => {
    if (e.kind !== "round") return;
    rounds++;
    for (const w of waiters.filter((w) => w.n <= rounds)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const handle = composeMonitor({
    config,
    host: { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} },
    log,
    notifier,
    minIntervalMs: 20,
    listeners: [listener],
    linkOptions,
  });
  stops.push(() => handle.stop());
  /** Resolves after `n` more rounds. */
  const after = (n: number) => new Promise<void>((resolve) => waiters.push({ n: rounds + n, resolve }));
  return { handle, notifier, log, after };
}

const getsOf = (c: FakeConnection) => c.lines.filter((l) => l.startsWith("GET"));

describe("a composed monitor's polls, per connection", () => {
  it("each UPS logs in on its own connection; each round's GETs of one server's UPSes go out together on one", async () => {
    const one = await serverWith({ a: "OL", b: "OL", c: "OB" });
    const two = await serverWith({ d: "OL" });
    const m = monitor([
      `a@127.0.0.1:${one.server.port}`,
      `b@127.0.0.1:${one.server.port}`,
      `d@127.0.0.1:${two.server.port}`,
      `c@127.0.0.1:${one.server.port}`,
    ]);
    await m.after(6);
    const logins = (s: typeof one) => s.connections.map((c) => c.lines.find((l) => l.startsWith("LOGIN")));
    expect(logins(one).sort()).toEqual(["LOGIN a", "LOGIN b", "LOGIN c"]);
    expect(logins(two)).toEqual(["LOGIN d"]);
    // server one: all polls on a's connection (the first MONITOR line of that server); b's and c's
    // connections carry their LOGIN and nothing else
    const carrier = one.connections.find((c) => c.lines.includes("LOGIN a"))!;
    for (const c of one.connections) if (c !== carrier) expect(getsOf(c)).toEqual([]);
    // a steady round: the three status requests, read together (one write by the monitor)
    const steady = carrier.reads.filter((r) => r.length > 0 && r.every((l) => l.endsWith(" ups.status")));
    expect(steady.length).toBeGreaterThanOrEqual(3);
    for (const r of steady.slice(-3))
      expect(r).toEqual(["GET VAR a ups.status", "GET VAR b ups.status", "GET VAR c ups.status"]);
    // server two is polled on its own
    expect(getsOf(two.connections[0]!)).toContain("GET VAR d ups.status");
    // and every UPS's status is its own
    const statuses = m.handle.snapshot().ups.map((u) => [u.system.split("@")[0], u.readings.status]);
    expect(statuses).toEqual([
      ["a", "OL"],
      ["b", "OL"],
      ["d", "OL"],
      ["c", "OB"],
    ]);
    expect(m.notifier.seen).toEqual([`ONBATT c@127.0.0.1:${one.server.port}`]);
  });

  it("the carrier's connection drops: the next member carries, nobody else's poll fails, the dropped one logs in again", async () => {
    const one = await serverWith({ a: "OL", b: "OL", c: "OL" });
    const m = monitor(["a", "b", "c"].map((u) => `${u}@127.0.0.1:${one.server.port}`));
    await m.after(3);
    const carrierOf = (ups: string) => one.connections.find((c) => c.lines.includes(`LOGIN ${ups}`))!;
    const first = carrierOf("a");
    first.close();
    await m.after(3);
    const b = carrierOf("b");
    // while a was away, b's connection carried the polls of b and c
    expect(getsOf(b)).toContain("GET VAR c ups.status");
    expect(getsOf(carrierOf("c"))).toEqual([]);
    // a logged in again on a new connection (after the session's 500 ms backoff), which carries again
    const again = () => one.connections.filter((c) => c.lines.includes("LOGIN a"));
    while (again().length < 2) await m.after(1);
    await m.after(3);
    expect(getsOf(again()[1]!).slice(-3)).toEqual([
      "GET VAR a ups.status",
      "GET VAR b ups.status",
      "GET VAR c ups.status",
    ]);
    // only a's connection was lost: no COMMBAD for b or c
    expect(m.notifier.seen.filter((s) => s.startsWith("COMMBAD") && !s.includes("COMMBAD a@"))).toEqual([]);
  });

  it("a carried link still polls on its own connection every keep-alive interval less 5 s (at most half): each LOGIN connection sees a real poll", async () => {
    const one = await serverWith({ a: "OL", b: "OL" });
    const m = monitor(
      ["a", "b"].map((u) => `${u}@127.0.0.1:${one.server.port}`),
      { keepaliveMs: 400 },
    );
    await m.after(2);
    await new Promise((r) => setTimeout(r, 1000));
    const a = one.connections.find((c) => c.lines.includes("LOGIN a"))!;
    const b = one.connections.find((c) => c.lines.includes("LOGIN b"))!;
    const bOnOwn = getsOf(b).filter((l) => l === "GET VAR b ups.status").length;
    const bOnA = getsOf(a).filter((l) => l === "GET VAR b ups.status").length;
    // every 200 ms on its own connection (about 5 in the second), the rest of its polls on a's
    expect(bOnOwn).toBeGreaterThanOrEqual(2);
    expect(bOnA).toBeGreaterThan(2 * bOnOwn);
    expect(b.lines.filter((l) => l === "VER")).toEqual([]);
  });

  it("between rounds longer than the keep-alive, the idle logged-in connections get a VER, so upsd's 60 s idle cutoff never drops them", async () => {
    const one = await serverWith({ a: "OL", b: "OL" });
    const m = monitor(
      ["a", "b"].map((u) => `${u}@127.0.0.1:${one.server.port}`),
      { keepaliveMs: 100 },
      5,
    );
    await m.after(1);
    await new Promise((r) => setTimeout(r, 450));
    const b = one.connections.find((c) => c.lines.includes("LOGIN b"))!;
    expect(b.lines.filter((l) => l === "VER").length).toBeGreaterThanOrEqual(2);
  });
});
