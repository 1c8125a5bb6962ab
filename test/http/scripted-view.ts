/** A view for the HTTP surface's tests: a snapshot the test sets and events it emits. */
import type { ObservedView, ViewSource } from "../../src/http/view.js";
import type { MonitorEvent, MonitorListener, MonitorSnapshot } from "../../src/monitor/events.js";
import { snapshot } from "./fixtures.js";

export class ScriptedView implements ObservedView {
  current: MonitorSnapshot = snapshot();
  readonly listeners = new Set<MonitorListener>();
  constructor(readonly source: ViewSource = "monitor") {}
  snapshot(): MonitorSnapshot {
    return this.current;
  }
  subscribe(l: MonitorListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: MonitorEvent): void {
    for (const l of this.listeners) l(e);
  }
}
