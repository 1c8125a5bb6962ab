/**
 * The exporter's knowledge of one UPS, updated from each poll: the next UpsSnapshot and the events
 * the change makes (status words changed, link up or lost). Pure: time is a parameter.
 */

import { statusWords } from "../http/status-words.js";
import type { LinkState, MonitorEvent, UpsIdentity, UpsReadings, UpsSnapshot } from "../monitor/events.js";

export type UpsPoll = { ok: true; vars: Readonly<Record<string, string>> } | { ok: false; error: string };

export interface UpsKey {
  system: string;
  upsName: string;
  host: string;
  port: number;
}

function number(vars: Readonly<Record<string, string>>, name: string): number | undefined {
  const t = vars[name];
  if (t === undefined || t.trim() === "") return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** The readings the monitor's snapshot carries, from a UPS's variables. */
export function readingsFromVars(vars: Readonly<Record<string, string>>): UpsReadings {
  return {
    status: vars["ups.status"],
    alarm: vars["ups.alarm"],
    charge: number(vars, "battery.charge"),
    runtime: number(vars, "battery.runtime"),
    load: number(vars, "ups.load"),
    inputVoltage: number(vars, "input.voltage"),
    outputVoltage: number(vars, "output.voltage"),
    vars,
  };
}

export function identityFromVars(vars: Readonly<Record<string, string>>): UpsIdentity {
  return {
    manufacturer: vars["device.mfr"] ?? vars["ups.mfr"],
    model: vars["device.model"] ?? vars["ups.model"],
    serial: vars["device.serial"] ?? vars["ups.serial"],
    driver: vars["driver.name"],
    description: vars["device.description"],
  };
}

export function initialUps(key: UpsKey): UpsSnapshot {
  return {
    ...key,
    role: "secondary",
    powerValue: 0,
    link: "connecting",
    linkError: undefined,
    status: [],
    readings: readingsFromVars({}),
    identity: undefined,
    lastPollMs: undefined,
    onBatterySinceMs: undefined,
    critical: undefined,
    pollFailures: 0,
  };
}

/** Apply one poll result to a UPS. */
export function applyPoll(
  prev: UpsSnapshot,
  poll: UpsPoll,
  nowMs: number,
): { next: UpsSnapshot; events: MonitorEvent[] } {
  const events: MonitorEvent[] = [];
  const link = (state: LinkState, error?: string) => {
    if (prev.link === state && (state !== "lost" || prev.linkError === error)) return;
    events.push(
      error === undefined
        ? { kind: "link", timeMs: nowMs, ups: prev.system, state }
        : { kind: "link", timeMs: nowMs, ups: prev.system, state, error },
    );
  };
  if (!poll.ok) {
    link("lost", poll.error);
    return {
      next: { ...prev, link: "lost", linkError: poll.error, pollFailures: prev.pollFailures + 1 },
      events,
    };
  }
  link("connected");
  const readings = readingsFromVars(poll.vars);
  const status = statusWords(readings.status);
  if (status.join(" ") !== prev.status.join(" ")) {
    events.push({
      kind: "status",
      timeMs: nowMs,
      ups: prev.system,
      previous: prev.status,
      current: status,
      charge: readings.charge,
      runtime: readings.runtime,
    });
  }
  const onBattery = status.includes("OB");
  return {
    next: {
      ...prev,
      link: "connected",
      linkError: undefined,
      status,
      readings,
      identity: identityFromVars(poll.vars),
      lastPollMs: nowMs,
      onBatterySinceMs: onBattery ? (prev.onBatterySinceMs ?? nowMs) : undefined,
    },
    events,
  };
}
