/**
 * Time as a dependency: `now()`, timers and cancellable sleeps. The daemon and `nutguard server`'s
 * simulation take a Clock; `realClock` (Date.now and Node's timers) is the default, and a
 * `VirtualClock` runs the same code on simulated time: a power failure of minutes plays in
 * milliseconds (tests, the drill).
 *
 * I/O that a caller awaits is wrapped in `during(promise)`: the real clock ignores it; a virtual clock
 * never moves time forward while any such work is pending, so a reply that takes real time arrives
 * at the same simulated instant it was asked for.
 */

export interface ClockTimer {
  /** Stop it; a cancelled timer never fires. */
  cancel(): void;
  /** Start the same wait again from now (as Node's timeout.refresh()). */
  refresh(): void;
}

/** I/O under way that is not a promise (a callback will come): a virtual clock holds still until release(). */
export interface ClockHold {
  /** The I/O is over (once; later calls do nothing). */
  release(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (simulated for a virtual clock). */
  now(): number;
  /** Calls `fn` once after `ms`. `unref`: a real timer that does not keep the process alive. */
  setTimer(fn: () => void, ms: number, options?: { unref?: boolean }): ClockTimer;
  /** Resolves after `ms`, or at once (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** I/O being awaited: a virtual clock holds time still until it settles. Returns `work`. */
  during<T>(work: Promise<T>): Promise<T>;
  /** `during` for I/O that ends in a callback: held until the returned hold is released. */
  hold(): ClockHold;
}

/** The real clock's hold: nothing to hold (one shared object, nothing allocated per I/O). */
export const NO_HOLD: ClockHold = Object.freeze({ release: () => {} });

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Calls `fn` every `ms` on `clock` until the returned timer is cancelled. */
export function repeatEvery(
  clock: Clock,
  ms: number,
  fn: () => void,
  options?: { unref?: boolean },
): ClockTimer {
  const timer = clock.setTimer(
    () => {
      timer.refresh();
      fn();
    },
    ms,
    options,
  );
  return timer;
}

/** Date.now and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms, options) {
    const t = setTimeout(fn, ms);
    if (options?.unref) t.unref();
    return {
      cancel: () => clearTimeout(t),
      refresh: () => {
        t.refresh();
      },
    };
  },
  sleep(ms, signal) {
    return sleepOn(realClock, ms, signal);
  },
  during: (work) => work,
  hold: () => NO_HOLD,
};

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  ms: number;
  live: boolean;
}

/**
 * Simulated time. `advance(ms)` moves it by hand; `runUntil(promise)` moves it by itself: whenever
 * no `during()` work is pending and the event loop has settled, it jumps to the next timer and fires
 * it (timers due at the same instant fire in the order they were set).
 */
export class VirtualClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new Set<VirtualTimer>();
  private busy = 0;
  private wakeDriver: (() => void) | undefined;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(fn: () => void, ms: number): ClockTimer {
    const t: VirtualTimer = { at: this.nowMs + Math.max(0, ms), seq: this.seq++, fn, ms, live: true };
    this.timers.add(t);
    this.poke();
    return {
      cancel: () => {
        t.live = false;
        this.timers.delete(t);
      },
      refresh: () => {
        t.at = this.nowMs + Math.max(0, t.ms);
        t.seq = this.seq++;
        t.live = true;
        this.timers.add(t);
        this.poke();
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  hold(): ClockHold {
    this.busy++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.busy--;
        this.poke();
      },
    };
  }

  during<T>(work: Promise<T>): Promise<T> {
    this.busy++;
    const settle = () => {
      this.busy--;
      this.poke();
    };
    work.then(settle, settle);
    return work;
  }

  /** Timers still waiting. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (let t = this.next(); t !== undefined && t.at <= until; t = this.next()) this.fire(t);
    this.nowMs = until;
  }

  /**
   * Runs simulated time until `done` settles: while no `during()` work is pending, lets the event
   * loop settle and jumps to the next timer. Real time spent is only the work itself.
   */
  async runUntil<T>(done: Promise<T>): Promise<T> {
    let finished = false;
    const result = done.finally(() => {
      finished = true;
      this.poke();
    });
    while (!finished) {
      await settleEventLoop();
      if (finished) break;
      const t = this.busy === 0 ? this.next() : undefined;
      if (t === undefined) {
        await new Promise<void>((resolve) => {
          this.wakeDriver = resolve;
        });
        continue;
      }
      this.fire(t);
    }
    return result;
  }

  private next(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private fire(t: VirtualTimer): void {
    this.timers.delete(t);
    if (t.at > this.nowMs) this.nowMs = t.at;
    t.live = false;
    t.fn();
  }

  private poke(): void {
    const wake = this.wakeDriver;
    this.wakeDriver = undefined;
    wake?.();
  }
}

/** Lets pending promise chains and already-readable I/O run before simulated time moves on. */
async function settleEventLoop(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
