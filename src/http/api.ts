/**
 * The JSON API's shapes (documented in the README, "JSON API"): /api/v1/ups, /api/v1/ups/{name},
 * /api/v1/events. Pure: snapshot and clock in, plain objects out.
 */
import type { MonitorEvent, MonitorSnapshot, UpsSnapshot } from "../monitor/events.js";
import { isUp } from "./metrics.js";
import { describeStatus } from "./status-words.js";
import type { ViewSource } from "./view.js";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export interface UpsJson {
  name: string;
  upsName: string;
  host: string;
  port: number;
  up: boolean;
  status: string[];
  statusText: string;
  charge: number | null;
  runtime: number | null;
  load: number | null;
  inputVoltage: number | null;
  outputVoltage: number | null;
  alarm: string | null;
  onBatterySince: string | null;
  onBatterySeconds: number | null;
  link: string;
  linkError: string | null;
  lastPoll: string | null;
  pollFailures: number;
  /** Monitor only: */
  role?: string;
  powerValue?: number;
  critical?: string | null;
  vars: Record<string, string>;
}

export function upsJson(u: UpsSnapshot, s: MonitorSnapshot, source: ViewSource, nowMs: number): UpsJson {
  const r = u.readings;
  const j: UpsJson = {
    name: u.system,
    upsName: u.upsName,
    host: u.host,
    port: u.port,
    up: isUp(u, s, nowMs),
    status: [...u.status],
    statusText: describeStatus(u.status),
    charge: r.charge ?? null,
    runtime: r.runtime ?? null,
    load: r.load ?? null,
    inputVoltage: r.inputVoltage ?? null,
    outputVoltage: r.outputVoltage ?? null,
    alarm: r.alarm ?? null,
    onBatterySince: iso(u.onBatterySinceMs),
    onBatterySeconds:
      u.onBatterySinceMs === undefined ? null : Math.max(0, Math.round((nowMs - u.onBatterySinceMs) / 1000)),
    link: u.link,
    linkError: u.linkError ?? null,
    lastPoll: iso(u.lastPollMs),
    pollFailures: u.pollFailures,
    vars: { ...r.vars },
  };
  if (source === "monitor") {
    j.role = u.role;
    j.powerValue = u.powerValue;
    j.critical = u.critical ?? null;
  }
  return j;
}

export function upsListJson(s: MonitorSnapshot, source: ViewSource, nowMs: number) {
  const base = {
    time: new Date(nowMs).toISOString(),
    source,
    ups: s.ups.map((u) => upsJson(u, s, source, nowMs)),
  };
  if (source === "exporter") return base;
  return {
    ...base,
    monitor: {
      healthyPowerValue: s.healthyPowerValue,
      minSupplies: s.settings.minSupplies,
      shutdown: s.shutdown,
      settings: { ...s.settings },
      notifications: { ...s.notificationCounts },
    },
  };
}

/** A UPS by its full name (`ups@host:port` as in MONITOR) or, when that is unique, its name on upsd. */
export function findUps(s: MonitorSnapshot, name: string): UpsSnapshot | undefined {
  const exact = s.ups.find((u) => u.system === name);
  if (exact) return exact;
  const byName = s.ups.filter((u) => u.upsName === name);
  return byName.length === 1 ? byName[0] : undefined;
}

/** An event as JSON: its fields, plus `time` (ISO 8601) and `id` (the stream's sequence number). */
export function eventJson(e: MonitorEvent, id: number): Record<string, unknown> {
  return { id, time: new Date(e.timeMs).toISOString(), ...e };
}
