/**
 * The polls in flight, at most one per link, for the daemon's round loop (daemon.ts).
 *
 * A round starts a poll on every link that has none outstanding; the round's evaluation then takes
 * whatever has come back: a settled poll is its result, a poll still outstanding is no news, and a
 * poll outstanding past its deadline (the link's `pollTimeoutMs`, as upsmon's request alarm) counts
 * as a failed poll for each round until it settles. So a frozen server never holds up the evaluation
 * (DEADTIME runs on time) nor the polls of the other links, and never gets a second poll stacked on
 * the first.
 *
 * The round's wait ends when the polls it is waiting for are back: those of links whose last poll
 * did not fail. A link that is failing (a dead server: its polls end at a timeout, or wait for a
 * connection attempt) is not waited for while others answer, so a power failure on a healthy server
 * is evaluated as soon as its poll is back, not at the end of the interval; the failing link's poll
 * is observed when it settles. When every poll of the round is of a failing link, all are waited for.
 *
 * The request deadline of a steady `pollThen` poll is kept here when that is on time (canKeepDeadline):
 * the request then goes without a timer of its own (a refresh per poll, and at POLLFREQ 1 a wake-up every
 * 5 s, less), and an evaluation that finds it out past the link's `requestTimeoutMs` has the link time
 * it out (`checkDeadlines()`: its connection closes, the poll settles failed); one not yet past it arms
 * a timer for the earliest such deadline.
 *
 * Time is the daemon's injected clock (`nowMs` arguments). Must not: observe results into the engine,
 * wait, or decide anything (the daemon does).
 */
import { type Clock, type ClockHold, type ClockTimer, NO_HOLD, realClock } from "../util/clock.js";
import type { PollResult } from "./engine-types.js";
import type { PollDemand } from "./poll-demand.js";
import type { UpsLink } from "./ups-link.js";

/** upsmon: a request runs under an alarm of the connect timeout (10 s) + 5 s. */
export const DEFAULT_POLL_TIMEOUT_MS = 15_000;

const OVERDUE: PollResult = { kind: "failure", code: "TIMEOUT", message: "Request timed out" };

/**
 * One link's polling state, made once per link (nothing is allocated per poll): whether a poll is in
 * flight (outstanding, or settled and not yet observed), and its settle functions.
 */
interface LinkPoll {
  readonly link: UpsLink;
  inFlight: boolean;
  round: number;
  startedMs: number;
  /** Set when the poll settled; observed (and the poll ended) at the next evaluation. */
  result: PollResult | undefined;
  /** The round's wait waits for this poll (see above). */
  awaited: boolean;
  /** The last observed poll failed. */
  failing: boolean;
  /** Dropped by a reload: a late result is ignored. */
  forgotten: boolean;
  /** The clock's hold on a `pollThen` poll outstanding. */
  hold: ClockHold;
  /** This class times the poll's request out (pollThen's `deadlineKept`; see canKeepDeadline). */
  deadlineKept: boolean;
  /** `poll()`'s promise settled. */
  readonly ok: (result: PollResult) => void;
  readonly failed: (err: unknown) => void;
  /** `pollThen`'s callback: settles, then releases the clock's hold. */
  readonly done: (result: PollResult) => void;
}

/** What the evaluation observes of one link: the poll's result (or a failure past its deadline). */
export type ObservePoll = (link: UpsLink, result: PollResult) => void;

export class LinkPolls {
  private readonly polls = new Map<UpsLink, LinkPoll>();
  private round = 0;
  /** Polls this round started, and how many of them have not settled yet. */
  private started = 0;
  private waiting = 0;
  /** The timer for the earliest kept request deadline not yet checked, and when it is due. */
  private deadlineTimer: ClockTimer | undefined;
  private deadlineTimerAt = Number.POSITIVE_INFINITY;

  /**
   * `roundDone` runs when the round's wait may end: every poll the round started has settled, or,
   * when it started none (every link still outstanding), as soon as one of those settles.
   */
  constructor(
    private readonly roundDone: () => void,
    /** Its `during()`/`hold()` keep a virtual clock still while a poll is outstanding. */
    private readonly clock: Clock = realClock,
  ) {}

  /**
   * A new round: a poll on every link without one outstanding, reading what `demandOf` its UPS asks.
   * `roundWaitMs`: the longest the round's wait lasts (its evaluation, `collect`, comes by then).
   */
  startRound(
    links: readonly UpsLink[],
    nowMs: number,
    demandOf?: (system: string) => PollDemand,
    roundWaitMs = Number.POSITIVE_INFINITY,
  ): void {
    this.round++;
    this.started = 0;
    this.waiting = 0;
    // wait for the polls of links that answered last time; for all when there are none
    let anyAnswering = false;
    for (let i = 0; i < links.length; i++) {
      const lp = this.polls.get(links[i]!);
      if (lp === undefined || (!lp.inFlight && !lp.failing)) {
        anyAnswering = true;
        break;
      }
    }
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      const lp = this.pollOf(link);
      if (lp.inFlight) continue;
      lp.inFlight = true;
      lp.round = this.round;
      lp.startedMs = nowMs;
      lp.result = undefined;
      lp.awaited = !anyAnswering || !lp.failing;
      this.started++;
      if (lp.awaited) this.waiting++;
      const demand = demandOf?.(link.entry.system);
      if (link.pollThen !== undefined) {
        // no promise per poll: the link calls back (the steady poll's reply, straight from the read)
        lp.hold = this.clock.hold();
        lp.deadlineKept = this.canKeepDeadline(link, lp.hold, roundWaitMs);
        link.pollThen(demand, lp.done, lp.deadlineKept);
      } else this.clock.during(link.poll(demand)).then(lp.ok, lp.failed);
    }
  }

  private pollOf(link: UpsLink): LinkPoll {
    let lp = this.polls.get(link);
    if (lp === undefined) {
      // at most one poll per link is ever outstanding, so its settle functions are made once
      const settle = (result: PollResult) => {
        if (made.inFlight && made.result === undefined && !made.forgotten) this.settle(made, result);
      };
      const made: LinkPoll = {
        link,
        inFlight: false,
        round: 0,
        startedMs: 0,
        result: undefined,
        awaited: false,
        failing: false,
        forgotten: false,
        hold: NO_HOLD,
        deadlineKept: false,
        ok: settle,
        failed: (err: unknown) =>
          settle({
            kind: "failure",
            code: "ERROR",
            message: err instanceof Error ? err.message : String(err),
          }),
        done: (result: PollResult) => {
          const hold = made.hold;
          made.hold = NO_HOLD;
          settle(result);
          hold.release();
        },
      };
      lp = made;
      this.polls.set(link, lp);
    }
    return lp;
  }

  /**
   * What to observe at this evaluation, in the order of `links`, handed to `observe`: each settled
   * result (the poll ends, so the next round polls that link again), and a failure for each poll
   * outstanding past its deadline. Links with a poll outstanding within its deadline are left out (no news).
   */
  collect(links: readonly UpsLink[], nowMs: number, observe: ObservePoll): void {
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      const lp = this.polls.get(link);
      if (lp === undefined || !lp.inFlight) continue;
      if (lp.result === undefined && lp.deadlineKept) this.keepDeadline(lp, nowMs);
      const result = lp.result;
      if (result !== undefined) {
        lp.inFlight = false;
        lp.result = undefined;
        lp.failing = result.kind === "failure";
        observe(link, result);
      } else if (nowMs - lp.startedMs >= (link.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS)) {
        lp.failing = true;
        observe(link, OVERDUE);
      }
    }
  }

  /**
   * Whether this class times the poll's request out instead of a timer of the request's own (one
   * timer less refreshed per poll, and no wake-up for it): when the clock keeps running while the
   * poll is out (a virtual clock holds still until the reply: the request keeps its own real-time
   * timer), and the round's evaluation comes no later than the request's deadline, so the check
   * there, or the timer it arms for a poll still out, is on time.
   */
  private canKeepDeadline(link: UpsLink, hold: ClockHold, roundWaitMs: number): boolean {
    const timeoutMs = link.requestTimeoutMs;
    return (
      hold === NO_HOLD &&
      link.checkDeadlines !== undefined &&
      timeoutMs !== undefined &&
      roundWaitMs <= timeoutMs
    );
  }

  /**
   * A kept deadline, for a poll still out at an evaluation or when the deadline timer fires: past it,
   * the link times the request out (its connection closes; the poll settles failed, usually at once);
   * before it, the deadline timer is armed for it, unless it already runs for an earlier one.
   */
  private keepDeadline(lp: LinkPoll, nowMs: number): void {
    const dueMs = lp.startedMs + (lp.link.requestTimeoutMs ?? 0);
    if (nowMs >= dueMs) {
      lp.link.checkDeadlines?.();
      return;
    }
    if (dueMs >= this.deadlineTimerAt) return;
    this.deadlineTimer?.cancel();
    this.deadlineTimerAt = dueMs;
    this.deadlineTimer = this.clock.setTimer(this.deadlineDue, dueMs - nowMs, { unref: true });
  }

  private readonly deadlineDue = (): void => {
    this.deadlineTimer = undefined;
    this.deadlineTimerAt = Number.POSITIVE_INFINITY;
    const nowMs = this.clock.now();
    for (const lp of this.polls.values()) {
      if (lp.inFlight && lp.result === undefined && lp.deadlineKept) this.keepDeadline(lp, nowMs);
    }
  };

  /** A link dropped by a reload: its poll, if any, is no longer waited for or observed. */
  forget(link: UpsLink): void {
    const lp = this.polls.get(link);
    if (lp === undefined) return;
    this.polls.delete(link);
    lp.forgotten = true;
    if (
      lp.inFlight &&
      lp.round === this.round &&
      lp.result === undefined &&
      lp.awaited &&
      --this.waiting === 0
    )
      this.roundDone();
  }

  /** After a wall-clock jump: outstanding polls count their deadline from now. */
  restartClocks(nowMs: number): void {
    for (const lp of this.polls.values()) if (lp.inFlight) lp.startedMs = nowMs;
  }

  private settle(lp: LinkPoll, result: PollResult): void {
    lp.result = result;
    if (lp.round === this.round) {
      if (lp.awaited && --this.waiting === 0) this.roundDone();
    } else if (this.started === 0) {
      this.roundDone(); // the round has nothing else to wait for
    } // else a late poll: news for the next evaluation, no reason to hurry it
  }
}
