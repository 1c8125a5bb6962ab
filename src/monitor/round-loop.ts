/**
 * The monitor's poll loop: when rounds start, how long a round waits for its polls, the sleep to the
 * next round, and wake-ups that took far longer than asked (suspend/resume) or went backwards (the
 * clock was set). What a round does is the daemon's (`RoundSteps`, daemon.ts); the waits are waits.ts.
 *
 * Steps, each arranging the next through a wait rather than an async function awaiting in a loop: a
 * steady round then allocates no promise and resumes no async function (about a kilobyte a round less
 * at POLLFREQ 1, a third of what a round allocated; bench/README.md, eleventh pass). A step that throws
 * ends the loop (`failed`).
 *
 * 1. A round starts: every UPS is polled at once (`startPolls`), then the round waits until its polls
 *    are back (waits.roundSettled) or one interval has passed.
 * 2. The round ends (`endRound`: the results, the evaluation, its event); then the loop sleeps until one
 *    interval after the round started (at once if that has passed; never longer than one interval,
 *    should the clock have been set back). Rounds of at least MIN_ROUND_WAIT_MS are paced by one timer
 *    re-armed as it fires (waits.ts), so a steady round arms no timer.
 * 3. The next round starts. A stop (`isStopping`) is seen at each step; the loop then ends (`stopped`).
 * Must not: know about links, the engine or the configuration.
 */
import type { Clock } from "../util/clock.js";
import type { DaemonWaits } from "./waits.js";

/** upsmon HEAD: a sleep longer than the interval + 5 s is a wake-up from suspend (or a clock change). */
const TIME_JUMP_TOLERANCE_MS = 5000;
/** The longest a round waits for its polls when the interval is shorter (POLLFREQ 0). */
const MIN_ROUND_WAIT_MS = 1000;

/** Rounds of at least MIN_ROUND_WAIT_MS are paced by the waits' pacing timer. */
function isPaced(intervalMs: number): boolean {
  return intervalMs >= MIN_ROUND_WAIT_MS;
}

/** The longest a round of `intervalMs` waits for its polls. */
function roundWaitMs(intervalMs: number): number {
  return Math.max(intervalMs, MIN_ROUND_WAIT_MS);
}

/** What a round does: the daemon's side of the loop. */
export interface RoundSteps {
  /** True once the monitor is stopping: the loop ends at its next step. */
  isStopping(): boolean;
  /** The time between round starts now. */
  intervalMs(): number;
  /** Start the round's polls; `waitMs`: the longest the round's wait lasts. */
  startPolls(roundStartMs: number, waitMs: number): void;
  /** The round's wait is over: evaluate it. False: the host must shut down (the loop ends, `shutDown`). */
  endRound(nowMs: number): boolean;
  /** Start the forced shutdown (the loop has ended, its pacing stopped). */
  shutDown(): void;
  /** A wait took `sleptMs`, far longer than asked or less than nothing (suspend/resume, the clock set). */
  timeJumped(nowMs: number, sleptMs: number): void;
  /** The loop ended on a stop. */
  stopped(): void;
  /** A step threw: the loop has ended. */
  failed(err: unknown): void;
}

export class RoundLoop {
  private roundStartMs = 0;
  /** The current round's interval, as it was when the round started. */
  private roundIntervalMs = 0;
  private sleepStartMs = 0;
  private sleepMs = 0;

  constructor(
    private readonly waits: DaemonWaits,
    private readonly clock: Clock,
    private readonly steps: RoundSteps,
  ) {}

  /** The first round starts now (its polls before this returns). */
  start(): void {
    this.roundStartMs = this.clock.now();
    this.guarded(this.startRound);
  }

  private readonly startRound = (): void => {
    if (this.steps.isStopping()) {
      this.stop();
      return;
    }
    const intervalMs = this.steps.intervalMs();
    this.roundIntervalMs = intervalMs;
    const paced = isPaced(intervalMs);
    if (paced) this.waits.startRound(intervalMs);
    else this.waits.stopPacing();
    const waitMs = roundWaitMs(intervalMs);
    this.steps.startPolls(this.roundStartMs, waitMs);
    if (paced) this.waits.roundWait(this.roundWaitOver);
    else this.waits.sleepThen(waitMs, this.roundWaitOver, true);
  };

  private readonly roundWaitOver = (): void => {
    this.guarded(this.endRound);
  };

  private readonly endRound = (): void => {
    if (this.steps.isStopping()) {
      this.stop();
      return;
    }
    const nowMs = this.clock.now();
    this.checkTimeJump(this.roundStartMs, roundWaitMs(this.roundIntervalMs), nowMs);
    if (!this.steps.endRound(nowMs)) {
      this.waits.stopPacing();
      this.steps.shutDown();
      return;
    }
    if (this.steps.isStopping()) {
      this.stop();
      return;
    }
    const beforeMs = this.clock.now();
    const intervalMs = this.steps.intervalMs();
    const sleepMs = Math.min(intervalMs, Math.max(0, this.roundStartMs + intervalMs - beforeMs));
    this.sleepStartMs = beforeMs;
    this.sleepMs = sleepMs;
    // the pacing timer starts the next round, unless the interval changed this round
    if (isPaced(intervalMs) && intervalMs === this.roundIntervalMs)
      this.waits.untilNextRound(this.nextRoundDue);
    else this.waits.sleepThen(sleepMs, this.nextRoundDue);
  };

  private readonly nextRoundDue = (): void => {
    this.guarded(this.beginNextRound);
  };

  private readonly beginNextRound = (): void => {
    this.roundStartMs = this.clock.now();
    this.checkTimeJump(this.sleepStartMs, this.sleepMs, this.roundStartMs);
    this.startRound();
  };

  private guarded(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.waits.stopPacing();
      this.steps.failed(err);
    }
  }

  private stop(): void {
    this.waits.stopPacing();
    this.steps.stopped();
  }

  /** A wait from `beforeMs` to `nowMs` that took far longer than `expectedMs`, or went backwards. */
  private checkTimeJump(beforeMs: number, expectedMs: number, nowMs: number): void {
    const sleptMs = nowMs - beforeMs;
    if (sleptMs >= 0 && sleptMs <= expectedMs + TIME_JUMP_TOLERANCE_MS) return;
    this.steps.timeJumped(nowMs, sleptMs);
  }
}
