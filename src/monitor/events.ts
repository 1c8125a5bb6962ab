/**
 * What the monitor tells the world: a typed event stream and an immutable snapshot of what it knows.
 * Types only; no behaviour, no I/O. The daemon (monitor/daemon.ts) is the only producer; sinks
 * (NOTIFYFLAG/NOTIFYCMD delivery, the systemd STATUS= line, the demo's terminal, the HTTP surface,
 * notification channels, built-in upssched timers, event history, the drill) are subscribers.
 *
 * Contract for subscribers: a listener is called synchronously, in order, after the state it reports
 * has been applied (so `snapshot()` inside a listener already shows it). A listener that throws is
 * logged and otherwise ignored; it must not block (queue your own I/O). Events are frozen objects.
 */
import type { MonitorRole } from "../config/upsmon-conf.js";
import type { NotifyType } from "../config/upsmon-notify-types.js";

/**
 * Why a UPS counts as critical this round: the id of the first rule of the critical-rule table that
 * matched (upsmon's is_ups_critical() order). Stable: metrics labels, the status page and scripts use it.
 * Thresholds from nutguard.conf add their own ids (`charge-threshold`, `runtime-threshold`,
 * `onbattery-threshold`), evaluated after upsmon's rules.
 */
export type CriticalReason =
  | "fsd" // the UPS (or its primary) set FSD
  | "over-dead" // last known overloaded past OVERDURATION and not communicating
  | "alarm-dead" // last known ALARM while not communicating, ALARMCRITICAL on
  | "cal-dead" // last known calibrating while not communicating (NUTGUARD_CALCOMMLOST_CRITICAL)
  | "bypass-dead" // last known on BYPASS while not communicating
  | "off-dead" // last known OFF while not communicating
  | "off-long" // OFF longer than OFFDURATION
  | "dead-on-battery" // last seen on battery and not heard from for DEADTIME (promoted to LB)
  | "oblb-primary" // on battery + low battery, this host is its primary
  | "hostsync-expired" // on battery + low battery, secondary, the primary did not act within HOSTSYNC
  | "charge-threshold"
  | "runtime-threshold"
  | "onbattery-threshold";

/** How the monitor's connection to one UPS stands. */
export type LinkState = "connecting" | "connected" | "lost" | "closed";

/**
 * The variables the last good poll read. Undefined when the UPS does not report one, or when nobody
 * asked for it: a plain monitor polls only ups.status (and ups.alarm while ALARM is set); the HTTP
 * surface, notification channels, thresholds and library users ask for more (monitor/poll-demand.ts).
 * Never a stale value from an earlier poll.
 */
export interface UpsReadings {
  /** `ups.status` exactly as upsd sent it. */
  status: string | undefined;
  alarm: string | undefined;
  /** battery.charge, percent. */
  charge: number | undefined;
  /** battery.runtime, seconds. */
  runtime: number | undefined;
  /** ups.load, percent. */
  load: number | undefined;
  inputVoltage: number | undefined;
  outputVoltage: number | undefined;
  /** Every variable the last good poll read, by name, as text (what the HTTP surface and templates show). */
  vars: Readonly<Record<string, string>>;
}

/** Device identity, read once per connection (device.mfr/model/serial, ups.mfr/model, driver.name). */
export interface UpsIdentity {
  manufacturer: string | undefined;
  model: string | undefined;
  serial: string | undefined;
  driver: string | undefined;
  description: string | undefined;
}

export type ShutdownPhase =
  | "none"
  | "fsd-set" // FSD sent to the primary UPSes
  | "waiting-secondaries" // HOSTSYNC: waiting for secondaries to log out
  | "final-delay" // SHUTDOWN notified, FINALDELAY running
  | "shutdowncmd-requested" // the privileged host was asked to run SHUTDOWNCMD
  | "done";

export type MonitorEvent =
  | {
      kind: "notification";
      timeMs: number;
      type: NotifyType;
      /** The UPS as written in MONITOR, or undefined for host-wide events (SHUTDOWN, NOPARENT ...). */
      ups: string | undefined;
      /** The formatted NOTIFYMSG text, as NOTIFYCMD receives it. */
      message: string;
    }
  | {
      kind: "status";
      timeMs: number;
      ups: string;
      /** Status words before and after (`["OL"]` → `["OB", "DISCHRG"]`); empty before the first poll. */
      previous: readonly string[];
      current: readonly string[];
      charge: number | undefined;
      runtime: number | undefined;
    }
  | {
      kind: "link";
      timeMs: number;
      ups: string;
      state: LinkState;
      /** For "lost": what went wrong (NUT's message, e.g. "Connection failure: Connection refused"). */
      error?: string;
      /** For "lost": when the next attempt is due, in ms. */
      retryInMs?: number;
    }
  | {
      kind: "round";
      timeMs: number;
      /** The critical UPSes this round, in config order, each with the id of the rule that matched. */
      critical: readonly { ups: string; reason: CriticalReason }[];
      healthyPowerValue: number;
      minSupplies: number;
      /** The round decided to start the forced shutdown. */
      shutdown: boolean;
    }
  | {
      kind: "shutdown";
      timeMs: number;
      phase: Exclude<ShutdownPhase, "none">;
      /** waiting-secondaries: logins still counted on the primaries' UPSes (ourselves included). */
      logins?: number;
      /** final-delay: FINALDELAY in seconds. */
      finalDelaySec?: number;
      /** Why: "critical" (the rule table), "user" (SIGUSR1 / -c fsd). */
      cause?: "critical" | "user";
    }
  | { kind: "reload"; timeMs: number; ok: boolean; error?: string };

export type MonitorEventKind = MonitorEvent["kind"];
export type MonitorListener = (event: MonitorEvent) => void;

export interface UpsSnapshot {
  /** As written in MONITOR: `ups@host[:port]`. */
  system: string;
  upsName: string;
  host: string;
  port: number;
  role: MonitorRole;
  powerValue: number;
  link: LinkState;
  /** The last link error, while not connected. */
  linkError: string | undefined;
  /** Status words of the last good poll (last known, kept while communication is lost). */
  status: readonly string[];
  readings: UpsReadings;
  identity: UpsIdentity | undefined;
  /** Wall-clock ms of the last successful poll, undefined before the first. */
  lastPollMs: number | undefined;
  /** Since when the UPS has been on battery (ms), undefined when not. */
  onBatterySinceMs: number | undefined;
  /** The critical reason from the last round, undefined when healthy. */
  critical: CriticalReason | undefined;
  /** Polls that failed since the monitor started (a counter, for metrics). */
  pollFailures: number;
}

export interface MonitorSettingsSnapshot {
  pollFreqSec: number;
  pollFreqAlertSec: number;
  deadTimeSec: number;
  hostSyncSec: number;
  finalDelaySec: number;
  minSupplies: number;
  configPath: string | undefined;
}

export interface MonitorSnapshot {
  timeMs: number;
  ups: readonly UpsSnapshot[];
  settings: MonitorSettingsSnapshot;
  healthyPowerValue: number;
  shutdown: ShutdownPhase;
  /** The one-line summary of every UPS's last known status, as systemd's STATUS= shows it. */
  summary: string;
  /** Notifications sent since start, by type (a counter, for metrics). */
  notificationCounts: Readonly<Partial<Record<NotifyType, number>>>;
}
