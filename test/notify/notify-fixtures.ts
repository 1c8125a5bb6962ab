/** Shared fixtures of the notification tests: a monitor snapshot with one UPS, events, channels from text. */
import { parseNutguardConf } from "../../src/config/nutguard-conf.js";
import {
  formatNotifyMessage,
  type NotifyType,
  STOCK_NOTIFY_MESSAGES,
  UPSLESS_NOTIFY_TYPES,
} from "../../src/config/upsmon-notify-types.js";
import type { MonitorEvent, MonitorSnapshot, UpsSnapshot } from "../../src/monitor/events.js";
import { channelsFromConf } from "../../src/notify/channel-config.js";
import { type ReadyChannel, resolveChannel } from "../../src/notify/secrets.js";
import { snapshot } from "../http/fixtures.js";

export const UPS = "rack@127.0.0.1:3493";

export function upsSnapshot(system: string, status: string, charge?: number, runtime?: number): UpsSnapshot {
  const [upsName, host] = system.split("@") as [string, string];
  return {
    system,
    upsName,
    host: host.split(":")[0]!,
    port: 3493,
    role: "primary",
    powerValue: 1,
    link: "connected",
    linkError: undefined,
    status: status.split(" "),
    readings: {
      status,
      alarm: undefined,
      charge,
      runtime,
      load: undefined,
      inputVoltage: undefined,
      outputVoltage: undefined,
      vars: {
        "ups.status": status,
        ...(charge === undefined ? {} : { "battery.charge": String(charge) }),
        ...(runtime === undefined ? {} : { "battery.runtime": String(runtime) }),
      },
    },
    identity: undefined,
    lastPollMs: 0,
    onBatterySinceMs: undefined,
    critical: undefined,
    pollFailures: 0,
  };
}

/** A monitor snapshot holding these UPSes (the HTTP tests' snapshot fixture, with their readings). */
export function snapshotOf(...ups: UpsSnapshot[]): MonitorSnapshot {
  return snapshot({ timeMs: 0, ups, summary: "" });
}

/** A notification event as the monitor emits it, with NUT's stock message. */
export function notification(
  type: NotifyType,
  ups: string | undefined = UPS,
  timeMs = Date.UTC(2026, 11, 5, 16, 0, 0),
): MonitorEvent {
  const system = UPSLESS_NOTIFY_TYPES.has(type) ? undefined : ups;
  return {
    kind: "notification",
    timeMs,
    type,
    ups: system,
    message: formatNotifyMessage(STOCK_NOTIFY_MESSAGES[type], system),
  };
}

export function channelsFrom(text: string): ReadyChannel[] {
  return channelsFromConf(parseNutguardConf(text, "nutguard.conf")).map((c) => resolveChannel(c));
}
