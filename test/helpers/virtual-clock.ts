/**
 * A virtual clock for the monitor daemon's `now` and `timers` options: virtual time moves only when
 * one of the daemon's own timers fires, to exactly that timer's due time. Real I/O (sockets, fake
 * servers) happens between timers without moving it, so a loaded machine changes how long a test
 * takes but never the times the daemon records. Timers run `speedup` times faster than virtual time.
 *
 * Must not: be used for anything but the daemon's own waits (the client's timeouts stay real).
 */
import type { MonitorTimers } from "../../src/monitor/waits.js";

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

  readonly timers: MonitorTimers = {
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
      const t = this.live.get(id as number);
      if (t !== undefined) clearTimeout(t);
      this.live.delete(id as number);
    },
  };

  /** Cancel every pending timer (test clean-up). */
  dispose(): void {
    for (const t of this.live.values()) clearTimeout(t);
    this.live.clear();
  }
}
