/**
 * The daemon's loop and shutdown choreography against scripted links (no network): what the host
 * is asked to do and which notifications go out, in order. Real NUT peers: daemon.nut.test.ts.
 */
import { describe, expect, it, vi } from "vitest";
import { type MonitorEntry, parseUpsmonConf, type UpsmonConfig } from "../../src/config/upsmon-conf.js";
import type { NotifyType } from "../../src/config/upsmon-notify-types.js";
import { Notifier } from "../../src/monitor/actions.js";
import { type MonitorHost, startMonitor } from "../../src/monitor/daemon.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import type { UpsLink } from "../../src/monitor/ups-link.js";
import { type ClockTimer, realClock, VirtualClock as SimulatedClock } from "../../src/util/clock.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { VirtualClock } from "../helpers/virtual-clock.js";

const START_MS = Date.UTC(2026, 0, 1);

/** Simulated time that counts the timers the daemon arms. */
class PacedClock extends SimulatedClock {
  timersSet = 0;
  override setTimer(fn: () => void, ms: number): ClockTimer {
    this.timersSet++;
    return super.setTimer(fn, ms);
  }
}

class RecordingNotifier extends Notifier {
  readonly seen: string[] = [];
  override deliver(type: NotifyType, ups: string | undefined): void {
    this.seen.push(`${type}${ups ? ` ${ups}` : ""}`);
  }
  override wall(text: string): void {
    this.seen.push(`wall: ${text}`);
  }
}

class ScriptedLink implements UpsLink {
  readonly calls: string[] = [];
  closed = false;
  constructor(
    readonly entry: MonitorEntry,
    private readonly statuses: (string | null)[],
    private readonly logins: number[] = [1],
  ) {}
  start(): void {
    this.calls.push("start");
  }
  async poll(): Promise<PollResult> {
    const s = this.statuses.length > 1 ? this.statuses.shift()! : this.statuses[0]!;
    return s === null
      ? { kind: "failure", code: "TIMEOUT", message: "timeout" }
      : { kind: "status", status: s };
  }
  async setFsd(): Promise<boolean> {
    this.calls.push("FSD");
    return true;
  }
  async numLogins(): Promise<number | undefined> {
    this.calls.push("NUMLOGINS");
    return this.logins.length > 1 ? this.logins.shift() : this.logins[0];
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup(conf: string, script: Record<string, { statuses: (string | null)[]; logins?: number[] }>) {
  const config: UpsmonConfig = parseUpsmonConf(
    `POLLFREQ 0\nPOLLFREQALERT 0\nFINALDELAY 0\n${conf}`,
    "t.conf",
  ).config;
  const log = createMemoryLogger();
  const notifier = new RecordingNotifier({ config, log });
  const links = new Map<string, ScriptedLink>();
  const hostCalls: string[] = [];
  const host: MonitorHost = {
    requestShutdown: async () => {
      hostCalls.push("requestShutdown");
    },
    ready: () => hostCalls.push("ready"),
    status: (s) => hostCalls.push(`status ${s}`),
    heartbeat: () => {},
  };
  const handle = startMonitor({
    config,
    host,
    log,
    notifier,
    minIntervalMs: 5,
    createLink: (entry) => {
      const s = script[entry.system] ?? { statuses: ["OL"] };
      const link = new ScriptedLink(entry, [...s.statuses], s.logins);
      links.set(entry.system, link);
      return link;
    },
  });
  return { handle, links, hostCalls, notifier, log };
}

describe("daemon: forced shutdown", () => {
  it("a primary sets FSD, waits until the secondaries have logged out, then shuts down once", async () => {
    const t = setup("MONITOR u 1 m p primary\nHOSTSYNC 20\n", {
      u: { statuses: ["OL", "OB", "OB LB"], logins: [3, 2, 1] },
    });
    const exit = await t.handle.done;
    expect(exit).toEqual({ reason: "shutdown", exitCode: 0 });
    expect(t.notifier.seen).toEqual([
      "ONBATT u",
      "LOWBATT u",
      "FSD u",
      "SHUTDOWN_HOSTSYNC",
      "wall: Executing automatic power-fail shutdown",
      "SHUTDOWN",
    ]);
    expect(t.links.get("u")!.calls).toEqual(["start", "FSD", "NUMLOGINS", "NUMLOGINS", "NUMLOGINS"]);
    expect(t.hostCalls.filter((c) => c === "requestShutdown")).toHaveLength(1);
    expect(t.hostCalls[0]).toBe("ready");
    expect(t.links.get("u")!.closed).toBe(true);
  });

  it("a primary whose secondary never leaves shuts down anyway when HOSTSYNC expires", async () => {
    const t = setup("MONITOR u 1 m p primary\nHOSTSYNC 1\n", { u: { statuses: ["OB LB"], logins: [2] } });
    expect((await t.handle.done).reason).toBe("shutdown");
    expect(t.log.lines.map((l) => l.message)).toContain("Host sync timer expired, forcing shutdown");
    expect(t.hostCalls).toContain("requestShutdown");
  });

  it("a secondary shuts down when it sees FSD, without setting FSD or waiting on NUMLOGINS", async () => {
    const t = setup("MONITOR u 1 m p secondary\n", { u: { statuses: ["OB LB", "FSD OB LB"] } });
    expect((await t.handle.done).reason).toBe("shutdown");
    expect(t.links.get("u")!.calls).toEqual(["start"]);
    expect(t.notifier.seen).toEqual([
      "ONBATT u",
      "LOWBATT u",
      "FSD u",
      "wall: Executing automatic power-fail shutdown",
      "SHUTDOWN",
    ]);
  });

  it("forceShutdown() (-c fsd) shuts down with all UPSes online", async () => {
    const t = setup("MONITOR u 1 m p primary\n", { u: { statuses: ["OL"] } });
    t.handle.forceShutdown();
    expect((await t.handle.done).reason).toBe("shutdown");
    expect(t.links.get("u")!.calls).toContain("FSD");
    expect(t.hostCalls).toContain("requestShutdown");
  });

  it("SHUTDOWNEXIT no keeps the connection alive with NUMLOGINS until stopped", async () => {
    const t = setup("MONITOR u 1 m p secondary\nSHUTDOWNEXIT no\n", { u: { statuses: ["FSD OL"] } });
    const link = () => t.links.get("u")!;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (link().calls.includes("NUMLOGINS")) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(t.hostCalls).toContain("requestShutdown");
    await t.handle.stop();
    expect((await t.handle.done).reason).toBe("shutdown");
    expect(link().closed).toBe(true);
  });
});

describe("daemon: lifecycle", () => {
  it("stop() logs out of every UPS and ends with 'stopped'", async () => {
    const t = setup("MONITOR a 1 m p primary\nMONITOR b 1 m p secondary\n", {});
    await new Promise((r) => setTimeout(r, 30));
    await t.handle.stop();
    expect(await t.handle.done).toEqual({ reason: "stopped", exitCode: 0 });
    expect([...t.links.values()].every((l) => l.closed)).toBe(true);
    expect(t.hostCalls).toContain("status a: OL; b: OL");
  });

  it("parentGone() notifies NOPARENT once and keeps monitoring", async () => {
    const t = setup("MONITOR u 1 m p primary\n", {});
    t.handle.parentGone();
    await new Promise((r) => setTimeout(r, 50));
    await t.handle.stop();
    expect(t.notifier.seen.filter((s) => s === "NOPARENT")).toEqual(["NOPARENT"]);
    expect(t.log.lines.map((l) => l.message)).toContain("Parent died - shutdown impossible");
  });

  it("reload() adds and drops UPSes, keeping the others' connections", async () => {
    const t = setup("MONITOR a 1 m p primary\nMONITOR b 1 m p primary\n", {});
    const a = t.links.get("a")!;
    const b = t.links.get("b")!;
    await t.handle.reload(
      parseUpsmonConf("POLLFREQ 0\nMONITOR a 1 m p primary\nMONITOR c 1 m p primary\n", "t").config,
    );
    await new Promise((r) => setTimeout(r, 30));
    await t.handle.stop();
    expect(t.links.get("a")).toBe(a);
    expect(b.closed).toBe(true);
    expect(t.links.get("c")!.calls[0]).toBe("start");
    expect(t.hostCalls.at(-1)).toBe("status a: OL; c: OL");
  });

  it("a reload to an impossible power configuration is fatal", async () => {
    const t = setup("MONITOR a 1 m p primary\n", {});
    await t.handle.reload(parseUpsmonConf("MONITOR a 1 m p primary\nMINSUPPLIES 3\n", "t").config);
    expect(t.log.lines.map((l) => l.message)).toContain("Impossible power configuration, unable to continue");
    expect((await t.handle.done).exitCode).toBe(1);
  });
});

describe("daemon: a round that throws", () => {
  it("ends the monitor with 'monitor loop failed' and exit code 1; no round follows; stop() returns", async () => {
    const config = parseUpsmonConf("POLLFREQ 0\nMONITOR u 1 m p primary\n", "t.conf").config;
    const log = createMemoryLogger();
    let rounds = 0;
    const handle = startMonitor({
      config,
      log,
      notifier: null,
      minIntervalMs: 5,
      host: {
        requestShutdown: async () => {},
        ready: () => {},
        status: () => {},
        heartbeat: () => {
          rounds++;
          if (rounds === 2) throw new Error("watchdog pipe closed");
        },
      },
      createLink: (entry) => new ScriptedLink(entry, ["OL"]),
    });
    expect(await handle.done).toEqual({ reason: "fatal", exitCode: 1 });
    const failure = log.lines.find((l) => l.message.startsWith("monitor loop failed:"));
    expect(failure?.message).toContain("Error: watchdog pipe closed");
    await new Promise((r) => setTimeout(r, 30));
    expect(rounds).toBe(2);
    await handle.stop();
  });
});

describe("daemon: the wait between rounds", () => {
  it("a reload cuts the POLLFREQ wait short once; the wait after it is a full interval again; stop() ends it", async () => {
    const config = parseUpsmonConf("POLLFREQ 30\nMONITOR u 1 m p primary\n", "t").config;
    const log = createMemoryLogger();
    let polls = 0;
    let ready!: () => void;
    const firstRound = new Promise<void>((r) => (ready = r));
    const handle = startMonitor({
      config,
      log,
      notifier: new RecordingNotifier({ config, log }),
      host: { requestShutdown: async () => {}, ready, status: () => {}, heartbeat: () => {} },
      createLink: (entry) =>
        new (class extends ScriptedLink {
          override async poll(): Promise<PollResult> {
            polls++;
            return super.poll();
          }
        })(entry, ["OL"]),
    });
    await firstRound;
    await new Promise((r) => setTimeout(r, 100));
    expect(polls).toBe(1); // waiting 30 s
    await handle.reload(config);
    await new Promise((r) => setTimeout(r, 100));
    expect(polls).toBe(2); // the reload woke it: one round at once
    await new Promise((r) => setTimeout(r, 300));
    expect(polls).toBe(2); // the wake is used up: a full 30 s wait again, not rounds back to back
    await handle.stop();
    expect(await handle.done).toEqual({ reason: "stopped", exitCode: 0 });
  });
});

describe("daemon: round pacing", () => {
  it("rounds start one interval apart, POLLFREQALERT as soon as a UPS is on battery; a steady round arms no timer", async () => {
    const clock = new PacedClock();
    const config = parseUpsmonConf("POLLFREQ 5\nPOLLFREQALERT 2\nMONITOR u 1 m p secondary\n", "t").config;
    const log = createMemoryLogger();
    const rounds: { atMs: number; timersSet: number }[] = [];
    let enough!: () => void;
    const done = new Promise<void>((r) => (enough = r));
    const handle = startMonitor({
      config,
      log,
      clock,
      notifier: new RecordingNotifier({ config, log }),
      host: { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} },
      listeners: [
        (e) => {
          if (e.kind !== "round") return;
          rounds.push({ atMs: e.timeMs - START_MS, timersSet: clock.timersSet });
          if (rounds.length === 8) enough();
        },
      ],
      createLink: (entry) => new ScriptedLink(entry, ["OL", "OL", "OL", "OL", "OB", "OB"]),
    });
    await clock.runUntil(done);
    await handle.stop();
    // OB is seen in the fifth round (20 s): from then on POLLFREQALERT
    expect(rounds.map((r) => r.atMs)).toEqual([0, 5000, 10_000, 15_000, 20_000, 22_000, 24_000, 26_000]);
    const perRound = rounds.slice(1).map((r, i) => r.timersSet - rounds[i]!.timersSet);
    // none in a steady round; when the interval changed, a sleep to the next round and a new pacing timer
    expect(perRound).toEqual([0, 0, 0, 0, 2, 0, 0]);
  });
});

describe("daemon: a reload's new POLLFREQ", () => {
  it("paces the rounds from the reload on: a round at once, then the new interval apart", async () => {
    const clock = new PacedClock();
    const slow = parseUpsmonConf("POLLFREQ 5\nMONITOR u 1 m p secondary\n", "t").config;
    const fast = parseUpsmonConf("POLLFREQ 2\nMONITOR u 1 m p secondary\n", "t").config;
    const log = createMemoryLogger();
    const rounds: number[] = [];
    let enough!: () => void;
    const done = new Promise<void>((r) => (enough = r));
    const handle = startMonitor({
      config: slow,
      log,
      clock,
      notifier: new RecordingNotifier({ config: slow, log }),
      host: { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} },
      listeners: [
        (e) => {
          if (e.kind !== "round") return;
          rounds.push(e.timeMs - START_MS);
          // the third round (10 s): a reload comes 2.5 s into the wait for the next one
          if (rounds.length === 3) clock.setTimer(() => void handle.reload(fast), 2500);
          if (rounds.length === 6) enough();
        },
      ],
      createLink: (entry) => new ScriptedLink(entry, ["OL"]),
    });
    await clock.runUntil(done);
    await handle.stop();
    expect(rounds).toEqual([0, 5000, 10_000, 12_500, 14_500, 16_500]);
  });
});

describe("daemon: time jumps", () => {
  it("a sleep that took an hour (suspend) notifies SUSPEND_TIMEJUMP_UNEXPECTED and resets stale states", async () => {
    let offsetMs = 0;
    const config = parseUpsmonConf("POLLFREQ 0\nDEADTIME 15\nMONITOR u 1 m p primary\n", "t").config;
    const log = createMemoryLogger();
    const notifier = new RecordingNotifier({ config, log });
    const hostCalls: string[] = [];
    const handle = startMonitor({
      config,
      log,
      notifier,
      minIntervalMs: 200,
      clock: { ...realClock, now: () => Date.now() + offsetMs },
      host: {
        requestShutdown: async () => {
          hostCalls.push("requestShutdown");
        },
        // the first round is done and the first wait begins: the host "sleeps" an hour during it
        ready: () => void setTimeout(() => (offsetMs = 3_600_000), 50),
        status: () => {},
        heartbeat: () => {},
      },
      createLink: (entry) => new ScriptedLink(entry, ["OB", null]),
    });
    await new Promise((r) => setTimeout(r, 700));
    await handle.stop();
    expect(notifier.seen.slice(0, 2)).toEqual(["ONBATT u", "SUSPEND_TIMEJUMP_UNEXPECTED"]);
    expect(hostCalls).toEqual([]);
  });
});

describe("daemon: the clock set back", () => {
  it("during a round: notified as a time jump, and the next round still comes one interval later", async () => {
    let offsetMs = 0;
    let polls = 0;
    const config = parseUpsmonConf("POLLFREQ 0\nMONITOR u 1 m p primary\n", "t").config;
    const log = createMemoryLogger();
    const notifier = new RecordingNotifier({ config, log });
    const handle = startMonitor({
      config,
      log,
      notifier,
      minIntervalMs: 100,
      clock: { ...realClock, now: () => Date.now() + offsetMs },
      host: { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} },
      createLink: (entry) =>
        new (class extends ScriptedLink {
          override async poll(): Promise<PollResult> {
            // the second poll takes 100 ms, and the clock is set back an hour while it runs
            if (++polls === 2) setTimeout(() => (offsetMs = -3_600_000), 50);
            if (polls === 2) await new Promise((r) => setTimeout(r, 100));
            return super.poll();
          }
        })(entry, ["OL"]),
    });
    await vi.waitUntil(() => polls >= 4, { timeout: 5000 });
    await handle.stop();
    expect(notifier.seen.filter((n) => n.startsWith("SUSPEND"))).toEqual(["SUSPEND_TIMEJUMP_UNEXPECTED"]);
  });
});

describe("daemon: a poll that does not come back", () => {
  it("is no news within the link's pollTimeoutMs, then a failed poll (COMMBAD); never doubled; its late result counts", async () => {
    const clock = new VirtualClock(1_000_000, 20);
    const config = parseUpsmonConf("POLLFREQ 1\nMONITOR u 1 m p secondary\n", "t").config;
    const log = createMemoryLogger();
    const seen: string[] = [];
    const notifier = new (class extends RecordingNotifier {
      override deliver(type: NotifyType): void {
        seen.push(`${clock.now() - 1_000_000} ${type}`);
      }
    })({ config, log });
    const pollStarts: number[] = [];
    let answer!: (r: PollResult) => void;
    const handle = startMonitor({
      config,
      log,
      notifier,
      clock: clock.clock,
      host: { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} },
      createLink: (entry) =>
        new (class extends ScriptedLink {
          readonly pollTimeoutMs = 2500;
          override poll(): Promise<PollResult> {
            pollStarts.push(clock.now() - 1_000_000);
            // the first poll hangs until the test answers it; later ones answer at once
            return pollStarts.length === 1 ? new Promise((r) => (answer = r)) : super.poll();
          }
        })(entry, ["OL"]),
    });
    await vi.waitUntil(() => seen.length > 0, { timeout: 10_000 });
    expect(seen).toEqual(["3000 COMMBAD"]); // the first evaluation at or past 2.5 s
    expect(log.lines.map((l) => l.message)).toContain("Poll UPS [u] failed - Request timed out");
    expect(pollStarts).toEqual([0]);
    answer({ kind: "status", status: "OL" });
    await vi.waitUntil(() => seen.length > 1, { timeout: 10_000 });
    await vi.waitUntil(() => pollStarts.length > 2, { timeout: 10_000 });
    await handle.stop();
    clock.dispose();
    expect(seen[1]).toMatch(/^\d+ COMMOK$/);
    // after the late answer, one poll per second again
    expect(pollStarts[2]! - pollStarts[1]!).toBe(1000);
  });
});
