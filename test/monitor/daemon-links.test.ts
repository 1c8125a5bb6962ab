/**
 * The daemon with its real links (NutSession over TCP) against hostile scripted servers: a server
 * that freezes, one that refuses LOGIN, one that answers pipelined requests out of order. The daemon
 * runs on a virtual clock (test/helpers/virtual-clock.ts), so the times asserted are the monitor's
 * own, whatever the machine's load.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseUpsmonConf, type UpsmonConfig } from "../../src/config/upsmon-conf.js";
import type { NotifyType } from "../../src/config/upsmon-notify-types.js";
import { Notifier } from "../../src/monitor/actions.js";
import { type MonitorHandle, startMonitor } from "../../src/monitor/daemon.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import type { UpsLink } from "../../src/monitor/ups-link.js";
import { createNutLink } from "../../src/monitor/ups-link-nut.js";
import { createMemoryLogger, type Logger } from "../../src/util/log.js";
import {
  type FakeAction,
  type FakeConnection,
  type FakeServer,
  startFakeServer,
} from "../helpers/fake-server.js";
import { VirtualClock } from "../helpers/virtual-clock.js";

/** A scripted upsd for one UPS `ups`: its status can change, and it can freeze (accept, never reply). */
class ScriptedUpsd {
  status = "OL";
  frozen = false;
  /** Freeze when the n-th `GET VAR ups ups.status` arrives (it gets no reply). */
  freezeAtStatusRequest = Number.POSITIVE_INFINITY;
  /** When freezing, also close the connection: the next poll then waits on a connection attempt. */
  dropWhenFreezing = false;
  loginReply = "OK\n";
  statusRequests = 0;
  server!: FakeServer;
  /** Variables besides ups.status. */
  vars: Record<string, string> = {};

  async start(onLine?: (line: string, conn: FakeConnection) => FakeAction | undefined): Promise<this> {
    this.server = await startFakeServer({
      onLine: (line, conn) => {
        if (this.frozen) return null;
        const scripted = onLine?.(line, conn);
        return scripted === undefined ? this.answer(line) : scripted;
      },
    });
    return this;
  }

  answer(line: string): FakeAction {
    const w = line.split(" ");
    if (w[0] === "USERNAME" || w[0] === "PASSWORD") return "OK\n";
    if (w[0] === "LOGIN") return this.loginReply;
    if (w[0] === "PRIMARY" || w[0] === "MASTER") return `OK ${w[0]}-GRANTED\n`;
    if (w[0] === "GET" && w[1] === "VAR") {
      if (w[3] === "ups.status") {
        if (++this.statusRequests >= this.freezeAtStatusRequest) this.frozen = true;
        if (this.frozen) return this.dropWhenFreezing ? { close: true } : null;
      }
      const value = w[3] === "ups.status" ? this.status : this.vars[w[3]!];
      return value === undefined ? "ERR VAR-NOT-SUPPORTED\n" : `VAR ${w[2]} ${w[3]} "${value}"\n`;
    }
    if (w[0] === "GET" && w[1] === "NUMLOGINS") return `NUMLOGINS ${w[2]} 0\n`;
    if (w[0] === "FSD") return "ERR ACCESS-DENIED\n";
    if (w[0] === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
    return "ERR UNKNOWN-COMMAND\n";
  }
}

class TimedNotifier extends Notifier {
  readonly seen: { t: number; what: string }[] = [];
  constructor(
    config: UpsmonConfig,
    log: Logger,
    private readonly clock: VirtualClock,
  ) {
    super({ config, log });
  }
  override deliver(type: NotifyType, ups: string | undefined): void {
    this.seen.push({ t: this.clock.now(), what: `${type}${ups ? ` ${ups}` : ""}` });
  }
  override wall(): void {}
}

/** A memory logger that also records the monitor's (virtual) time of each line. */
function timedLogger(clock: VirtualClock) {
  const log = createMemoryLogger();
  const timed: { t: number; message: string }[] = [];
  const at = (message: string) => timed.push({ t: clock.now(), message });
  const level =
    (l: Logger, name: "error" | "warning" | "notice" | "info") =>
    (m: string): void => {
      at(m);
      l[name](m);
    };
  const wrap = (l: Logger): Logger => ({
    error: level(l, "error"),
    warning: level(l, "warning"),
    notice: level(l, "notice"),
    info: level(l, "info"),
    debug: (m, debugLevel) => l.debug(m, debugLevel),
    child: (name) => wrap(l.child(name)),
  });
  return { log: wrap(log), lines: log.lines, timed };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function monitor(
  conf: string,
  o: {
    speedup?: number;
    wrapLink?: (link: UpsLink, clock: VirtualClock) => UpsLink;
    /** The links' request timeout (default 60 s of real time). */
    requestTimeoutMs?: number;
  } = {},
) {
  const parsed = parseUpsmonConf(`FINALDELAY 0\n${conf}`, "upsmon.conf");
  if (parsed.fatal) throw new Error(parsed.fatal);
  const config = parsed.config;
  const clock = new VirtualClock(1_800_000_000_000, o.speedup ?? 10);
  const { log, lines, timed } = timedLogger(clock);
  const notifier = new TimedNotifier(config, log, clock);
  const shutdowns: number[] = [];
  const handle: MonitorHandle = startMonitor({
    config,
    log,
    notifier,
    clock: clock.clock,
    host: {
      requestShutdown: async () => void shutdowns.push(clock.now()),
      ready: () => {},
      status: () => {},
      heartbeat: () => {},
    },
    // the client's own timeouts stay real and long: only the daemon's clock is virtual
    createLink: (entry) => {
      const link = createNutLink(entry, config, log, {
        requestTimeoutMs: o.requestTimeoutMs ?? 60_000,
        connectTimeoutMs: 60_000,
      });
      return o.wrapLink ? o.wrapLink(link, clock) : link;
    },
  });
  cleanups.push(async () => {
    await handle.stop();
    clock.dispose();
  });
  return { handle, clock, notifier, lines, timed, shutdowns };
}

async function upsd(
  setup: (u: ScriptedUpsd) => void = () => {},
  onLine?: (line: string, conn: FakeConnection) => FakeAction | undefined,
) {
  const u = new ScriptedUpsd();
  setup(u);
  await u.start(onLine);
  cleanups.push(() => u.server.close());
  return u;
}

/** `link` as is, except that each poll's start (on `now()`) is pushed to `starts`. */
function countingPolls(link: UpsLink, starts: number[], now: () => number): UpsLink {
  return {
    entry: link.entry,
    start: () => link.start(),
    poll: (): Promise<PollResult> => {
      starts.push(now());
      return link.poll();
    },
    setFsd: () => link.setFsd(),
    numLogins: () => link.numLogins(),
    close: () => link.close(),
  };
}

/** Resolves once `check()` holds; rejects after `timeoutMs` of real time (a generous hang guard). */
async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("daemon + links: DEADTIME never stretches", () => {
  it("a UPS last seen on battery whose server froze is critical DEADTIME (+ at most one POLLFREQALERT) after its last good poll", async () => {
    const u = await upsd((s) => {
      s.status = "OB";
      s.freezeAtStatusRequest = 2; // the first poll is answered (OB), then nothing more
    });
    const sys = `ups@127.0.0.1:${u.server.port}`;
    const m = monitor(
      `MONITOR ${sys} 1 mon pass secondary\nDEADTIME 8\nPOLLFREQ 1\nPOLLFREQALERT 1\nHOSTSYNC 1\n`,
    );
    await until(() => m.shutdowns.length > 0, "the shutdown");
    expect(await m.handle.done).toEqual({ reason: "shutdown", exitCode: 0 });
    const lastGoodPoll = m.notifier.seen.find((s) => s.what === `ONBATT ${sys}`)!.t;
    const promoted = m.timed.find((l) => l.message === `Promoting dead UPS: ${sys}`)!.t;
    const decided = m.timed.find((l) => l.message.includes("initiating forced shutdown"))!.t;
    expect(promoted - lastGoodPoll).toBeGreaterThan(8000);
    expect(promoted - lastGoodPoll).toBeLessThanOrEqual(8000 + 1000);
    expect(decided).toBe(promoted);
    expect(m.shutdowns).toEqual([decided]);
    expect(m.notifier.seen.map((s) => s.what)).toEqual([`ONBATT ${sys}`, "SHUTDOWN"]);
    // one poll outstanding on the frozen server, never a second one stacked on it
    expect(u.statusRequests).toBe(2);
  });

  it("the same when the server dropped the connection and freezes: the poll waits on a connection attempt", async () => {
    const u = await upsd((s) => {
      s.status = "OB";
      s.freezeAtStatusRequest = 2;
      s.dropWhenFreezing = true; // accepts the reconnection, never answers USERNAME
    });
    const sys = `ups@127.0.0.1:${u.server.port}`;
    const m = monitor(
      `MONITOR ${sys} 1 mon pass secondary\nDEADTIME 8\nPOLLFREQ 1\nPOLLFREQALERT 1\nHOSTSYNC 1\n`,
    );
    await until(() => m.shutdowns.length > 0, "the shutdown");
    const lastGoodPoll = m.notifier.seen.find((s) => s.what === `ONBATT ${sys}`)!.t;
    const promoted = m.timed.find((l) => l.message === `Promoting dead UPS: ${sys}`)!.t;
    expect(promoted - lastGoodPoll).toBeGreaterThan(8000);
    expect(promoted - lastGoodPoll).toBeLessThanOrEqual(8000 + 1000);
    expect(m.shutdowns).toEqual([promoted]);
    expect(m.notifier.seen.map((s) => s.what)).toEqual([`ONBATT ${sys}`, `COMMBAD ${sys}`, "SHUTDOWN"]);
    expect(u.server.connectionCount).toBe(2); // reconnected once, and that attempt never completed
  });

  it("a frozen server does not delay the polls of another server's UPS", async () => {
    const frozen = await upsd((s) => {
      s.freezeAtStatusRequest = 2;
    });
    const healthy = await upsd();
    const a = `ups@127.0.0.1:${frozen.server.port}`;
    const b = `ups@127.0.0.1:${healthy.server.port}`;
    const pollStarts: number[] = [];
    let clockNow = () => 0;
    const m = monitor(
      `MONITOR ${a} 1 mon pass secondary\nMONITOR ${b} 1 mon pass secondary\nPOLLFREQ 1\nMINSUPPLIES 1\n`,
      {
        speedup: 2,
        wrapLink: (link) =>
          link.entry.system !== b ? link : countingPolls(link, pollStarts, () => clockNow()),
      },
    );
    clockNow = m.clock.now;
    await until(() => frozen.frozen, "the first server to freeze");
    const frozeAt = m.clock.now();
    await until(() => pollStarts.filter((t) => t > frozeAt).length >= 6, "six polls of the other UPS");
    const after = pollStarts.filter((t) => t >= frozeAt - 1000);
    // one poll of the healthy UPS every POLLFREQ of the monitor's clock, none skipped or delayed
    expect(after.slice(1).map((t, i) => t - after[i]!)).toEqual(after.slice(1).map(() => 1000));
    expect(frozen.statusRequests).toBe(2);
    expect(m.shutdowns).toEqual([]);
  });
});

describe("daemon + links: the request timeout of a steady poll", () => {
  it("a server that stops answering: the poll's request is timed out at the request timeout (by the rounds: it has no timer of its own), the connection closed, COMMBAD, and a reconnect", async () => {
    const u = await upsd((s) => {
      s.freezeAtStatusRequest = 3;
    });
    const sys = `ups@127.0.0.1:${u.server.port}`;
    // in real time (NO_HOLD, as the real clock): the rounds keep the request's deadline
    const m = monitor(`MONITOR ${sys} 1 mon pass secondary\nPOLLFREQ 1\nPOLLFREQALERT 1\nMINSUPPLIES 0\n`, {
      speedup: 1,
      requestTimeoutMs: 1500,
    });
    await until(() => u.frozen, "the server to freeze");
    const frozeAt = m.clock.now();
    await until(() => u.server.connectionCount === 2, "the reconnect");
    await until(() => m.notifier.seen.length > 0, "COMMBAD");
    const failed = m.timed.find((l) => l.message.startsWith("Poll UPS"));
    expect(failed?.message).toBe(`Poll UPS [${sys}] failed - GET VAR: no reply within 1500 ms`);
    // timed out at its deadline (1.5 s after the request), not a round later, nor before it
    expect(failed!.t - frozeAt).toBeGreaterThanOrEqual(1500 - 50);
    expect(failed!.t - frozeAt).toBeLessThan(1500 + 1000);
    expect(m.notifier.seen.map((s) => s.what)).toEqual([`COMMBAD ${sys}`]);
    expect(u.statusRequests).toBe(3); // never a second poll stacked on the unanswered one
  });
});

describe("daemon + links: the round does not wait for a failing server", () => {
  it("while one server's polls fail slowly each round, a power failure on another server's UPS is evaluated when its poll is back, not when the failing polls end", async () => {
    const healthy = await upsd();
    const b = `ups@127.0.0.1:${healthy.server.port}`;
    const a = "ups@127.0.0.1:9"; // never connected: its link is replaced below
    const pollStarts: number[] = [];
    let failedPolls = 0;
    let clockNow = () => 0;
    const m = monitor(
      `MONITOR ${a} 1 mon pass secondary\nMONITOR ${b} 1 mon pass secondary\nPOLLFREQ 4\nPOLLFREQALERT 4\nMINSUPPLIES 1\nDEADTIME 600\n`,
      {
        speedup: 8,
        wrapLink: (link, clock) =>
          link.entry.system === a
            ? {
                // a dead server as the monitor sees it: each poll fails after 3 s of the monitor's
                // clock (a request timeout)
                entry: link.entry,
                start: () => {},
                poll: () =>
                  new Promise<PollResult>((resolve) =>
                    clock.clock.setTimer(() => {
                      failedPolls++;
                      resolve({ kind: "failure", code: "TIMEOUT", message: "Request timed out" });
                    }, 3000),
                  ),
                setFsd: async () => false,
                numLogins: async () => undefined,
                close: () => link.close(),
              }
            : countingPolls(link, pollStarts, () => clockNow()),
      },
    );
    clockNow = m.clock.now;
    await until(() => failedPolls >= 2, "two failed polls of the dead server's UPS");
    healthy.status = "OB";
    const failedAt = m.clock.now();
    await until(() => m.notifier.seen.some((s) => s.what === `ONBATT ${b}`), "ONBATT");
    const onbatt = m.notifier.seen.find((s) => s.what === `ONBATT ${b}`)!.t;
    // the poll that read OB: the last one started before the notification
    const sawIt = Math.max(...pollStarts.filter((t) => t >= failedAt - 4000 && t <= onbatt));
    // evaluated right after that poll (the round's wait used to wait for the failing poll: 3 s later)
    expect(onbatt - sawIt).toBeLessThan(1500);
    expect(m.notifier.seen.map((s) => s.what)).toContain(`COMMBAD ${a}`);
  });
});

describe("daemon + links: LOGIN refused", () => {
  it("a MONITOR user without an upsmon line: polls go on without LOGIN, and OB LB still shuts the host down", async () => {
    const u = await upsd((s) => {
      s.loginReply = "ERR ACCESS-DENIED\n";
    });
    const sys = `ups@127.0.0.1:${u.server.port}`;
    const m = monitor(`MONITOR ${sys} 1 nobody pass primary\nPOLLFREQ 1\nPOLLFREQALERT 1\n`);
    await until(() => u.statusRequests >= 2, "two polls");
    u.status = "OB LB";
    await until(() => m.shutdowns.length > 0, "the shutdown");
    expect(await m.handle.done).toEqual({ reason: "shutdown", exitCode: 0 });
    expect(m.notifier.seen.map((s) => s.what)).toEqual([`ONBATT ${sys}`, `LOWBATT ${sys}`, "SHUTDOWN"]);
    const messages = m.lines.map((l) => l.message);
    expect(messages).toContain(`Login on UPS [${sys}] failed - got [ERR ACCESS-DENIED]`);
    expect(messages).toContain(`FSD set on UPS ${sys} failed: ERR ACCESS-DENIED`);
    // one connection, one LOGIN: no reconnect loop
    expect(u.server.connectionCount).toBe(1);
    expect(u.server.lines.filter((l) => l.startsWith("LOGIN"))).toEqual(["LOGIN ups"]);
  });
});

describe("daemon + links: a server that answers pipelined requests out of order", () => {
  it("the first pipelined poll fails on the reply that answers another request (never taken as the status), then one request at a time: OB LB, shutdown", async () => {
    // replies to the requests that arrive together go out in reverse order
    const batches = new Map<FakeConnection, string[]>();
    const largestBatch = new Map<FakeConnection, number>();
    const u = await upsd(
      (s) => {
        s.status = "OB LB";
        s.vars = { "ups.mode.buzzwords": "vendor:none", "experimental.ups.mode.buzzwords": "vendor:none" };
      },
      (line, conn) => {
        if (!line.startsWith("GET VAR")) return undefined;
        const batch = batches.get(conn) ?? [];
        batches.set(conn, batch);
        batch.push(line);
        largestBatch.set(conn, Math.max(largestBatch.get(conn) ?? 0, batch.length));
        if (batch.length === 1) {
          setTimeout(() => {
            batches.delete(conn);
            for (const l of batch.reverse()) conn.write(u.answer(l) as string);
          }, 5);
        }
        return null;
      },
    );
    const sys = `ups@127.0.0.1:${u.server.port}`;
    // in real time: the reconnect's backoff (500 ms, real timers) must end before the next round starts
    // (POLLFREQ 1), as it does for a real monitor; sped up, the rounds would come as fast as the backoff
    const m = monitor(`MONITOR ${sys} 1 mon pass primary\nPOLLFREQ 1\nPOLLFREQALERT 1\n`, { speedup: 1 });
    await until(() => m.shutdowns.length > 0, "the shutdown");
    expect(await m.handle.done).toEqual({ reason: "shutdown", exitCode: 0 });
    // the first poll's status request got the buzzwords' reply: a failed poll, and the switch, logged once
    const switched = m.lines.filter((l) => l.message.includes("one request at a time"));
    expect(switched.map((l) => l.message)).toEqual([
      `UPS [${sys}]: server 127.0.0.1:${u.server.port} answered a request with the reply to another (GET VAR ups ups.status got VAR ups experimental.ups.mode.buzzwords "vendor:none"); talking to it one request at a time from now on`,
    ]);
    const what = m.notifier.seen.map((s) => s.what);
    expect(what).toEqual([`COMMBAD ${sys}`, `COMMOK ${sys}`, `ONBATT ${sys}`, `LOWBATT ${sys}`, "SHUTDOWN"]);
    // the second connection never had two requests in flight
    expect(u.server.connectionCount).toBe(2);
    expect([...largestBatch.values()]).toEqual([3, 1]);
    // (a reply that names another UPS still switches a server to one request at a time: reply-mismatch.test.ts)
  });
});
