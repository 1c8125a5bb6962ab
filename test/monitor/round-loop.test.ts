// The poll loop's timing on a manual clock: when rounds start, how long a round waits for its polls,
// time jumps, a stop, a forced shutdown and a step that throws. What a round does is the daemon's.
import { describe, expect, it } from "vitest";
import { RoundLoop, type RoundSteps } from "../../src/monitor/round-loop.js";
import { DaemonWaits } from "../../src/monitor/waits.js";
import { ManualClock } from "../helpers/manual-clock.js";

interface Script {
  intervalMs?: number;
  /** ms after a round's start when its polls come back (undefined: never). */
  pollsBackAfterMs?: number;
  /** endRound of this round number (1-based) returns false: shut down. */
  shutdownAtRound?: number;
  /** endRound of this round number throws. */
  throwAtRound?: number;
}

function harness(s: Script) {
  const clock = new ManualClock();
  const waits = new DaemonWaits(clock);
  const log: string[] = [];
  let stopping = false;
  let round = 0;
  const steps: RoundSteps = {
    isStopping: () => stopping,
    intervalMs: () => s.intervalMs ?? 5000,
    startPolls: (startMs, waitMs) => {
      round++;
      log.push(`${clock.now()}: round ${round} polls (started ${startMs}, wait ${waitMs})`);
      if (s.pollsBackAfterMs !== undefined) clock.setTimer(() => waits.roundSettled(), s.pollsBackAfterMs);
    },
    endRound: (nowMs) => {
      log.push(`${nowMs}: round ${round} ends`);
      if (round === s.throwAtRound) throw new Error("engine bug");
      return round !== s.shutdownAtRound;
    },
    shutDown: () => log.push(`${clock.now()}: shut down`),
    timeJumped: (nowMs, sleptMs) => log.push(`${nowMs}: time jump of ${sleptMs} ms`),
    stopped: () => log.push(`${clock.now()}: stopped`),
    failed: (err) => log.push(`${clock.now()}: failed: ${(err as Error).message}`),
  };
  const loop = new RoundLoop(waits, clock, steps);
  return {
    clock,
    waits,
    log,
    start: () => loop.start(),
    stop: () => {
      stopping = true;
      waits.wake();
    },
  };
}

describe("RoundLoop", () => {
  const rounds: { name: string; script: Script; until: number; log: string[] }[] = [
    {
      name: "starts a round every interval; a round ends when its polls are back",
      script: { intervalMs: 5000, pollsBackAfterMs: 30 },
      until: 10_100,
      log: [
        "0: round 1 polls (started 0, wait 5000)",
        "30: round 1 ends",
        "5000: round 2 polls (started 5000, wait 5000)",
        "5030: round 2 ends",
        "10000: round 3 polls (started 10000, wait 5000)",
        "10030: round 3 ends",
      ],
    },
    {
      name: "ends a round whose polls never come back at the next round's start",
      script: { intervalMs: 2000 },
      until: 4500,
      log: [
        "0: round 1 polls (started 0, wait 2000)",
        "2000: round 1 ends",
        "2000: round 2 polls (started 2000, wait 2000)",
        "4000: round 2 ends",
        "4000: round 3 polls (started 4000, wait 2000)",
      ],
    },
    {
      name: "with an interval under a second (POLLFREQ 0), waits at most a second for the polls",
      script: { intervalMs: 0 },
      until: 2500,
      log: [
        "0: round 1 polls (started 0, wait 1000)",
        "1000: round 1 ends",
        "1000: round 2 polls (started 1000, wait 1000)",
        "2000: round 2 ends",
        "2000: round 3 polls (started 2000, wait 1000)",
      ],
    },
    {
      name: "a round that decides to shut down ends the loop and starts the shutdown, once",
      script: { intervalMs: 5000, pollsBackAfterMs: 30, shutdownAtRound: 2 },
      until: 30_000,
      log: [
        "0: round 1 polls (started 0, wait 5000)",
        "30: round 1 ends",
        "5000: round 2 polls (started 5000, wait 5000)",
        "5030: round 2 ends",
        "5030: shut down",
      ],
    },
    {
      name: "a step that throws ends the loop as a failure; no round follows",
      script: { intervalMs: 5000, pollsBackAfterMs: 30, throwAtRound: 1 },
      until: 30_000,
      log: ["0: round 1 polls (started 0, wait 5000)", "30: round 1 ends", "30: failed: engine bug"],
    },
  ];
  it.each(rounds)("$name", async ({ script, until, log }) => {
    const h = harness(script);
    h.start();
    await h.clock.advance(until);
    expect(h.log).toEqual(log);
  });

  it("reports a wait that took far longer than asked (suspend/resume) as a time jump", async () => {
    const h = harness({ intervalMs: 5000, pollsBackAfterMs: 10 });
    h.start();
    await h.clock.advance(20);
    // the host sleeps from the end of round 1 (at 10 ms): its clock moves on 60 s before any timer runs
    h.clock.t = 60_020;
    await h.clock.advance(60_050);
    expect(h.log.slice(2)).toEqual([
      "60020: time jump of 60010 ms",
      "60020: round 2 polls (started 60020, wait 5000)",
      "60030: round 2 ends",
    ]);
  });

  it("a stop ends the loop at its next step, during a round's wait or the sleep after it", async () => {
    for (const stopAt of [5, 100]) {
      const h = harness({ intervalMs: 5000, pollsBackAfterMs: 30 });
      h.start();
      await h.clock.advance(stopAt);
      h.stop();
      await h.clock.advance(20_000);
      expect(h.log.at(-1)).toBe(`${stopAt}: stopped`);
      expect(h.log.filter((l) => l.includes("polls"))).toHaveLength(1);
    }
  });
});
