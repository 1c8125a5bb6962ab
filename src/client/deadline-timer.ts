/**
 * One timer for the earliest deadline of a connection's pending requests (cheaper than one per
 * request). A steady poller re-arms the same timer with `refresh()` instead of waking up for deadlines
 * already met. Knows nothing about requests: the FIFO (reply-fifo.ts) says when one is queued and, when
 * the timer fires, finds what is overdue and re-arms it for the earliest deadline left.
 */

/**
 * A monotonic clock in ms for request deadlines. process.uptime() rather than performance.now(): the
 * `performance` global loads perf_hooks and about ten internal modules, memory a monitor keeps for good.
 */
export function monotonicMs(): number {
  return process.uptime() * 1000;
}

export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;
  /** The delay the timer was armed with (refresh() re-arms it with the same delay). */
  private ms = -1;

  constructor(
    private readonly due: () => void,
    /** The monotonic clock deadlines are on (tests inject one). */
    private readonly now: () => number = monotonicMs,
  ) {}

  /** A request due by `deadline` (its timeout `timeoutMs`) was queued; `alone`: nothing else is pending. */
  queued(deadline: number, timeoutMs: number, alone: boolean): void {
    if (alone) {
      // nothing else pending: the timer's old deadline is moot; push it to this request's. A timer
      // armed for what was left of a deadline (it fired with requests pending), or none yet, is
      // replaced by one of the full timeout once, so a steady poller is back to refreshing one timer;
      // otherwise one wake late enough that the timer fires just after the next request was queued
      // would cost a new timer per request from then on.
      if (this.timer !== undefined && this.ms === timeoutMs) this.timer.refresh();
      else this.start(timeoutMs);
      this.at = deadline;
    } else if (deadline < this.at) {
      this.arm(deadline);
    }
  }

  /** Due at `at` (after the timer fired and requests are still pending). */
  arm(at: number): void {
    this.at = at;
    this.start(Math.max(0, Math.ceil(at - this.now())));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.ms = ms;
    this.timer = setTimeout(this.fire, ms);
  }

  private readonly fire = (): void => {
    this.at = Number.POSITIVE_INFINITY;
    this.due();
  };
}
