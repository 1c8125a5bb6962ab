/**
 * The daemon's waits, on the injected clock (util/clock.ts; tests run the daemon on virtual time): the sleep
 * between rounds and a round's wait for its polls (the shutdown sequence's pauses are the clock's sleep).
 *
 * `wake()` (reload, forced shutdown, stop, parent gone) cuts the current wait short, or the next one
 * when none is running, and is used up by the sleep between rounds. A round's wait also ends when
 * `roundSettled()` says its polls are back; it leaves a pending wake for the sleep after the
 * evaluation, so the next round starts at once.
 * One timer serves a round: when the polls settle early it stays armed, and the sleep to the next round
 * start (due at the same time) waits on it; a timer that fired is set again with refresh(). So a steady
 * round arms no new timer (issue 16: a second timer per round cost about 10 µs of CPU per cycle).
 * Must not: know about links, the engine or the configuration.
 */

import { type Clock, type ClockTimer, realClock } from "../util/clock.js";

/** A wait due this close (ms) to the armed timer's due time ends with that timer. */
const SAME_DUE_MS = 2;

export class DaemonWaits {
  private resolveWait: (() => void) | undefined;
  /** One timer, reused: the round's timer stays armed when its polls settle early, for the sleep after. */
  private timer: ClockTimer | undefined;
  private armed = false;
  /** The delay the timer was set with (refresh() re-arms it with the same), and when it is due. */
  private timerMs = -1;
  private timerDueMs = 0;
  private wakePending = false;
  /** The current wait is a round's wait for its polls. */
  private inRoundWait = false;
  constructor(private readonly clock: Clock = realClock) {}

  /** Cut the current wait short (or the next one, when none is running). */
  wake(): void {
    this.wakePending = true;
    this.disarm();
    this.end();
  }

  /** A round's polls are back: end the round's wait, if that is the current wait (its timer stays armed). */
  roundSettled(): void {
    if (this.inRoundWait) this.end();
  }

  /** Sleep `ms`, cut short by wake(); `roundWait`: also by roundSettled(), and a wake is not used up. */
  sleep(ms: number, roundWait = false): Promise<void> {
    return new Promise((resolve) => {
      this.resolveWait = resolve;
      this.inRoundWait = roundWait;
      if (this.wakePending) {
        this.disarm();
        this.end();
        return;
      }
      const dueMs = this.clock.now() + ms;
      // the sleep to the next round start ends when the round's own wait would have: same timer
      if (this.armed && Math.abs(dueMs - this.timerDueMs) <= SAME_DUE_MS) return;
      this.arm(ms, dueMs);
    });
  }

  private arm(ms: number, dueMs: number): void {
    if (this.timer !== undefined && !this.armed && ms === this.timerMs) {
      this.timer.refresh(); // a timer that fired: set again, nothing allocated
    } else {
      this.disarm();
      this.timer = this.clock.setTimer(this.fired, ms);
      this.timerMs = ms;
    }
    this.armed = true;
    this.timerDueMs = dueMs;
  }

  /** Cancel an armed timer; a cancelled timer is never reused. */
  private disarm(): void {
    if (!this.armed) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.armed = false;
  }

  private readonly fired = (): void => {
    this.armed = false;
    this.end();
  };

  /** The wait is over (timer, wake() or the round's polls): resolve it. */
  private end(): void {
    const resolve = this.resolveWait;
    if (resolve === undefined) return;
    this.resolveWait = undefined;
    if (!this.inRoundWait) this.wakePending = false;
    this.inRoundWait = false;
    resolve();
  }
}
