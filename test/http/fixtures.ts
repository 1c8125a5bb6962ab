/** Snapshots for the HTTP surface's tests: a complete UpsSnapshot / MonitorSnapshot with overrides. */
import type { MonitorSnapshot, UpsReadings, UpsSnapshot } from "../../src/monitor/events.js";

export function readings(vars: Record<string, string>): UpsReadings {
  const n = (k: string) => (vars[k] === undefined ? undefined : Number(vars[k]));
  return {
    status: vars["ups.status"],
    alarm: vars["ups.alarm"],
    charge: n("battery.charge"),
    runtime: n("battery.runtime"),
    load: n("ups.load"),
    inputVoltage: n("input.voltage"),
    outputVoltage: n("output.voltage"),
    vars,
  };
}

export function ups(o: Partial<UpsSnapshot> & { vars?: Record<string, string> } = {}): UpsSnapshot {
  const vars = o.vars ?? { "ups.status": "OL", "battery.charge": "100" };
  const { vars: _omit, ...rest } = o;
  return {
    system: "ups1@127.0.0.1:3493",
    upsName: "ups1",
    host: "127.0.0.1",
    port: 3493,
    role: "primary",
    powerValue: 1,
    link: "connected",
    linkError: undefined,
    status: (vars["ups.status"] ?? "").split(" ").filter((w) => w !== ""),
    readings: readings(vars),
    identity: undefined,
    lastPollMs: 1_000_000,
    onBatterySinceMs: undefined,
    critical: undefined,
    pollFailures: 0,
    ...rest,
  };
}

export function snapshot(o: Partial<MonitorSnapshot> = {}): MonitorSnapshot {
  return {
    timeMs: 1_000_000,
    ups: [ups()],
    settings: {
      pollFreqSec: 5,
      pollFreqAlertSec: 5,
      deadTimeSec: 15,
      hostSyncSec: 15,
      finalDelaySec: 5,
      minSupplies: 1,
      configPath: "/etc/nut/upsmon.conf",
    },
    healthyPowerValue: 1,
    shutdown: "none",
    summary: "ups1@127.0.0.1:3493: OL",
    notificationCounts: {},
    ...o,
  };
}
