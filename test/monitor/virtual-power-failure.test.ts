/**
 * A complete power failure — nutguard server simulating the UPS (dummy-ups sequence: on line, on
 * battery, low battery), a primary monitor and a secondary monitor on the same UPS, FSD, the primary's
 * HOSTSYNC wait until the secondary has logged out, FINALDELAY, SHUTDOWNCMD — played twice: on real
 * time and on a VirtualClock (util/clock.ts). Both runs must show the same event sequence; the virtual
 * one takes only the time of its network round trips.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import type { MonitorEvent } from "../../src/monitor/events.js";
import type { MonitorExit } from "../../src/monitor/monitor-handle.js";
import { composeMonitor } from "../../src/service/compose-monitor.js";
import { type Clock, realClock, VirtualClock } from "../../src/util/clock.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { DEFAULT_USERS } from "../helpers/nut-stack.js";
import { startSequenceServer } from "../helpers/sequence-server.js";

const SEQUENCE = [
  "ups.mfr: nutguard",
  "ups.status: OL",
  "battery.charge: 100",
  "TIMER 2",
  "ups.status: OB DISCHRG",
  "battery.charge: 60",
  "TIMER 2",
  "ups.status: OB LB DISCHRG",
  "battery.charge: 10",
  "TIMER 3600",
  "",
].join("\n");

interface Run {
  primary: MonitorEvent[];
  secondary: MonitorEvent[];
  shutdownCommands: string[];
  elapsedMs: number;
}

async function powerFailure(clock: Clock): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), "nutguard-vpf-"));
  const log = createMemoryLogger();
  try {
    const { server, port } = await startSequenceServer(dir, SEQUENCE, clock, log.child("server"));
    const startMs = clock.now();
    const shutdownCommands: string[] = [];
    const monitor = (role: "primary" | "secondary", events: MonitorEvent[]) => {
      const user = DEFAULT_USERS[role];
      const conf = parseUpsmonConf(
        [
          `MONITOR ups@127.0.0.1:${port} 1 ${user.user} ${user.pass} ${role}`,
          "POLLFREQ 1",
          "POLLFREQALERT 1",
          "HOSTSYNC 10",
          "FINALDELAY 1",
          "",
        ].join("\n"),
        "upsmon.conf",
      );
      return composeMonitor({
        config: conf.config,
        log: log.child(role),
        clock,
        notifier: null,
        listeners: [(e) => events.push(e)],
        host: {
          requestShutdown: async () => {
            shutdownCommands.push(`${role}: SHUTDOWNCMD at ${Math.round((clock.now() - startMs) / 1000)} s`);
          },
          ready: () => {},
          status: () => {},
          heartbeat: () => {},
        },
      });
    };
    const primary: MonitorEvent[] = [];
    const secondary: MonitorEvent[] = [];
    // Polls never coincide with a change of the sequence (at 2 s and 4 s, on a 100 ms tick): the
    // primary polls at 0.25 s + n, the secondary at 0.75 s + n, so both runs see the same statuses.
    const startAt = (ms: number, role: "primary" | "secondary", events: MonitorEvent[]) =>
      new Promise<MonitorExit>((resolve) => {
        clock.setTimer(() => resolve(monitor(role, events).done), ms);
      });
    const both = Promise.all([startAt(250, "primary", primary), startAt(750, "secondary", secondary)]);
    const exits = await (clock instanceof VirtualClock ? clock.runUntil(both) : both);
    expect(exits.map((e) => e.reason)).toEqual(["shutdown", "shutdown"]);
    const elapsedMs = clock.now() - startMs;
    await server.close();
    return { primary, secondary, shutdownCommands, elapsedMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a user would compare: each event's kind and what it says, repeats of a quiet round folded. */
function sequence(events: MonitorEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    let line: string;
    if (e.kind === "notification") line = `notification ${e.type}`;
    else if (e.kind === "status") line = `status ${e.current.join(" ")}`;
    else if (e.kind === "link") line = `link ${e.state}`;
    else if (e.kind === "round")
      line = `round ${e.critical.map((c) => c.reason).join(",")}${e.shutdown ? " shutdown" : ""}`;
    else if (e.kind === "shutdown")
      line = `shutdown ${e.phase}${e.logins !== undefined ? ` ${e.logins} logins` : ""}`;
    else line = e.kind;
    if (out.at(-1) !== line) out.push(line);
  }
  return out;
}

describe("a power failure on virtual time", () => {
  it("plays the same events as on real time: FSD, HOSTSYNC wait for the secondary, FINALDELAY, SHUTDOWNCMD", async () => {
    const real = await powerFailure(realClock);
    const virtualClock = new VirtualClock();
    const virtual = await powerFailure(virtualClock);

    expect(sequence(real.primary)).toEqual([
      "link connected",
      "status OL",
      "round ",
      "status OB DISCHRG",
      "notification ONBATT",
      "round ",
      "status OB LB DISCHRG",
      "notification LOWBATT",
      "round oblb-primary shutdown",
      "notification FSD",
      "shutdown fsd-set",
      "shutdown waiting-secondaries 2 logins",
      "notification SHUTDOWN_HOSTSYNC",
      "shutdown final-delay",
      "notification SHUTDOWN",
      "shutdown shutdowncmd-requested",
      "shutdown done",
      "link closed",
    ]);
    // the secondary learns of the low battery from the primary's FSD
    expect(sequence(real.secondary)).toEqual([
      "link connected",
      "status OL",
      "round ",
      "status OB DISCHRG",
      "notification ONBATT",
      "round ",
      "status FSD OB LB DISCHRG",
      "notification FSD",
      "notification LOWBATT",
      "round fsd shutdown",
      "shutdown final-delay",
      "notification SHUTDOWN",
      "shutdown shutdowncmd-requested",
      "shutdown done",
      "link closed",
    ]);
    expect(sequence(virtual.primary)).toEqual(sequence(real.primary));
    expect(sequence(virtual.secondary)).toEqual(sequence(real.secondary));
    // the secondary shuts down first; the primary after it logged out and after FINALDELAY
    expect(virtual.shutdownCommands.map((c) => c.split(":")[0])).toEqual(["secondary", "primary"]);
    expect(virtual.shutdownCommands).toEqual(real.shutdownCommands);
    // simulated time passed as on the real run (OL 2 s, OB 2 s, then FSD and the delays)
    expect(Math.round(virtual.elapsedMs / 1000)).toBeGreaterThanOrEqual(6);
  }, 60_000);
});
