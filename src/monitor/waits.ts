/**
 * The daemon's waits, on the injected clock (util/clock.ts; tests run the daemon on virtual time): the
 * pacing of rounds (a round's wait for its polls, the sleep to the next round start) and plain sleeps
 * (the shutdown sequence's pauses are the clock's sleep).
 *
 * Pacing: one timer of the poll interval, armed when a round starts and re-armed from its own callback
 * as it fires (as setInterval does), so a steady round allocates no timer and Node keeps its timer
 * list; it fires at each round's start + interval. A round's wait ends when `roundSettled()` says its
 * polls are back, or when that timer fires; the sleep after the evaluation ends when it fires (at once
 * when it already fired during the round: the next round starts then). A round started early (wake)
 * or a new interval re-arms it.
 *
 * `wake()` (reload, forced shutdown, stop, parent gone) cuts the current wait short, or the next one
 * when none is running, and is used up by a sleep between rounds. A round's wait that ends leaves a
 * pending wake for the sleep after the evaluation, so the next round starts at once.
 *
 * A wait takes its continuation as a callback, not a promise (round-loop.ts): the daemon's steady round
 * then allocates no promise and resumes no async function.
 * Must not: know about links, the engine or the configuration.
 */

import { type Clock, type ClockTimer, realClock } from "../util/clock.js";

/** Settled once: `.then` on it runs a continuation in a microtask. */
const SETTLED = Promise.resolve();

/** What the current wait is: a round's wait for its polls, the sleep to the next round, or a plain sleep. */
type WaitKind = "round" | "pace" | "plain";

export class DaemonWaits {
  /** What runs when the current wait is over. */
  private continuation: (() => void) | undefined;
  private timer: ClockTimer | undefined;
  private wakePending = false;
  private kind: WaitKind = "plain";
  /** The pacing timer, its interval, and whether it fired since the current round started. */
  private pacer: ClockTimer | undefined;
  private pacerMs = -1;
  private pacerFired = false;
  constructor(private readonly clock: Clock = realClock) {}

  /** Cut the current wait short (or the next one, when none is running). */
  wake(): void {
    this.wakePending = true;
    this.end(false);
  }

  /** A round's polls are back: end the round's wait, if that is the current wait. */
  roundSettled(): void {
    if (this.kind === "round") this.end(false);
  }

  /**
   * A round starts now, the next one `intervalMs` later: the pacing timer is due then (re-armed unless
   * it is this timer's firing that started the round).
   */
  startRound(intervalMs: number): void {
    if (this.pacer === undefined || intervalMs !== this.pacerMs) {
      this.pacer?.cancel();
      this.pacerMs = intervalMs;
      this.pacer = this.clock.setTimer(this.paced, intervalMs);
    } else if (!this.pacerFired) this.pacer.refresh();
    this.pacerFired = false;
  }

  /** No more rounds (stop, forced shutdown): the pacing timer is cancelled. */
  stopPacing(): void {
    this.pacer?.cancel();
    this.pacer = undefined;
    this.pacerMs = -1;
  }

  /** `then` once the round's polls are back or the round's interval is over (startRound), or a wake. */
  roundWait(then: () => void): void {
    this.wait("round", this.pacerFired, then);
  }

  /** `then` once the next round is due (the pacing timer), at once when it already fired; or a wake. */
  untilNextRound(then: () => void): void {
    this.wait("pace", this.pacerFired, then);
  }

  /** `then` after `ms`, cut short by wake(); `roundWait`: also by roundSettled(), and a wake is not used up. */
  sleepThen(ms: number, then: () => void, roundWait = false): void {
    this.wait(roundWait ? "round" : "plain", false, then);
    if (this.continuation !== undefined) this.timer = this.clock.setTimer(this.slept, ms);
  }

  /** `sleepThen` as a promise (the shutdown sequence's pauses). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepThen(ms, resolve));
  }

  private wait(kind: WaitKind, over: boolean, then: () => void): void {
    this.continuation = then;
    this.kind = kind;
    if (over || this.wakePending) this.end(false);
  }

  /** The pacing timer fired: due again one interval from now; ends a round's wait or the sleep to it. */
  private readonly paced = (): void => {
    this.pacer?.refresh();
    this.pacerFired = true;
    if (this.kind !== "plain") this.end(true);
  };

  /** A sleep's timer fired. */
  private readonly slept = (): void => {
    this.end(true);
  };

  /**
   * The wait is over (timer, wake(), the round's polls or the pacing timer). A timer's callback runs the
   * continuation itself (`fromTimer`: nothing else is under way, and Node would run a microtask right
   * after it anyway); otherwise it runs in a microtask, after the code that ended the wait (a socket
   * read, a reload, the wait's own start) has finished, as an `await` would resume.
   */
  private end(fromTimer: boolean): void {
    this.timer?.cancel();
    this.timer = undefined;
    const then = this.continuation;
    if (then === undefined) return;
    this.continuation = undefined;
    if (this.kind !== "round") this.wakePending = false;
    this.kind = "plain";
    if (fromTimer) then();
    else void SETTLED.then(then);
  }
}
