/**
 * `delay = SECS` of a notification channel (apcupsd's ONBATTERYDELAY, the answer to flapping mains):
 * an ONBATT is held for the delay; an ONLINE of the same UPS within it drops both. When the delay
 * passes, the ONBATT goes out (with its own time); any other event of that UPS (LOWBATT, FSD, COMMBAD
 * ...) or a host-wide one (SHUTDOWN ...) releases it first, so order is kept and nothing serious waits.
 *
 * Pure: time is a parameter. Items are opaque (`T`); the caller says which UPS and type each is.
 */
import type { NotifyType } from "../config/upsmon-notify-types.js";

export interface DelayItem<T> {
  type: NotifyType;
  /** undefined for host-wide events. */
  ups: string | undefined;
  item: T;
}

export class DelayFilter<T> {
  private readonly held = new Map<string, { dueMs: number; item: T }>();
  /** UPSes whose ONBATT went out: their ONLINE goes out too. */
  constructor(private readonly delayMs: number) {}

  /** An event arrives at `nowMs`: what to send now, in order. */
  offer(e: DelayItem<T>, nowMs: number): T[] {
    if (this.delayMs <= 0) return [e.item];
    const out = this.due(nowMs);
    if (e.ups === undefined) {
      for (const h of this.held.values()) out.push(h.item);
      this.held.clear();
      out.push(e.item);
      return out;
    }
    const pending = this.held.get(e.ups);
    if (e.type === "ONBATT") {
      if (pending === undefined) this.held.set(e.ups, { dueMs: nowMs + this.delayMs, item: e.item });
      return out;
    }
    if (pending !== undefined) {
      this.held.delete(e.ups);
      if (e.type === "ONLINE") return out; // a flicker: neither is sent
      out.push(pending.item);
    }
    out.push(e.item);
    return out;
  }

  /** The held ONBATTs whose delay has passed by `nowMs`, in the order they arrived. */
  due(nowMs: number): T[] {
    const out: T[] = [];
    for (const [ups, h] of this.held) {
      if (h.dueMs <= nowMs) {
        out.push(h.item);
        this.held.delete(ups);
      }
    }
    return out;
  }

  /** When the next held ONBATT is due, undefined when nothing is held. */
  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const h of this.held.values()) if (next === undefined || h.dueMs < next) next = h.dueMs;
    return next;
  }
}
