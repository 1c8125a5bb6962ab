/**
 * A virtual clock for the monitor daemon's `clock` option (`.clock`): virtual time moves only when
 * one of the daemon's own timers fires, to exactly that timer's due time. Real I/O (sockets, fake
 * servers) happens between timers without moving it, so a loaded machine changes how long a test
 * takes but never the times the daemon records. Timers run `speedup` times faster than virtual time.
 *
 * Must not: be used for anything but the daemon's own waits (the client's timeouts stay real).
 */
import { type Clock, type ClockTimer, NO_HOLD } from "../../src/util/clock.js";

interface SpedUpTimers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

export class VirtualClock {
  private nowMs: number;
  private readonly live = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  constructor(
    startMs = 1_800_000_000_000,
    private readonly speedup = 10,
  ) {
    this.nowMs = startMs;
  }

  readonly now = (): number => this.nowMs;

  readonly timers: SpedUpTimers = {
    setTimeout: (fn, ms) => {
      const due = this.nowMs + ms;
      const id = this.nextId++;
      const t = setTimeout(() => {
        this.live.delete(id);
        if (due > this.nowMs) this.nowMs = due;
        fn();
      }, ms / this.speedup);
      this.live.set(id, t);
      return id;
    },
    clearTimeout: (id) => {
      const t = this.live.get(id);
      if (t !== undefined) clearTimeout(t);
      this.live.delete(id);
    },
  };

  /** The same, as the Clock the daemon takes. */
  readonly clock: Clock = {
    now: this.now,
    setTimer: (fn, ms) => {
      let id = this.timers.setTimeout(fn, ms);
      const timer: ClockTimer = {
        cancel: () => this.timers.clearTimeout(id),
        refresh: () => {
          this.timers.clearTimeout(id);
          id = this.timers.setTimeout(fn, ms);
        },
      };
      return timer;
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const id = this.timers.setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
          this.timers.clearTimeout(id);
          resolve();
        });
      }),
    during: (work) => work,
    hold: () => NO_HOLD,
  };

  /** Cancel every pending timer (test clean-up). */
  dispose(): void {
    for (const t of this.live.values()) clearTimeout(t);
    this.live.clear();
  }
}
