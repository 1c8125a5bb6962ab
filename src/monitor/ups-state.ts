/**
 * What the engine keeps per UPS between polls (upsmon's utype_t, plus nutguard's own records), and a
 * fresh one. The rules that change it are in engine-ups.ts (the only module that does).
 */
import type { MonitorRole } from "../config/upsmon-conf.js";
import type { CriticalReason } from "./events.js";

/** The settings these rules read. */
export interface UpsRuleSettings {
  rbWarnTimeSec: number;
  noCommWarnTimeSec: number;
  offDurationSec: number;
  pollFailLogThrottleMax: number;
  pollFreqSec: number;
}

/** Status flags upsmon keeps per UPS (they survive a lost connection: "last known"). */
export interface UpsFlags {
  online: boolean;
  onBattery: boolean;
  lowBattery: boolean;
  fsd: boolean;
  cal: boolean;
  off: boolean;
  bypass: boolean;
  eco: boolean;
  alarm: boolean;
  over: boolean;
  trim: boolean;
  boost: boolean;
}

export interface UpsState {
  system: string;
  role: MonitorRole;
  powerValue: number;
  flags: UpsFlags;
  /** −1 unknown (start), 0 lost, 1 ok. The first 1 is silent. */
  commState: -1 | 0 | 1;
  /** −1 unknown (start), 0 on battery, 1 on line. The first OL is silent. */
  lineState: -1 | 0 | 1;
  lastPollMs: number | undefined;
  lastNonCriticalMs: number | undefined;
  lastReplBattWarnMs: number | undefined;
  lastNoCommWarnMs: number | undefined;
  fsdNotified: boolean;
  offSinceMs: number | undefined;
  /** OFF has lasted past OFFDURATION: the line is assumed not fed. */
  offExpired: boolean;
  overSinceMs: number | undefined;
  oblbSinceMs: number | undefined;
  /** Since when the UPS has been on battery (the OB that started the episode), undefined when not. */
  onBatterySinceMs: number | undefined;
  /** LB was set by the DEADTIME promotion (last seen on battery, not heard from since), not by a poll. */
  deadPromoted: boolean;
  /** battery.charge (%) and battery.runtime (s) of the last poll that read them (for nutguard.conf thresholds). */
  charge: number | undefined;
  runtime: number | undefined;
  /** The critical reason found by the last evaluation round, undefined when not critical. */
  criticalReason: CriticalReason | undefined;
  alarmText: string | undefined;
  otherTokens: string[];
  /** The last `ups.status` text received (for change detection by callers). */
  lastStatusText: string | undefined;
  /** Poll-failure log throttling: the code of the current failure state, and the poll counter. */
  pollFailCode: string | undefined;
  pollFailCount: number;
  /** The poll last applied by the full rules of `applyStatus`. */
  lastApplied: AppliedPoll | undefined;
  /**
   * `lastApplied` came twice in a row and the second time had nothing to say: the same poll again
   * changes nothing but the poll times (`applyStatus`' shortcut). Cleared by every other change.
   */
  steady: boolean;
}

/** What of a poll the status rules read. */
export interface AppliedPoll {
  status: string;
  alarm: string | undefined;
  buzzwords: string | undefined;
}

export function newUpsState(system: string, role: MonitorRole, powerValue: number): UpsState {
  return {
    system,
    role,
    powerValue,
    flags: {
      online: false,
      onBattery: false,
      lowBattery: false,
      fsd: false,
      cal: false,
      off: false,
      bypass: false,
      eco: false,
      alarm: false,
      over: false,
      trim: false,
      boost: false,
    },
    commState: -1,
    lineState: -1,
    lastPollMs: undefined,
    lastNonCriticalMs: undefined,
    lastReplBattWarnMs: undefined,
    lastNoCommWarnMs: undefined,
    fsdNotified: false,
    offSinceMs: undefined,
    offExpired: false,
    overSinceMs: undefined,
    oblbSinceMs: undefined,
    onBatterySinceMs: undefined,
    deadPromoted: false,
    charge: undefined,
    runtime: undefined,
    criticalReason: undefined,
    alarmText: undefined,
    otherTokens: [],
    lastStatusText: undefined,
    pollFailCode: undefined,
    pollFailCount: -1,
    lastApplied: undefined,
    steady: false,
  };
}
