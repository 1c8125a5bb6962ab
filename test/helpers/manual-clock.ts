/**
 * A clock for tests of I/O shells that schedule work (src/util/clock.ts): time moves only when the
 * test calls advance(), which runs the due timers in time order and lets promises settle between them.
 */
import type { Clock } from "../../src/util/clock.js";

export class ManualClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  /** Run every timer due up to `to`, letting promises settle between them. */
  async advance(to: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = this.timers.filter((x) => x.at <= to).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = to;
    await new Promise((r) => setImmediate(r));
  }
}
