/**
 * The daemon's waits, on the injected clock (util/clock.ts; tests run the daemon on virtual time): the sleep
 * between rounds and a round's wait for its polls (the shutdown sequence's pauses are the clock's sleep).
 *
 * `wake()` (reload, forced shutdown, stop, parent gone) cuts the current wait short, or the next one
 * when none is running, and is used up by the sleep between rounds. A round's wait also ends when
 * `roundSettled()` says its polls are back; it leaves a pending wake for the sleep after the
 * evaluation, so the next round starts at once.
 * Must not: know about links, the engine or the configuration.
 */

import { type Clock, type ClockTimer, realClock } from "../util/clock.js";

export class DaemonWaits {
  private resolveWait: (() => void) | undefined;
  private timer: ClockTimer | undefined;
  private wakePending = false;
  /** The current wait is a round's wait for its polls. */
  private inRoundWait = false;
  constructor(private readonly clock: Clock = realClock) {}

  /** Cut the current wait short (or the next one, when none is running). */
  wake(): void {
    this.wakePending = true;
    this.end();
  }

  /** A round's polls are back: end the round's wait, if that is the current wait. */
  roundSettled(): void {
    if (this.inRoundWait) this.end();
  }

  /** Sleep `ms`, cut short by wake(); `roundWait`: also by roundSettled(), and a wake is not used up. */
  sleep(ms: number, roundWait = false): Promise<void> {
    return new Promise((resolve) => {
      this.resolveWait = resolve;
      this.inRoundWait = roundWait;
      if (this.wakePending) this.end();
      else this.timer = this.clock.setTimer(this.end, ms);
    });
  }

  /** The wait is over (timer, wake() or the round's polls): resolve it. */
  private readonly end = (): void => {
    this.timer?.cancel();
    this.timer = undefined;
    const resolve = this.resolveWait;
    if (resolve === undefined) return;
    this.resolveWait = undefined;
    if (!this.inRoundWait) this.wakePending = false;
    this.inRoundWait = false;
    resolve();
  };
}
