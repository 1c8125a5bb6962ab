import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeadlineTimer } from "../../src/client/deadline-timer.js";

/**
 * A connection's deadline timer under a steady poller: one request every POLL_MS, answered at once,
 * each with a timeout of POLL_MS (upsmon's defaults give both 5 s). The connection's part is played
 * here as reply-fifo.ts plays it: it tells the timer of each request queued, and when the timer fires
 * it times out an overdue request or re-arms the timer for the earliest deadline left.
 */
const POLL_MS = 5000;

describe("DeadlineTimer", () => {
  /** The fake timers' clock (it moves as they run): the timer's and the requests' clock. */
  const now = () => Date.now();
  /** The deadline of the request outstanding, if any (the poller's only one). */
  let pending: number | undefined;
  /** When the timer's callback ran, and what it found: a request timed out, or one still in time. */
  let wakes: string[];
  let timer: DeadlineTimer;

  const due = () => {
    if (pending === undefined) return;
    if (pending <= now()) {
      wakes.push(`${now()}: timed out`);
      pending = undefined;
    } else {
      wakes.push(`${now()}: re-armed`);
      timer.arm(pending);
    }
  };
  const queue = () => {
    const alone = pending === undefined;
    pending = now() + POLL_MS;
    timer.queued(pending, POLL_MS, alone);
  };
  const advance = (ms: number) => vi.advanceTimersByTime(ms);
  /** One poll: queued now, answered 2 ms later, the next one queued one interval later. */
  const round = () => {
    queue();
    advance(2);
    pending = undefined;
    advance(POLL_MS - 2);
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    pending = undefined;
    wakes = [];
    timer = new DeadlineTimer(due, now);
  });
  afterEach(() => {
    timer.stop();
    vi.useRealTimers();
  });

  it("a steady poller refreshes one timer: one setTimeout in a hundred polls", () => {
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    for (let i = 0; i < 100; i++) round();
    expect([setTimeoutSpy.mock.calls.length, wakes]).toEqual([1, []]);
  });

  it("a request queued alone replaces a timer re-armed for what was left of a deadline", () => {
    // the timer fired with a request pending (when the event loop wakes late, Node may run the
    // callback of a timer after the next poll was queued) and was re-armed for that request's deadline
    round();
    timer.arm(now() + POLL_MS - 3);
    advance(2);
    // that request was answered; the next poll, alone, is due one full timeout from now: the timer
    // wakes then, not at the old deadline with the request still in time (before, every later request
    // was queued alone on a timer left armed for a remainder, so it woke once per poll and was
    // replaced by a new setTimeout each time)
    const queuedAt = now();
    queue();
    advance(POLL_MS);
    expect(wakes).toEqual([`${queuedAt + POLL_MS}: timed out`]);
  });

  it("times a request out at its deadline", () => {
    for (let i = 0; i < 10; i++) round();
    const queuedAt = now();
    queue(); // never answered
    advance(POLL_MS - 1);
    expect(wakes).toEqual([]);
    advance(1);
    expect(wakes).toEqual([`${queuedAt + POLL_MS}: timed out`]);
  });
});
