/**
 * One UPS as upsmon sees it: the state kept between polls and the rules that turn a poll result
 * into notifications (upsmon's parse_status(), ups_is_alive(), ups_is_gone() and the ups_is_*()
 * handlers). Pure: time is the `nowMs` argument; no I/O, no timers, no clock.
 *
 * Order matters and follows upsmon: first the "clear" checks by substring of the whole status
 * (LB, FSD, CAL, OFF, BYPASS, ALARM, OVER, TRIM, BOOST, then ECO), then each space-separated token
 * in order, each followed by the "last not critical" timer update, then OTHER/NOTOTHER.
 *
 * A steady UPS says the same thing every poll: a poll these rules applied twice in a row, the second
 * time without a word, only moves the poll times when it comes again (`UpsState.steady`); every other
 * function here that changes the state disarms that.
 */
import type { MonitorRole } from "../config/upsmon-conf.js";
import type { NotifyType } from "../config/upsmon-notify-types.js";
import type { OblbTimerChange } from "./critical-rules.js";
import { logPollFailure } from "./engine-poll-failures.js";
import type { EngineLog, EngineOutput } from "./engine-types.js";
import type { CriticalReason } from "./events.js";
import type { UpsFlags, UpsRuleSettings, UpsState } from "./ups-state.js";

export type { AppliedPoll, UpsFlags, UpsRuleSettings, UpsState } from "./ups-state.js";
export { newUpsState } from "./ups-state.js";

/** Markers of an ECO-like mode in `ups.mode.buzzwords` (nutguard: any of them, see docs/monitor.md). */
const ECO_BUZZWORDS = [":ECO", ":ESS", ":HE", ":SMART"];

export function isEcoBuzzword(buzzwords: string | undefined): boolean {
  return buzzwords !== undefined && ECO_BUZZWORDS.some((marker) => buzzwords.includes(marker));
}

/** Flags whose disappearance notifies NOT<flag>; checked by substring, as upsmon's strstr(). */
const CLEARABLE: { token: string; flag: keyof UpsFlags; event: NotifyType }[] = [
  { token: "CAL", flag: "cal", event: "NOTCAL" },
  { token: "OFF", flag: "off", event: "NOTOFF" },
  { token: "BYPASS", flag: "bypass", event: "NOTBYPASS" },
  { token: "ALARM", flag: "alarm", event: "NOTALARM" },
  { token: "OVER", flag: "over", event: "NOTOVER" },
  { token: "TRIM", flag: "trim", event: "NOTTRIM" },
  { token: "BOOST", flag: "boost", event: "NOTBOOST" },
];

/** Tokens that set a flag and notify once when it appears. */
const RAISING: Record<string, { flag: keyof UpsFlags; event: NotifyType }> = {
  CAL: { flag: "cal", event: "CAL" },
  BYPASS: { flag: "bypass", event: "BYPASS" },
  ECO: { flag: "eco", event: "ECO" },
  TRIM: { flag: "trim", event: "TRIM" },
  BOOST: { flag: "boost", event: "BOOST" },
};

const KNOWN_IGNORED = new Set(["HB", "CHRG", "DISCHRG"]);

function notify(out: EngineOutput, ups: UpsState, type: NotifyType, extra?: string): void {
  const system = ups.system;
  out.notifications.push(extra === undefined ? { type, system } : { type, system, extra });
}

/** A successful poll: upsmon's parse_status(). Mutates `ups`, appends to `out`. */
export function applyStatus(
  ups: UpsState,
  status: string,
  alarm: string | undefined,
  buzzwords: string | undefined,
  nowMs: number,
  settings: UpsRuleSettings,
  out: EngineOutput,
): void {
  if (status === "") {
    applyFailure(ups, nowMs, settings, out);
    return;
  }
  const last = ups.lastApplied;
  const same =
    last !== undefined && last.status === status && last.alarm === alarm && last.buzzwords === buzzwords;
  if (same && ups.steady) {
    // the same poll again, nothing else changed since: every rule below would find its flag as set
    ups.lastPollMs = nowMs;
    if (!ups.flags.onBattery || !ups.flags.lowBattery || ups.flags.cal) ups.lastNonCriticalMs = nowMs;
    return;
  }
  const said = out.notifications.length + out.logs.length;
  let repeatable = true;
  // ups_is_alive()
  ups.lastPollMs = nowMs;
  ups.deadPromoted = false;
  if (ups.commState === 0) notify(out, ups, "COMMOK");
  ups.commState = 1;

  if (!status.includes("LB")) ups.flags.lowBattery = false;
  if (!status.includes("FSD")) {
    ups.flags.fsd = false;
    ups.fsdNotified = false;
  }
  for (const c of CLEARABLE) {
    if (status.includes(c.token)) continue;
    if (c.flag === "off") {
      ups.offSinceMs = undefined;
      ups.offExpired = false;
    } else if (c.flag === "over") ups.overSinceMs = undefined;
    else if (c.flag === "alarm") ups.alarmText = undefined;
    if (ups.flags[c.flag]) {
      notify(out, ups, c.event);
      ups.flags[c.flag] = false;
    }
  }
  const ecoByBuzzword = isEcoBuzzword(buzzwords);
  if (!status.includes("ECO") && !ecoByBuzzword) {
    if (ups.flags.eco) {
      notify(out, ups, "NOTECO");
      ups.flags.eco = false;
    }
  } else if (ecoByBuzzword && !ups.flags.eco) {
    notify(out, ups, "ECO");
    ups.flags.eco = true;
  }

  let others: string[] | undefined;
  for (const word of status.split(" ")) {
    const token = word.toUpperCase();
    const raising = RAISING[token];
    if (token === "OL") {
      if (!ups.flags.online) {
        if (ups.lineState !== -1) notify(out, ups, "ONLINE");
        ups.lineState = 1;
        ups.flags.online = true;
        ups.flags.onBattery = false;
        ups.onBatterySinceMs = undefined;
      }
    } else if (token === "OB") {
      if (!ups.flags.onBattery) {
        ups.lineState = 0;
        ups.onBatterySinceMs = nowMs;
        notify(out, ups, "ONBATT");
        ups.flags.onBattery = true;
        ups.flags.online = false;
      }
    } else if (token === "LB") {
      if (!ups.flags.lowBattery) {
        notify(out, ups, "LOWBATT");
        ups.flags.lowBattery = true;
      }
    } else if (token === "RB") {
      repeatable = false; // warns again after RBWARNTIME
      const last = ups.lastReplBattWarnMs;
      if (last === undefined || nowMs - last > settings.rbWarnTimeSec * 1000) {
        notify(out, ups, "REPLBATT");
        ups.lastReplBattWarnMs = nowMs;
      }
    } else if (token === "OFF") {
      repeatable = false; // expires after OFFDURATION
      applyOff(ups, nowMs, settings, out);
    } else if (token === "ALARM") {
      // Per UPS (upsmon keeps one previous alarm text for all UPSes: see docs/monitor.md).
      if (!ups.flags.alarm) {
        notify(out, ups, "ALARM", alarm ?? "n/a");
        ups.flags.alarm = true;
        ups.alarmText = alarm;
      } else if (alarm !== undefined && alarm !== ups.alarmText) {
        notify(out, ups, "ALARM", alarm);
        ups.alarmText = alarm;
      }
    } else if (token === "OVER") {
      if (!ups.flags.over) {
        ups.overSinceMs = nowMs;
        notify(out, ups, "OVER");
        ups.flags.over = true;
      }
    } else if (token === "FSD") {
      if (!ups.flags.fsd) {
        if (!ups.fsdNotified) notify(out, ups, "FSD");
        ups.fsdNotified = true;
        ups.flags.fsd = true;
      }
    } else if (raising !== undefined) {
      if (!ups.flags[raising.flag]) {
        notify(out, ups, raising.event);
        ups.flags[raising.flag] = true;
      }
    } else if (!KNOWN_IGNORED.has(token) && word !== "") {
      (others ??= []).push(word);
    }
    // update_crittimer(): remember when the UPS was last not OB+LB (or calibrating)
    if (!ups.flags.onBattery || !ups.flags.lowBattery || ups.flags.cal) ups.lastNonCriticalMs = nowMs;
  }

  applyOthers(ups, others, out);
  // a poll applied twice in a row without a word the second time is a fixed point of these rules (RB
  // and OFF aside: they depend on time); a poll that says something each time (a status with OL and OB,
  // a token in lower case the substring checks clear again) never is (test/monitor/engine-steady.test.ts)
  ups.steady = same && repeatable && out.notifications.length + out.logs.length === said;
  if (!same) ups.lastApplied = { status, alarm, buzzwords };
}

/** OTHER/NOTOTHER: when the set of unclassified tokens changes, report the current list (or its end). */
function applyOthers(ups: UpsState, others: string[] | undefined, out: EngineOutput): void {
  if (others === undefined && ups.otherTokens.length === 0) return; // the usual case: none, as before
  const sortedOthers = others === undefined ? [] : [...new Set(others)].sort();
  const changed =
    sortedOthers.length !== ups.otherTokens.length || sortedOthers.some((t, i) => t !== ups.otherTokens[i]);
  if (changed) {
    if (others !== undefined) notify(out, ups, "OTHER", others.join(" "));
    else notify(out, ups, "NOTOTHER");
  }
  ups.otherTokens = sortedOthers;
}

function applyOff(ups: UpsState, nowMs: number, settings: UpsRuleSettings, out: EngineOutput): void {
  const offDuration = settings.offDurationSec;
  if (ups.flags.off) {
    if (ups.offSinceMs === undefined) ups.offSinceMs = nowMs;
    else if (!ups.offExpired && offDuration > 0 && nowMs - ups.offSinceMs > offDuration * 1000) {
      out.logs.push({
        level: "warning",
        message: `${ups.system} is in state OFF for ${Math.floor((nowMs - ups.offSinceMs) / 1000)} sec, assuming the line is not fed (if it is calibrating etc., check the upsmon 'OFFDURATION' option)`,
      });
      ups.offExpired = true;
    }
    return;
  }
  ups.offSinceMs = nowMs;
  if (offDuration === 0) {
    out.logs.push({
      level: "warning",
      message: `${ups.system} is in state OFF, assuming the line is not fed (if it is calibrating etc., check the upsmon 'OFFDURATION' option)`,
    });
    ups.offExpired = true;
  }
  out.notifications.push({ type: "OFF", system: ups.system });
  ups.flags.off = true;
}

/**
 * A failed poll (or an empty status): upsmon's ups_is_gone(), plus its "Poll UPS [x] failed" log line
 * with POLLFAIL_LOG_THROTTLE_MAX throttling. Flags are kept: they are the "last known" state.
 */
export function applyFailure(
  ups: UpsState,
  nowMs: number,
  settings: UpsRuleSettings,
  out: EngineOutput,
  failure?: { code: string; message: string },
): void {
  if (failure !== undefined) logPollFailure(ups, failure, settings, out);
  ups.steady = false;
  if (ups.commState !== 0) {
    ups.commState = 0;
    out.notifications.push({ type: "COMMBAD", system: ups.system });
    return;
  }
  const windowMs = settings.noCommWarnTimeSec * 1000;
  if (ups.lastPollMs !== undefined && nowMs - ups.lastPollMs < windowMs) return;
  if (ups.lastNoCommWarnMs === undefined || nowMs - ups.lastNoCommWarnMs > windowMs) {
    out.notifications.push({ type: "NOCOMM", system: ups.system });
    ups.lastNoCommWarnMs = nowMs;
  }
}

/** Records the `ups.status` text of a poll (for change detection); true when it differs from the last. */
export function noteStatusText(ups: UpsState, status: string): boolean {
  const changed = status !== ups.lastStatusText;
  ups.lastStatusText = status;
  return changed;
}

/**
 * DEADTIME (upsmon's recalc()): a UPS last seen on battery and not heard from for longer is promoted
 * to LB. Returns true when this round promoted it.
 */
export function promoteIfDead(ups: UpsState, nowMs: number, deadTimeSec: number, logs: EngineLog[]): boolean {
  if (ups.lastPollMs === undefined || nowMs - ups.lastPollMs <= deadTimeSec * 1000 || !ups.flags.onBattery)
    return false;
  if (ups.flags.lowBattery) return false;
  logs.push({ level: "warning", message: `Promoting dead UPS: ${ups.system}` });
  ups.steady = false;
  ups.flags.lowBattery = true;
  ups.deadPromoted = true;
  return true;
}

/** The outcome of this round's critical rules: the OB+LB timer and the reason the snapshot shows. */
/** The battery readings of a successful poll (a variable the UPS does not report stays undefined). */
export function noteReadings(ups: UpsState, vars: Readonly<Record<string, string>> | undefined): void {
  if (vars === undefined) return;
  ups.charge = numberOf(vars["battery.charge"]);
  ups.runtime = numberOf(vars["battery.runtime"]);
}

function numberOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseFloat(text);
  return Number.isFinite(n) ? n : undefined;
}

export function applyVerdict(
  ups: UpsState,
  reason: CriticalReason | undefined,
  oblbTimer: OblbTimerChange,
  nowMs: number,
): void {
  if (oblbTimer === "start") ups.oblbSinceMs = nowMs;
  else if (oblbTimer === "end") ups.oblbSinceMs = undefined;
  ups.criticalReason = reason;
}

/**
 * The wall clock jumped: every UPS forgets its status flags (they are stale) and counts as just heard
 * from, so neither DEADTIME nor an old OB+LB can shut the host down before fresh polls say so.
 */
export function forgetAfterTimeJump(ups: UpsState, nowMs: number): void {
  for (const k of Object.keys(ups.flags) as (keyof UpsFlags)[]) ups.flags[k] = false;
  ups.lastPollMs = nowMs;
  ups.lastNonCriticalMs = nowMs;
  ups.oblbSinceMs = undefined;
  ups.offSinceMs = undefined;
  ups.offExpired = false;
  ups.fsdNotified = false;
  ups.deadPromoted = false;
  ups.criticalReason = undefined;
  ups.onBatterySinceMs = undefined;
  ups.lastStatusText = undefined;
  ups.steady = false;
}

/** The primary's `FSD <ups>` was accepted: true when FSD is to be notified (once per episode). */
export function confirmFsd(ups: UpsState): boolean {
  if (ups.fsdNotified) return false;
  ups.steady = false;
  ups.fsdNotified = true;
  return true;
}

/** A reload changed this UPS's MONITOR line (same system): new role and power value, state kept. */
export function reconfigureUps(ups: UpsState, role: MonitorRole, powerValue: number): void {
  ups.steady = false; // the settings may have changed too
  ups.role = role;
  ups.powerValue = powerValue;
}
