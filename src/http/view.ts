/**
 * What the HTTP surface reads: a snapshot of what is known and the live event stream. The monitor
 * (src/monitor/daemon.ts) and `nutguard exporter` (src/exporter/poller.ts) both provide it, so one
 * surface serves either. Types only.
 */
import type { MonitorListener, MonitorSnapshot } from "../monitor/events.js";

export interface MonitorView {
  snapshot(): MonitorSnapshot;
  /** Returns the unsubscribe function. Listeners must not block (see monitor/events.ts). */
  subscribe(listener: MonitorListener): () => void;
}

/**
 * Which process serves: the monitor (it decides shutdowns: roles, power values, critical reasons and
 * shutdown progress are meaningful) or the exporter (it only watches: those parts are left out).
 */
export type ViewSource = "monitor" | "exporter";

export interface ObservedView extends MonitorView {
  readonly source: ViewSource;
  /**
   * A number that changes whenever `snapshot()` would show something else (the exporter: each poll
   * round). Without it the surface takes every event as the sign of a change (the monitor emits one
   * each poll round). Lets the surface render /metrics once per change rather than per scrape.
   */
  revision?(): number;
}
