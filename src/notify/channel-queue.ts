/**
 * One channel's delivery queue: notifications go out one at a time in order; a transient failure is
 * retried with backoff (retry.ts) while later ones wait behind it, until the notification's lifetime
 * ends; a permanent failure is not retried. Urgent ones (FSD, SHUTDOWN) never wait behind the queue:
 * each runs its own tries at once, so a hung receiver cannot hold back the last words before a
 * shutdown. Nothing here blocks the caller: `push()` returns at once.
 *
 * Logging: one line when a failure episode starts (the first failed try after a success) and one when
 * it ends (the next delivery), with the tries that failed and the notifications lost in between.
 * Time and timers are injected (`Clock`), so the policy is testable without waiting.
 */
import { type Clock, type ClockTimer, realClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { RenderedNotification } from "./requests.js";
import { DELIVERY_LIFETIME_MS, nextTryMs, type SendResult } from "./retry.js";
import type { Transport } from "./transports.js";

export const MAX_QUEUED = 100;

interface Item {
  n: RenderedNotification;
  queuedMs: number;
  failures: number;
}

export interface ChannelQueueOptions {
  name: string;
  send: Transport;
  log: Logger;
  clock?: Clock;
  lifetimeMs?: number;
  maxQueued?: number;
}

function describe(n: RenderedNotification): string {
  return `${n.payload.event}${n.payload.ups === null ? "" : ` for ${n.payload.ups}`}`;
}

export class ChannelQueue {
  private readonly fifo: Item[] = [];
  private sending = false;
  private retryTimer: ClockTimer | undefined;
  private readonly urgent = new Set<Promise<void>>();
  private readonly timers = new Set<ClockTimer>();
  private failing = false;
  private failedTries = 0;
  private lost = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private idleWaiters: (() => void)[] = [];
  private readonly clock: Clock;
  private readonly lifetimeMs: number;

  constructor(private readonly o: ChannelQueueOptions) {
    this.clock = o.clock ?? realClock;
    this.lifetimeMs = o.lifetimeMs ?? DELIVERY_LIFETIME_MS;
  }

  /** Queue a notification; `urgent` ones are sent at once, beside the queue. */
  push(n: RenderedNotification, urgent = false): void {
    if (this.stopped) return;
    const item: Item = { n, queuedMs: this.clock.now(), failures: 0 };
    if (urgent) {
      const p = this.runAlone(item).finally(() => {
        this.urgent.delete(p);
        this.checkIdle();
      });
      this.urgent.add(p);
      return;
    }
    this.fifo.push(item);
    const max = this.o.maxQueued ?? MAX_QUEUED;
    while (this.fifo.length > max) {
      const dropped = this.fifo.splice(this.sending ? 1 : 0, 1)[0]!;
      this.lost++;
      this.o.log.debug(`notify [${this.o.name}]: queue full, dropped ${describe(dropped.n)}`);
    }
    this.pump();
  }

  /** Pending notifications (queued and urgent in flight). */
  get pending(): number {
    return this.fifo.length + this.urgent.size;
  }

  /** Urgent notifications in flight (sent beside the queue, not yet delivered or given up). */
  get urgentPending(): number {
    return this.urgent.size;
  }

  /** Resolves when the urgent notifications pushed so far are delivered or given up. */
  async urgentSettled(): Promise<void> {
    while (this.urgent.size > 0) await Promise.all([...this.urgent]);
  }

  /** Resolves when nothing is pending. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drop everything pending, abort tries in flight, cancel timers (the monitor is stopping). */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.retryTimer?.cancel();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.fifo.length = 0;
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    if (this.sending || this.stopped || this.fifo.length === 0) return;
    this.sending = true;
    const item = this.fifo[0]!;
    void this.attempt(item).then((retryAt) => {
      this.sending = false;
      if (this.stopped) return;
      if (retryAt === undefined) {
        this.fifo.shift();
        this.checkIdle();
        this.pump();
        return;
      }
      this.sending = true;
      this.retryTimer = this.clock.setTimer(
        () => {
          this.sending = false;
          this.pump();
        },
        Math.max(0, retryAt - this.clock.now()),
      );
    });
  }

  /** Urgent: its own tries, same policy. */
  private async runAlone(item: Item): Promise<void> {
    for (;;) {
      const retryAt = await this.attempt(item);
      if (retryAt === undefined || this.stopped) return;
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimer(
          () => {
            this.timers.delete(t);
            resolve();
          },
          Math.max(0, retryAt - this.clock.now()),
        );
        this.timers.add(t);
      });
      if (this.stopped) return;
    }
  }

  /** One try; resolves with when to try again, or undefined when the item is done (sent or given up). */
  private async attempt(item: Item): Promise<number | undefined> {
    let result: SendResult;
    try {
      result = await this.o.send(item.n, this.abort.signal);
    } catch (err) {
      result = { ok: false, transient: true, reason: (err as Error).message };
    }
    if (this.stopped) return undefined;
    if (result.ok) {
      if (this.failing) {
        this.o.log.notice(
          `notify [${this.o.name}]: delivering again after ${this.failedTries} failed ${this.failedTries === 1 ? "try" : "tries"}` +
            (this.lost > 0 ? `; ${this.lost} notification${this.lost === 1 ? "" : "s"} lost` : ""),
        );
      }
      this.failing = false;
      this.failedTries = 0;
      this.lost = 0;
      return undefined;
    }
    item.failures++;
    this.failedTries++;
    const now = this.clock.now();
    const retryAt = result.transient
      ? nextTryMs(item.queuedMs, now, item.failures, this.lifetimeMs)
      : undefined;
    const what = `${describe(item.n)}: ${result.reason}`;
    if (!this.failing) {
      this.failing = true;
      const then = result.transient
        ? `retrying for up to ${Math.round(this.lifetimeMs / 1000)} s`
        : "not retried";
      this.o.log.warning(`notify [${this.o.name}]: cannot deliver ${what}; ${then}`);
    } else {
      this.o.log.debug(`notify [${this.o.name}]: try ${item.failures} failed: ${what}`);
    }
    if (retryAt === undefined) {
      this.lost++;
      if (result.transient) this.o.log.debug(`notify [${this.o.name}]: gave up on ${describe(item.n)}`);
    }
    return retryAt;
  }
}
