/**
 * What the monitor knows beyond the engine's decision state, and its publication: per UPS the last
 * variables read, device identity, link state, last poll time and a poll-failure counter; globally the
 * shutdown phase and notification counters. The only module that changes this state. It also holds
 * the subscribers: `emit()` calls each listener in order, after the state the event reports has been
 * applied (so `snapshot()` inside a listener already shows it); a listener that throws, or returns a
 * promise that rejects, is logged and otherwise ignored; a returned promise is never awaited.
 *
 * No I/O of its own (the logger aside): the daemon feeds it; snapshots are frozen copies.
 */
import type { MonitorEntry, UpsmonConfig } from "../config/upsmon-conf.js";
import type { NotifyType } from "../config/upsmon-notify-types.js";
import type { Logger } from "../util/log.js";
import type { PollResult } from "./engine-types.js";
import type { UpsState } from "./engine-ups.js";
import type {
  LinkState,
  MonitorEvent,
  MonitorListener,
  MonitorSnapshot,
  ShutdownPhase,
  UpsReadings,
  UpsSnapshot,
} from "./events.js";

/** A link's report of its connection (links that cannot report it are judged by their polls). */
export interface LinkStateChange {
  state: LinkState;
  error?: string;
  retryInMs?: number;
}

/** Per UPS: what the snapshot shows beyond the engine's state. */
interface UpsView
  extends Pick<
    UpsSnapshot,
    "link" | "linkError" | "status" | "readings" | "identity" | "lastPollMs" | "pollFailures"
  > {
  entry: MonitorEntry;
}

const NO_WORDS: readonly string[] = Object.freeze([]);
const EMPTY_READINGS: UpsReadings = Object.freeze({
  status: undefined,
  alarm: undefined,
  charge: undefined,
  runtime: undefined,
  load: undefined,
  inputVoltage: undefined,
  outputVoltage: undefined,
  vars: Object.freeze({}),
});

function numberOf(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The readings of one successful poll, from the variables it read. */
export function readingsFrom(
  status: string,
  alarm: string | undefined,
  vars: Readonly<Record<string, string>>,
): UpsReadings {
  return Object.freeze({
    status,
    alarm: alarm ?? vars["ups.alarm"],
    charge: numberOf(vars["battery.charge"]),
    runtime: numberOf(vars["battery.runtime"]),
    load: numberOf(vars["ups.load"]),
    inputVoltage: numberOf(vars["input.voltage"]),
    outputVoltage: numberOf(vars["output.voltage"]),
    vars: Object.freeze({ ...vars }),
  });
}

/** The same variables with the same values (a poll reads a handful). */
function sameVars(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  let n = 0;
  for (const k in b) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in a) n--;
  return n === 0;
}

function newView(entry: MonitorEntry): UpsView {
  return {
    entry,
    link: "connecting",
    linkError: undefined,
    status: NO_WORDS,
    readings: EMPTY_READINGS,
    identity: undefined,
    lastPollMs: undefined,
    pollFailures: 0,
  };
}

export class MonitorView {
  private ups = new Map<string, UpsView>();
  private config: UpsmonConfig;
  private shutdown: ShutdownPhase = "none";
  private readonly notificationCounts: Partial<Record<NotifyType, number>> = {};
  /** Replaced, never changed in place, on (un)subscribe: an emit runs over the array it started with. */
  private listeners: readonly MonitorListener[] = [];

  constructor(
    config: UpsmonConfig,
    private readonly configPath: string | undefined,
    private readonly log: Logger,
  ) {
    this.config = config;
    this.reconfigure(config);
  }

  subscribe(listener: MonitorListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners = this.listeners.filter((_, k) => k !== i);
    };
  }

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  /** Publishes `event` (frozen) to every listener, in order; a failing listener never stops the others. */
  emit(event: MonitorEvent): void {
    if (this.listeners.length === 0) return;
    Object.freeze(event);
    const listeners = this.listeners;
    // an indexed loop over the array as it was: no copy and no iterator per event
    for (let i = 0; i < listeners.length; i++) {
      const l = listeners[i]!;
      try {
        const r = (l as (e: MonitorEvent) => unknown)(event);
        if (r instanceof Promise) r.catch((err: unknown) => this.listenerFailed(err));
      } catch (err) {
        this.listenerFailed(err);
      }
    }
  }

  private listenerFailed(err: unknown): void {
    this.log.error(`monitor event listener failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  reconfigure(config: UpsmonConfig): void {
    this.config = config;
    const old = this.ups;
    this.ups = new Map(
      config.monitors.map((m) => {
        const kept = old.get(m.system);
        if (kept === undefined) return [m.system, newView(m)];
        kept.entry = m;
        return [m.system, kept];
      }),
    );
  }

  /**
   * One poll result. Returns the status words before and after when `ups.status` changed (for the
   * status event), else undefined.
   */
  applyPoll(system: string, result: PollResult, nowMs: number): { previous: readonly string[] } | undefined {
    const v = this.ups.get(system);
    if (v === undefined) return undefined;
    if (result.kind === "failure" || result.status === "") {
      v.pollFailures++;
      return undefined;
    }
    v.lastPollMs = nowMs;
    if (v.link !== "connected") {
      v.link = "connected";
      v.linkError = undefined;
    }
    if (result.identity !== undefined) v.identity = Object.freeze({ ...result.identity });
    const changed = v.readings.status !== result.status;
    const vars = result.vars ?? { "ups.status": result.status };
    // a steady poll (same values) keeps the readings object: no copy per poll
    if (
      changed ||
      (result.alarm ?? vars["ups.alarm"]) !== v.readings.alarm ||
      !sameVars(v.readings.vars, vars)
    ) {
      v.readings = readingsFrom(result.status, result.alarm, vars);
    }
    if (!changed) return undefined;
    const previous = v.status;
    v.status = Object.freeze(result.status.split(" ").filter((w) => w !== ""));
    return { previous };
  }

  /** The link's own report; true when the state changed (publish a link event). */
  applyLink(system: string, change: LinkStateChange): boolean {
    const v = this.ups.get(system);
    if (v === undefined) return false;
    // a lost link's reconnect attempts are not news: it stays "lost" (with its error) until it is
    // connected again or fails differently, so a dead server does not make two events every retry
    if (v.link === "lost" && change.state === "connecting") return false;
    const same = v.link === change.state && v.linkError === change.error;
    v.link = change.state;
    v.linkError = change.state === "connected" ? undefined : change.error;
    return !same;
  }

  statusOf(system: string): readonly string[] {
    return this.ups.get(system)?.status ?? NO_WORDS;
  }

  readingsOf(system: string): UpsReadings {
    return this.ups.get(system)?.readings ?? EMPTY_READINGS;
  }

  setShutdown(phase: ShutdownPhase): void {
    this.shutdown = phase;
  }

  countNotification(type: NotifyType): void {
    this.notificationCounts[type] = (this.notificationCounts[type] ?? 0) + 1;
  }

  /** An immutable copy of what the monitor knows now. */
  snapshot(
    engineStates: readonly UpsState[],
    healthyPowerValue: number,
    summary: string,
    nowMs: number,
  ): MonitorSnapshot {
    const c = this.config;
    const ups: UpsSnapshot[] = [];
    for (const s of engineStates) {
      const v = this.ups.get(s.system);
      if (v === undefined) continue;
      ups.push(
        Object.freeze({
          system: s.system,
          upsName: v.entry.upsName,
          host: v.entry.host,
          port: v.entry.port,
          role: s.role,
          powerValue: s.powerValue,
          link: v.link,
          linkError: v.linkError,
          status: v.status,
          readings: v.readings,
          identity: v.identity,
          lastPollMs: v.lastPollMs,
          onBatterySinceMs: s.onBatterySinceMs,
          critical: s.criticalReason,
          pollFailures: v.pollFailures,
        }),
      );
    }
    return Object.freeze({
      timeMs: nowMs,
      ups: Object.freeze(ups),
      settings: Object.freeze({
        pollFreqSec: c.pollFreqSec,
        pollFreqAlertSec: c.pollFreqAlertSec,
        deadTimeSec: c.deadTimeSec,
        hostSyncSec: c.hostSyncSec,
        finalDelaySec: c.finalDelaySec,
        minSupplies: c.minSupplies,
        configPath: this.configPath,
      }),
      healthyPowerValue,
      shutdown: this.shutdown,
      summary,
      notificationCounts: Object.freeze({ ...this.notificationCounts }),
    });
  }
}
