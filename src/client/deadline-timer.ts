/**
 * One timer for the earliest deadline of a connection's pending requests (cheaper than one per
 * request). A steady poller re-arms the same timer with `refresh()` instead of waking up for deadlines
 * already met. Knows nothing about requests: the connection says when one is queued and, when the
 * timer fires, finds what is overdue and re-arms it for the earliest deadline left.
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

  constructor(private readonly due: () => void) {}

  /** A request due by `deadline` (its timeout `timeoutMs`) was queued; `alone`: nothing else is pending. */
  queued(deadline: number, timeoutMs: number, alone: boolean): void {
    if (alone && this.timer !== undefined && this.ms === timeoutMs) {
      // nothing else pending: the timer's old deadline is moot; push it to this request's
      this.timer.refresh();
      this.at = deadline;
    } else if (deadline < this.at) {
      this.arm(deadline);
    }
  }

  /** Due at `at` (after the timer fired and requests are still pending). */
  arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.ms = Math.max(0, Math.ceil(at - monotonicMs()));
    this.timer = setTimeout(this.fire, this.ms);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.at = Number.POSITIVE_INFINITY;
    this.due();
  };
}
