/**
 * Notification channels as a subscriber of the monitor's event stream (monitor/events.ts): each
 * `notification` event goes through every channel's UPS filter, `delay` (delay-filter.ts) and event
 * filter, is rendered with the channel's template, and is queued on the channel's own queue
 * (channel-queue.ts). The listener only queues: it never waits for a receiver, so polling and the
 * shutdown never wait for it either. FSD and SHUTDOWN are urgent (sent at once, beside the queue);
 * `settle(ms)` lets a stopping monitor give them what is left of their window: URGENT_WINDOW_MS from
 * when the last of them was sent. FINALDELAY runs meanwhile, so with FINALDELAY ≥ 3 s the window is
 * over before SHUTDOWNCMD and the monitor exits at once; with FINALDELAY 0 ("now") SHUTDOWNCMD still
 * runs at once and only the monitor's exit waits the rest of the window. SHUTDOWNCMD never waits.
 */
import { UPSLESS_NOTIFY_TYPES } from "../config/upsmon-notify-types.js";
import type { MonitorEvent, MonitorSnapshot } from "../monitor/events.js";
import { type Clock, type ClockTimer, realClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { ChannelQueue } from "./channel-queue.js";
import { DelayFilter } from "./delay-filter.js";
import type { ReadyChannel } from "./secrets.js";
import { type NotificationFacts, renderNotification } from "./template.js";
import { type Transport, transportFor } from "./transports.js";

export interface NotifierOptions {
  channels: readonly ReadyChannel[];
  /** The monitor's snapshot, for the UPS's status, charge and runtime (none: those are null). */
  snapshot?: () => MonitorSnapshot | undefined;
  hostName: string;
  log: Logger;
  clock?: Clock;
  /** How each channel delivers (default: transports.ts). */
  transport?: (ch: ReadyChannel) => Transport;
}

/** Types sent beside the queue, at once; a stopping monitor waits for them within URGENT_WINDOW_MS. */
export const URGENT_TYPES: ReadonlySet<string> = new Set(["FSD", "SHUTDOWN"]);

/** The window of an urgent notification, counted from when it was sent (not from the monitor's stop). */
export const URGENT_WINDOW_MS = 3000;

/** Whether a channel's `ups =` filter lets this UPS through (host-wide events always pass). */
export function upsMatches(filter: readonly string[] | undefined, ups: string | undefined): boolean {
  if (filter === undefined || ups === undefined) return true;
  const name = ups.replace(/@.*$/, "");
  return filter.some((f) => f === ups || f === name);
}

/** The facts of a notification event, with what the snapshot knows of its UPS. */
export function factsOf(
  e: Extract<MonitorEvent, { kind: "notification" }>,
  snapshot: MonitorSnapshot | undefined,
  hostName: string,
): NotificationFacts {
  const ups = e.ups !== undefined && !UPSLESS_NOTIFY_TYPES.has(e.type) ? e.ups : undefined;
  const u = ups === undefined ? undefined : snapshot?.ups.find((s) => s.system === ups);
  const status =
    u === undefined
      ? undefined
      : (u.readings.status ?? (u.status.length > 0 ? u.status.join(" ") : undefined));
  return {
    event: e.type,
    ups: ups ?? null,
    nutMessage: e.message,
    status: status ?? null,
    charge: u?.readings.charge ?? null,
    runtime: u?.readings.runtime ?? null,
    host: hostName,
    time: new Date(e.timeMs).toISOString(),
  };
}

class ChannelPipeline {
  readonly queue: ChannelQueue;
  private readonly delay: DelayFilter<NotificationFacts>;
  private timer: ClockTimer | undefined;

  constructor(
    readonly ch: ReadyChannel,
    send: Transport,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    this.queue = new ChannelQueue({ name: ch.name, send, log, clock });
    this.delay = new DelayFilter(ch.delaySec * 1000);
  }

  offer(facts: NotificationFacts): void {
    if (!upsMatches(this.ch.ups, facts.ups ?? undefined)) return;
    const now = this.clock.now();
    this.emit(this.delay.offer({ type: facts.event, ups: facts.ups ?? undefined, item: facts }, now));
    this.arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.queue.stop();
  }

  private arm(): void {
    this.timer?.cancel();
    const due = this.delay.nextDueMs();
    if (due === undefined) return;
    this.timer = this.clock.setTimer(
      () => {
        this.emit(this.delay.due(this.clock.now()));
        this.arm();
      },
      Math.max(0, due - this.clock.now()),
    );
  }

  private emit(list: NotificationFacts[]): void {
    for (const facts of list) {
      if (!this.ch.events.has(facts.event)) continue;
      const n = renderNotification(facts, this.ch.template, this.ch.title);
      this.log.debug(`notify [${this.ch.name}]: queued ${facts.event}`, 2);
      this.queue.push(n, URGENT_TYPES.has(facts.event));
    }
  }
}

export class ChannelNotifier {
  private readonly pipelines: ChannelPipeline[];
  private readonly clock: Clock;
  /** When the last FSD/SHUTDOWN was offered (their window starts there). */
  private lastUrgentMs: number | undefined;

  constructor(private readonly o: NotifierOptions) {
    this.clock = o.clock ?? realClock;
    const transport = o.transport ?? transportFor;
    this.pipelines = o.channels.map((ch) => new ChannelPipeline(ch, transport(ch), o.log, this.clock));
  }

  /** The monitor listener: queue notifications; never throws, never waits. */
  readonly onEvent = (e: MonitorEvent): void => {
    if (e.kind !== "notification" || this.pipelines.length === 0) return;
    if (URGENT_TYPES.has(e.type)) this.lastUrgentMs = this.clock.now();
    const facts = factsOf(e, this.o.snapshot?.(), this.o.hostName);
    for (const p of this.pipelines) p.offer(facts);
  };

  /** Notifications not yet delivered or given up, over all channels. */
  get pending(): number {
    return this.pipelines.reduce((sum, p) => sum + p.queue.pending, 0);
  }

  /**
   * Wait until the urgent notifications (FSD, SHUTDOWN) are delivered or given up, but no longer than
   * their window (URGENT_WINDOW_MS after the last was sent) and at most `maxMs`. Resolves true when
   * they all settled in time.
   */
  async settle(maxMs: number): Promise<boolean> {
    const inFlight = () => this.pipelines.some((p) => p.queue.urgentPending > 0);
    const windowLeft =
      this.lastUrgentMs === undefined ? 0 : this.lastUrgentMs + URGENT_WINDOW_MS - this.clock.now();
    const waitMs = Math.min(maxMs, windowLeft);
    if (!inFlight()) return true;
    if (waitMs <= 0) return false;
    let timer: ClockTimer | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimer(() => resolve(false), waitMs);
    });
    const settled = Promise.all(this.pipelines.map((p) => p.queue.urgentSettled())).then(() => true);
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      timer?.cancel();
    }
  }

  /** Resolves when every channel's queue is empty (tests, `notify --test`). */
  async idle(): Promise<void> {
    await Promise.all(this.pipelines.map((p) => p.queue.idle()));
  }

  stop(): void {
    for (const p of this.pipelines) p.stop();
  }
}
