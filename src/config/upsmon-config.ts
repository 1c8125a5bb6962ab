/**
 * What upsmon.conf says, as data: the typed `UpsmonConfig` with upsmon's defaults, and the power
 * arithmetic upsmon checks at start-up (MINSUPPLIES). Pure. The parser is config/upsmon-conf.ts.
 */

import {
  defaultNotifyFlags,
  NOTIFY_TYPES,
  type NotifyFlags,
  type NotifyType,
} from "./upsmon-notify-types.js";

export type MonitorRole = "primary" | "secondary";

/** One MONITOR line. */
export interface MonitorEntry {
  /** The `<system>` word exactly as written (`ups@host:port`): the name in every message. */
  system: string;
  upsName: string;
  host: string;
  port: number;
  powerValue: number;
  username: string;
  password: string;
  role: MonitorRole;
  /** Line of the MONITOR directive in the file. */
  line: number;
}

export interface CertHost {
  host: string;
  certName: string;
  certVerify: boolean;
  forceSsl: boolean;
}

export interface UpsmonConfig {
  /** The file this came from (for messages). */
  file: string;
  monitors: MonitorEntry[];
  minSupplies: number;
  /** SHUTDOWNCMD as one shell command line (extra tokens each wrapped in '…', as NUT HEAD). */
  shutdownCmd: string | undefined;
  /** 0: exit right after SHUTDOWNCMD; < 0: never exit; > 0: linger that many seconds. */
  shutdownExitSec: number;
  /** NOTIFYCMD as an argv array; the message is appended as the last argument. */
  notifyCmd: string[] | undefined;
  notifyMessages: Partial<Record<NotifyType, string>>;
  notifyFlags: Record<NotifyType, NotifyFlags>;
  pollFreqSec: number;
  pollFreqAlertSec: number;
  hostSyncSec: number;
  deadTimeSec: number;
  powerDownFlag: string | undefined;
  rbWarnTimeSec: number;
  noCommWarnTimeSec: number;
  finalDelaySec: number;
  runAsUser: string | undefined;
  certPath: string | undefined;
  certFile: string | undefined;
  certIdent: { name: string; password: string } | undefined;
  certHosts: CertHost[];
  certVerify: boolean;
  forceSsl: boolean;
  alarmCritical: boolean;
  /** < 0: OFF never makes a UPS critical; 0: at once; N: after N seconds. */
  offDurationSec: number;
  /** < 0: an overloaded UPS that stops answering is never critical; N: after N seconds of OVER. */
  overDurationSec: number;
  oblbDurationSec: number;
  /** −1: log every failed poll; 0: only start and end of a failure state; N: every N polls. */
  pollFailLogThrottleMax: number;
  debugMin: number | undefined;
  /**
   * nutguard extension (`NUTGUARD_CALCOMMLOST_CRITICAL 0|1`, default 1 = upsmon's rule): whether a UPS
   * last seen calibrating (CAL) that stops answering is treated as dead at once (NUT #2794, #3026).
   * With 0 it is handled like any other UPS that stopped answering (DEADTIME promotion if it was OB).
   */
  calCommLostCritical: boolean;
}

export type ConfigMessageLevel = "err" | "warning" | "info" | "debug";
export interface ConfigMessage {
  level: ConfigMessageLevel;
  message: string;
}

export interface ParseResult {
  config: UpsmonConfig;
  /** Messages in upsmon's wording, in the order upsmon prints them. */
  messages: ConfigMessage[];
  /** Number of lines that were ignored (upsmon's "Encountered %d config errors"). */
  errorCount: number;
  /** Set when the file cannot be used at all; `messages` then ends with the explanation. */
  fatal: string | undefined;
}

export function defaultUpsmonConfig(file: string): UpsmonConfig {
  const notifyFlags = {} as Record<NotifyType, NotifyFlags>;
  for (const t of NOTIFY_TYPES) notifyFlags[t] = defaultNotifyFlags();
  return {
    file,
    monitors: [],
    minSupplies: 1,
    shutdownCmd: undefined,
    shutdownExitSec: 0,
    notifyCmd: undefined,
    notifyMessages: {},
    notifyFlags,
    pollFreqSec: 5,
    pollFreqAlertSec: 5,
    hostSyncSec: 15,
    deadTimeSec: 15,
    powerDownFlag: undefined,
    rbWarnTimeSec: 43200,
    noCommWarnTimeSec: 300,
    finalDelaySec: 5,
    runAsUser: undefined,
    certPath: undefined,
    certFile: undefined,
    certIdent: undefined,
    certHosts: [],
    certVerify: false,
    forceSsl: false,
    alarmCritical: true,
    offDurationSec: 30,
    overDurationSec: -1,
    oblbDurationSec: 0,
    pollFailLogThrottleMax: -1,
    debugMin: undefined,
    calCommLostCritical: true,
  };
}

/** Sum of the power values of all MONITOR lines. */
export function totalPowerValue(config: UpsmonConfig): number {
  return config.monitors.reduce((sum, m) => sum + m.powerValue, 0);
}

/**
 * upsmon's start-up check: the configured power can never reach MINSUPPLIES. Returns the text upsmon
 * prints on stdout before exiting 1, or undefined when the configuration is possible.
 */
export function impossiblePowerMessage(config: UpsmonConfig): string | undefined {
  const total = totalPowerValue(config);
  if (total >= config.minSupplies) return undefined;
  return [
    "",
    "Fatal error: insufficient power configured!",
    "",
    `Sum of power values........: ${total}`,
    `Minimum value (MINSUPPLIES): ${config.minSupplies}`,
    "",
    "Edit your upsmon.conf and change the values.",
    "",
  ].join("\n");
}
