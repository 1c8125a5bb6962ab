/**
 * LinkPolls keeping the deadline of a steady poll's request (pollThen's `deadlineKept`): the request
 * goes without a timer of its own, and the rounds time it out instead. On a manual clock: the times
 * asserted are the monitor's own.
 */
import { describe, expect, it } from "vitest";
import type { MonitorEntry } from "../../src/config/upsmon-conf.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import { LinkPolls } from "../../src/monitor/link-polls.js";
import type { UpsLink } from "../../src/monitor/ups-link.js";
import { VirtualClock } from "../../src/util/clock.js";
import { ManualClock } from "../helpers/manual-clock.js";

const TIMED_OUT: PollResult = {
  kind: "failure",
  code: "TIMEOUT",
  message: "GET VAR: no reply within 5000 ms",
};

/** A link whose polls stay unanswered until its request is timed out (checkDeadlines past the deadline). */
class SilentLink implements UpsLink {
  readonly entry = { system: "ups@host" } as MonitorEntry;
  readonly requestTimeoutMs = 5000;
  /** pollThen's `deadlineKept`, per poll. */
  readonly kept: boolean[] = [];
  /** When checkDeadlines was called (on the clock), and whether the poll was past its deadline then. */
  readonly checks: number[] = [];
  private done: ((r: PollResult) => void) | undefined;
  private sentMs = 0;

  constructor(private readonly now: () => number) {}

  start(): void {}
  poll(): Promise<PollResult> {
    return new Promise(() => {});
  }
  pollThen(_demand: unknown, done: (r: PollResult) => void, deadlineKept = false): void {
    this.kept.push(deadlineKept);
    this.done = done;
    this.sentMs = this.now();
  }
  checkDeadlines(): void {
    this.checks.push(this.now());
    // as the connection does: past the deadline the request fails (at once, in the call)
    if (this.done !== undefined && this.now() - this.sentMs >= this.requestTimeoutMs) {
      const done = this.done;
      this.done = undefined;
      done(TIMED_OUT);
    }
  }
  setFsd = async () => false;
  numLogins = async () => undefined;
  close = async () => {};
}

/** LinkPolls on a manual clock with one silent link, and what its evaluations observe. */
function silentRound() {
  const clock = new ManualClock();
  const polls = new LinkPolls(() => {}, clock);
  const link = new SilentLink(clock.now);
  const seen: PollResult[] = [];
  const collect = (t: number) => polls.collect([link], t, (_l, r) => seen.push(r));
  return { clock, polls, link, seen, collect };
}

describe("LinkPolls: a steady poll's request deadline kept by the rounds", () => {
  it("on a clock that runs while the poll is out: the request goes without its own timer and is timed out at its deadline, not before", async () => {
    const { clock, polls, link, seen, collect } = silentRound();
    polls.startRound([link], 0, undefined, 1000);
    expect(link.kept).toEqual([true]);
    // the rounds' evaluations while the poll is out (POLLFREQ 1): no news, nothing timed out yet
    for (const t of [1000, 2000, 3000, 4000]) {
      await clock.advance(t);
      collect(t);
      polls.startRound([link], t, undefined, 1000); // never a second poll stacked on the first
    }
    expect(link.kept).toEqual([true]);
    expect(link.checks).toEqual([]);
    expect(seen).toEqual([]);
    // the timer armed by the first evaluation fires at the deadline: the request times out then
    await clock.advance(4999);
    expect(link.checks).toEqual([]);
    await clock.advance(5000);
    expect(link.checks).toEqual([5000]);
    collect(5000);
    expect(seen).toEqual([TIMED_OUT]);
  });

  it("an evaluation past the deadline times the request out then, and observes the failure at once", async () => {
    const { clock, polls, link, seen, collect } = silentRound();
    polls.startRound([link], 0, undefined, 5000);
    expect(link.kept).toEqual([true]);
    clock.t = 5000;
    collect(5000);
    expect(link.checks).toEqual([5000]);
    expect(seen).toEqual([TIMED_OUT]);
  });

  it("a round longer than the request timeout (POLLFREQ 10): the request keeps its own timer", async () => {
    const { clock, polls, link, seen, collect } = silentRound();
    polls.startRound([link], 0, undefined, 10_000);
    expect(link.kept).toEqual([false]);
    await clock.advance(10_000);
    collect(10_000);
    await clock.advance(20_000);
    expect(link.checks).toEqual([]);
    expect(seen).toEqual([]); // its own timer (the connection's) would time it out; this one has none
  });

  it("on a clock that holds still while a poll is out (a drill's): the request keeps its own real-time timer", () => {
    const clock = new VirtualClock(0);
    const polls = new LinkPolls(() => {}, clock);
    const link = new SilentLink(() => clock.now());
    polls.startRound([link], 0, undefined, 1000);
    expect(link.kept).toEqual([false]);
  });
});
