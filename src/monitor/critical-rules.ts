/**
 * "Is this UPS critical?" (upsmon's is_ups_critical()) as an ordered table of named rules: the first
 * rule that decides wins, in upsmon's order. A rule decides `critical` (its id is the reason the event
 * stream, the log and the metrics report), decides `not critical` (an OB+LB episode still inside its
 * grace period, the steady state ...), or passes to the next rule; a rule may also leave notes (the
 * warnings upsmon logs while it looks) and ask for the OB+LB timer to start or end.
 *
 * Pure and free of state changes: it reads one UPS's state and returns a verdict. The engine applies
 * the timer request through engine-ups.ts, the one module that changes per-UPS state.
 */

import type { EngineLog } from "./engine-types.js";
import type { UpsState } from "./engine-ups.js";
import type { CriticalReason } from "./events.js";

/** The settings the rules read. */
export interface CriticalSettings {
  hostSyncSec: number;
  alarmCritical: boolean;
  overDurationSec: number;
  offDurationSec: number;
  oblbDurationSec: number;
  calCommLostCritical: boolean;
}

/** A reason behind a verdict, logged when it first appears (keyed, so a persisting one is logged once). */
export interface CriticalNote {
  key: string;
  log: EngineLog;
}

/** What the OB+LB (OBLBDURATION) timer should do after this evaluation. */
export type OblbTimerChange = "start" | "end" | undefined;

export interface CriticalVerdict {
  /** The id of the rule that found the UPS critical, undefined when it is not. */
  reason: CriticalReason | undefined;
  /** The name of the rule that decided (a CriticalReason, or a `not critical` rule's name). */
  decidedBy: string;
  oblbTimer: OblbTimerChange;
}

/** What a rule sees: one UPS, the settings, the time, and a place for its notes. */
export interface RuleInput {
  readonly ups: Readonly<UpsState>;
  readonly settings: CriticalSettings;
  readonly nowMs: number;
  readonly notes: CriticalNote[];
}

type Decision = "critical" | "not-critical" | { notCritical: true; oblbTimer: OblbTimerChange } | undefined;

export interface CriticalRule {
  /** For rules that can decide "critical", the reason id; otherwise a descriptive name. */
  readonly id: CriticalReason | string;
  readonly decide: (input: RuleInput) => Decision;
}

const LOST = "and currently is not communicating";
const lost = (u: Readonly<UpsState>) => u.commState === 0;
const oblb = (u: Readonly<UpsState>) => u.flags.onBattery && u.flags.lowBattery;
const warn = (i: RuleInput, key: string, message: string) =>
  i.notes.push({ key, log: { level: "warning", message } });
const debug = (i: RuleInput, key: string, message: string) =>
  i.notes.push({ key, log: { level: "debug", message, debugLevel: 1 } });
/** The LB flag comes only from the DEADTIME promotion: no fresh poll has confirmed it. */
const deadPromoted = (u: Readonly<UpsState>) => u.deadPromoted && lost(u);

/** upsmon's is_ups_critical(), rule by rule, in its order. */
export const CRITICAL_RULES: readonly CriticalRule[] = [
  { id: "fsd", decide: ({ ups }) => (ups.flags.fsd ? "critical" : undefined) },
  {
    // Communicating, not OFF, not on battery and no OB+LB episode to close: every rule below ends in
    // "not critical" (each has a test row); decided here so the steady state builds nothing.
    id: "steady",
    decide: ({ ups: u }) =>
      !lost(u) && !u.flags.off && !u.flags.onBattery && u.oblbSinceMs === undefined
        ? "not-critical"
        : undefined,
  },
  {
    id: "trim-boost-lost",
    decide: (i) => {
      const { ups: u } = i;
      const name = u.system;
      if (!lost(u)) return undefined;
      const noAssumption = "but we make no assumptions if it is dead now";
      if (u.flags.trim)
        warn(
          i,
          "trim",
          `UPS [${name}] was last known to be trimming incoming voltage ${LOST}, ${noAssumption}`,
        );
      if (u.flags.boost)
        warn(
          i,
          "boost",
          `UPS [${name}] was last known to be boosting incoming voltage ${LOST}, ${noAssumption}`,
        );
      return undefined;
    },
  },
  {
    id: "over-dead",
    decide: (i) => {
      const { ups: u, settings: s, nowMs } = i;
      if (!lost(u) || !u.flags.over) return undefined;
      const name = u.system;
      if (s.overDurationSec < 0) {
        warn(
          i,
          "over",
          `UPS [${name}] was last known to be overloaded ${LOST}, but we make no assumptions if it is dead now`,
        );
        return undefined;
      }
      const overMs = nowMs - (u.overSinceMs ?? nowMs);
      if (overMs < s.overDurationSec * 1000) {
        warn(
          i,
          "over-wait",
          `UPS [${name}] was last known to be overloaded for ${Math.floor(overMs / 1000)} sec out of ${s.overDurationSec} sec threshold ${LOST}, just so you know (waiting for OVERDURATION to elapse)`,
        );
        return undefined;
      }
      warn(
        i,
        "over-dead",
        `UPS [${name}] was last known to be overloaded for longer than the set threshold of ${s.overDurationSec} sec and is still not communicating, assuming dead`,
      );
      return "critical";
    },
  },
  {
    id: "alarm-dead",
    decide: (i) => {
      const { ups: u, settings: s } = i;
      if (!lost(u) || !u.flags.alarm) return undefined;
      const name = u.system;
      if (s.alarmCritical) {
        warn(
          i,
          "alarm",
          `UPS [${name}] was last known to be in an ALARM state ${LOST}, assuming dead. If this is in error and causes unwanted shutdowns, consider disabling the upsmon ALARMCRITICAL option.`,
        );
        return "critical";
      }
      debug(
        i,
        "alarm",
        `UPS [${name}] was last known to be in an ALARM state ${LOST}. It is not assumed dead as the upsmon ALARMCRITICAL option was disabled.`,
      );
      return undefined;
    },
  },
  {
    id: "cal-dead",
    decide: (i) => {
      const { ups: u, settings: s } = i;
      if (!lost(u) || !u.flags.cal) return undefined;
      const name = u.system;
      if (s.calCommLostCritical) {
        warn(
          i,
          "cal",
          `UPS [${name}] was last known to be calibrating ${LOST}, assuming dead (set NUTGUARD_CALCOMMLOST_CRITICAL 0 to wait for DEADTIME instead)`,
        );
        return "critical";
      }
      warn(
        i,
        "cal",
        `UPS [${name}] was last known to be calibrating ${LOST}; not assumed dead (NUTGUARD_CALCOMMLOST_CRITICAL 0), waiting for DEADTIME`,
      );
      return undefined;
    },
  },
  {
    id: "bypass-dead",
    decide: (i) => {
      if (!lost(i.ups) || !i.ups.flags.bypass) return undefined;
      warn(i, "bypass", `UPS [${i.ups.system}] was last known to be on BYPASS ${LOST}, assuming dead`);
      return "critical";
    },
  },
  {
    id: "off-dead",
    decide: (i) => {
      const { ups: u, settings: s } = i;
      if (!lost(u) || !(u.offExpired || (s.offDurationSec >= 0 && u.flags.off))) return undefined;
      warn(i, "off", `UPS [${u.system}] was last known to be (administratively) OFF ${LOST}, assuming dead`);
      return "critical";
    },
  },
  {
    id: "not-online-lost",
    decide: (i) => {
      if (lost(i.ups) && i.ups.lineState === 0)
        debug(
          i,
          "deadtime",
          `UPS [${i.ups.system}] was last known to be not fully online ${LOST}, just so you know (waiting for DEADTIME to elapse)`,
        );
      return undefined;
    },
  },
  {
    id: "off-long",
    decide: (i) => {
      const { ups: u, settings: s } = i;
      if (!(u.flags.off && s.offDurationSec >= 0 && u.offExpired)) return undefined;
      warn(i, "off-long", `UPS [${u.system}] is reported as (administratively) OFF`);
      return "critical";
    },
  },
  {
    id: "not-oblb",
    decide: (i) => {
      const { ups: u, nowMs } = i;
      if (oblb(u)) return undefined;
      if (u.oblbSinceMs === undefined) return "not-critical";
      warn(
        i,
        "oblb-end",
        `seems that UPS [${u.system}] returned from OB+LB state now after spending ${Math.floor((nowMs - u.oblbSinceMs) / 1000)} seconds in it`,
      );
      return { notCritical: true, oblbTimer: "end" };
    },
  },
  {
    id: "oblb-calibrating",
    decide: (i) => {
      if (!i.ups.flags.cal) return undefined;
      warn(
        i,
        "oblb-cal",
        `seems that UPS [${i.ups.system}] is OB+LB now, but it is also calibrating - not declaring a critical state`,
      );
      return "not-critical";
    },
  },
  {
    id: "oblb-duration",
    decide: (i) => {
      const { ups: u, settings: s, nowMs } = i;
      if (s.oblbDurationSec <= 0) return undefined;
      if (u.oblbSinceMs === undefined) {
        warn(
          i,
          "oblb-start",
          `seems that UPS [${u.system}] is OB+LB now, but OBLBDURATION=${s.oblbDurationSec} - not declaring a critical state just now`,
        );
        return { notCritical: true, oblbTimer: "start" };
      }
      const heldMs = nowMs - u.oblbSinceMs;
      if (heldMs < s.oblbDurationSec * 1000) {
        debug(
          i,
          "oblb-wait",
          `seems that UPS [${u.system}] is still OB+LB for ${Math.floor(heldMs / 1000)} sec out of ${s.oblbDurationSec} delay`,
        );
        return "not-critical";
      }
      warn(
        i,
        "oblb-done",
        `seems that UPS [${u.system}] is still OB+LB for ${Math.floor(heldMs / 1000)} sec out of ${s.oblbDurationSec} delay - proceeding with shutdown alerts`,
      );
      return undefined;
    },
  },
  {
    // OB + LB where the LB is only DEADTIME's promotion: the UPS was last seen on battery and has not
    // been heard from since. For a secondary, HOSTSYNC still applies (upsmon's order).
    id: "dead-on-battery",
    decide: (i) => (deadPromoted(i.ups) && mayGiveUp(i) ? "critical" : undefined),
  },
  { id: "oblb-primary", decide: ({ ups }) => (ups.role === "primary" ? "critical" : undefined) },
  {
    id: "hostsync-expired",
    decide: (i) => (i.ups.role !== "primary" && giveUpOnPrimary(i) ? "critical" : undefined),
  },
];

/** A primary acts at once; a secondary waits HOSTSYNC for its primary (without logging, see below). */
function mayGiveUp(i: RuleInput): boolean {
  return i.ups.role === "primary" || giveUpOnPrimary(i);
}

/** HOSTSYNC since the UPS was last not OB+LB has passed: the primary did not act in time. */
function giveUpOnPrimary(i: RuleInput): boolean {
  const sinceMs = i.nowMs - (i.ups.lastNonCriticalMs ?? Number.NEGATIVE_INFINITY);
  if (sinceMs <= i.settings.hostSyncSec * 1000) return false;
  warn(
    i,
    "hostsync",
    `Giving up on the primary for UPS [${i.ups.system}] after ${Math.floor(sinceMs / 1000)} sec since last comms`,
  );
  return true;
}

/** Each rule's verdicts that carry no OB+LB timer change, made once (a steady round allocates none). */
const CRITICAL_BY_RULE: readonly Readonly<CriticalVerdict>[] = CRITICAL_RULES.map((rule) =>
  Object.freeze({ reason: rule.id as CriticalReason, decidedBy: rule.id, oblbTimer: undefined }),
);
const NOT_CRITICAL_BY_RULE: readonly Readonly<CriticalVerdict>[] = CRITICAL_RULES.map((rule) =>
  Object.freeze({ reason: undefined, decidedBy: rule.id, oblbTimer: undefined }),
);
const NO_RULE_DECIDED: Readonly<CriticalVerdict> = Object.freeze({
  reason: undefined,
  decidedBy: "none",
  oblbTimer: undefined,
});

/**
 * Runs the table for one UPS: the first rule that decides wins; no rule deciding means not critical.
 * Notes go to `notes` (the caller's array, reused between UPSes).
 */
export function evaluateCritical(
  ups: Readonly<UpsState>,
  settings: CriticalSettings,
  nowMs: number,
  notes: CriticalNote[],
): Readonly<CriticalVerdict> {
  const input: RuleInput = { ups, settings, nowMs, notes };
  for (let i = 0; i < CRITICAL_RULES.length; i++) {
    const rule = CRITICAL_RULES[i]!;
    const d = rule.decide(input);
    if (d === undefined) continue;
    if (d === "critical") return CRITICAL_BY_RULE[i]!;
    if (d === "not-critical") return NOT_CRITICAL_BY_RULE[i]!;
    return { reason: undefined, decidedBy: rule.id, oblbTimer: d.oblbTimer };
  }
  return NO_RULE_DECIDED;
}
