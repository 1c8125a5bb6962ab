/**
 * A clock for tests of I/O shells that schedule work (src/util/clock.ts): time moves only when the
 * test calls advance(to), which runs the due timers in time order and lets promises settle between
 * them (I/O a shell starts, such as a child process, still runs on real time).
 */
import { type Clock, type ClockHold, type ClockTimer, NO_HOLD } from "../../src/util/clock.js";

interface ManualTimer {
  at: number;
  ms: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  t = 0;
  private timers = new Set<ManualTimer>();
  now = () => this.t;
  setTimer(fn: () => void, ms: number): ClockTimer {
    const timer: ManualTimer = { at: this.t + ms, ms, fn };
    this.timers.add(timer);
    return {
      cancel: () => void this.timers.delete(timer),
      refresh: () => {
        timer.at = this.t + timer.ms;
        this.timers.add(timer);
      },
    };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.setTimer(resolve, ms);
      signal?.addEventListener("abort", () => {
        timer.cancel();
        resolve();
      });
    });
  }
  hold(): ClockHold {
    return NO_HOLD;
  }

  during<T>(work: Promise<T>): Promise<T> {
    return work;
  }
  /** Run every timer due up to `to`, letting promises settle between them (time never goes back). */
  async advance(to: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = [...this.timers].filter((x) => x.at <= to).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.timers.delete(next);
      this.t = Math.max(this.t, next.at); // time set ahead by a test (a suspend): overdue timers fire now
      next.fn();
    }
    this.t = to;
    await new Promise((r) => setImmediate(r));
  }
}
