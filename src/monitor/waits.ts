/**
 * The daemon's waits, on injectable timers (so tests run the daemon on virtual time): the sleep
 * between rounds, a round's wait for its polls, and plain pauses inside the shutdown sequence.
 *
 * `wake()` (reload, forced shutdown, stop, parent gone) cuts the current wait short, or the next one
 * when none is running, and is used up by the sleep between rounds. A round's wait also ends when
 * `roundSettled()` says its polls are back; it leaves a pending wake for the sleep after the
 * evaluation, so the next round starts at once.
 * Must not: know about links, the engine or the configuration.
 */

export interface MonitorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: MonitorTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class DaemonWaits {
  private resolveWait: (() => void) | undefined;
  private timer: unknown;
  private wakePending = false;
  /** The current wait is a round's wait for its polls. */
  private inRoundWait = false;
  private readonly timers: MonitorTimers;

  constructor(timers?: MonitorTimers) {
    this.timers = timers ?? realTimers;
  }

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
      else this.timer = this.timers.setTimeout(this.end, ms);
    });
  }

  /** Plain sleep that wake() does not cut short (used inside the shutdown sequence). */
  pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.setTimeout(resolve, ms));
  }

  /** The wait is over (timer, wake() or the round's polls): resolve it. */
  private readonly end = (): void => {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const resolve = this.resolveWait;
    if (resolve === undefined) return;
    this.resolveWait = undefined;
    if (!this.inRoundWait) this.wakePending = false;
    this.inRoundWait = false;
    resolve();
  };
}
