/**
 * TEST ONLY: the engine as it was before the critical rule became a table (src/monitor/critical-rules.ts),
 * kept verbatim (imports and the Evaluation type aside) so engine-properties.test.ts can check that the
 * table gives the same verdicts on random timelines. Not used by src/.
 *
 * The monitor's decision engine: upsmon's rules as a pure state machine (h11 style).
 *
 * Feed it each poll result with `observe(system, result, nowMs)` and, after each full poll round,
 * call `evaluate(nowMs)` (upsmon's recalc(): DEADTIME promotion, "is this UPS critical?", the power
 * sum against MINSUPPLIES). It returns notifications to deliver, log lines, and whether to start the
 * forced shutdown. `pollIntervalSec()` says how long to wait before the next round.
 *
 * It must not do I/O, start timers or read a clock: time is always the `nowMs` argument, so every
 * rule is a table-driven test with virtual time (test/monitor/engine*.test.ts).
 */
import type { UpsmonConfig } from "../../src/config/upsmon-conf.js";
import { noteRecovered } from "../../src/monitor/engine-poll-failures.js";
import {
  type EngineLog,
  type EngineOutput,
  emptyOutput,
  type PollResult,
} from "../../src/monitor/engine-types.js";
import {
  applyFailure,
  applyStatus,
  newUpsState,
  type UpsRuleSettings,
  type UpsState,
} from "../../src/monitor/engine-ups.js";

interface Evaluation extends EngineOutput {
  critical: string[];
  healthyPowerValue: number;
  shutdown: boolean;
}

interface EngineSettings extends UpsRuleSettings {
  pollFreqAlertSec: number;
  hostSyncSec: number;
  deadTimeSec: number;
  minSupplies: number;
  alarmCritical: boolean;
  overDurationSec: number;
  oblbDurationSec: number;
  calCommLostCritical: boolean;
}

function engineSettingsFrom(config: UpsmonConfig): EngineSettings {
  return {
    pollFreqSec: config.pollFreqSec,
    pollFreqAlertSec: config.pollFreqAlertSec,
    hostSyncSec: config.hostSyncSec,
    deadTimeSec: config.deadTimeSec,
    minSupplies: config.minSupplies,
    rbWarnTimeSec: config.rbWarnTimeSec,
    noCommWarnTimeSec: config.noCommWarnTimeSec,
    offDurationSec: config.offDurationSec,
    overDurationSec: config.overDurationSec,
    oblbDurationSec: config.oblbDurationSec,
    alarmCritical: config.alarmCritical,
    pollFailLogThrottleMax: config.pollFailLogThrottleMax,
    calCommLostCritical: config.calCommLostCritical,
  };
}

/** A reason behind a verdict, logged when it first appears (not on every round, unlike upsmon). */
interface Note {
  key: string;
  log: EngineLog;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class LegacyMonitorEngine {
  private settings: EngineSettings;
  private ups: UpsState[] = [];
  /** Reasons logged last round, per UPS, so a persisting reason is logged once. */
  private loggedNotes = new Map<string, Set<string>>();
  /** Reasons found for the UPS being evaluated (reused from one UPS to the next). */
  private readonly notes: Note[] = [];

  constructor(config: UpsmonConfig) {
    this.settings = engineSettingsFrom(config);
    this.reconfigure(config);
  }

  /** The UPS states in config order (read-only view for summaries and tests). */
  get states(): readonly UpsState[] {
    return this.ups;
  }

  /** Apply a (re)loaded configuration: UPSes still listed keep their state, new ones start fresh. */
  reconfigure(config: UpsmonConfig): void {
    this.changes++;
    this.settings = engineSettingsFrom(config);
    const old = new Map(this.ups.map((u) => [u.system, u]));
    this.ups = config.monitors.map((m) => {
      const kept = old.get(m.system);
      if (!kept) return newUpsState(m.system, m.role, m.powerValue);
      kept.role = m.role;
      kept.powerValue = m.powerValue;
      return kept;
    });
    for (const system of this.loggedNotes.keys()) {
      if (!this.ups.some((u) => u.system === system)) this.loggedNotes.delete(system);
    }
  }

  /**
   * Bumped whenever what `summary()` shows may have changed (a new status text, communication lost,
   * a DEADTIME promotion, a reload), so callers can skip rebuilding it.
   */
  changes = 0;

  /** One poll result for one UPS. */
  observe(system: string, result: PollResult, nowMs: number): EngineOutput {
    const out = emptyOutput();
    const ups = this.find(system);
    if (!ups) return out;
    if (result.kind === "failure" ? ups.commState !== 0 : result.status !== ups.lastStatusText)
      this.changes++;
    if (result.kind === "status") ups.lastStatusText = result.status;
    if (result.kind === "failure") {
      applyFailure(ups, nowMs, this.settings, out, result);
    } else {
      if (result.status !== "") noteRecovered(ups, this.settings, out);
      applyStatus(ups, result.status, result.alarm, result.buzzwords, nowMs, this.settings, out);
    }
    return out;
  }

  /**
   * The wall clock jumped (the host slept, or the clock was set): what upsmon HEAD does on waking up.
   * Every UPS forgets its status flags (they are stale) and counts as just heard from, so neither
   * DEADTIME nor an old OB+LB can shut the host down before fresh polls say so.
   */
  resumeAfterTimeJump(nowMs: number, jumpSec: number): EngineOutput {
    const out = emptyOutput();
    const seconds = `${jumpSec.toFixed(6)} seconds`;
    out.logs.push({
      level: "warning",
      message: `It seems we have slept without warning or the system clock was changed by ${seconds}`,
    });
    out.notifications.push({ type: "SUSPEND_TIMEJUMP_UNEXPECTED", system: undefined, extra: seconds });
    for (const ups of this.ups) {
      for (const k of Object.keys(ups.flags) as (keyof typeof ups.flags)[]) ups.flags[k] = false;
      ups.lastPollMs = nowMs;
      ups.lastNonCriticalMs = nowMs;
      ups.oblbSinceMs = undefined;
      ups.offSinceMs = undefined;
      ups.offExpired = false;
      ups.fsdNotified = false;
      ups.lastStatusText = undefined;
    }
    this.changes++;
    return out;
  }

  /** The primary's `FSD <ups>` was accepted: notify FSD once per episode (NUT HEAD's setfsd()). */
  fsdConfirmed(system: string): EngineOutput {
    const out = emptyOutput();
    const ups = this.find(system);
    if (ups && !ups.fsdNotified) {
      ups.fsdNotified = true;
      out.notifications.push({ type: "FSD", system });
    }
    return out;
  }

  /** End of a poll round: upsmon's recalc(). */
  evaluate(nowMs: number): Evaluation {
    const result: Evaluation = {
      notifications: [],
      logs: [],
      critical: [],
      healthyPowerValue: 0,
      shutdown: false,
    };
    const notes = this.notes;
    const s = this.settings;
    for (const ups of this.ups) {
      if (
        ups.lastPollMs !== undefined &&
        nowMs - ups.lastPollMs > s.deadTimeSec * 1000 &&
        ups.flags.onBattery
      ) {
        if (!ups.flags.lowBattery) {
          result.logs.push({ level: "warning", message: `Promoting dead UPS: ${ups.system}` });
          this.changes++;
        }
        ups.flags.lowBattery = true;
      }
      notes.length = 0;
      const critical = this.isCritical(ups, nowMs, notes);
      this.logNewNotes(ups.system, notes, result.logs);
      if (critical) {
        result.critical.push(ups.system);
        result.logs.push({ level: "debug", message: `Critical UPS: ${ups.system}`, debugLevel: 1 });
      } else {
        result.healthyPowerValue += ups.powerValue;
      }
    }
    if (result.healthyPowerValue < s.minSupplies) {
      result.shutdown = true;
      result.logs.push({
        level: "warning",
        message: `Too few UPS(es) are healthy (${result.healthyPowerValue}<${s.minSupplies}), initiating forced shutdown`,
      });
    }
    return result;
  }

  /** Seconds until the next round: POLLFREQALERT while any UPS is in an alert state, else POLLFREQ. */
  pollIntervalSec(): number {
    const s = this.settings;
    const alert = this.ups.some((u) => {
      const f = u.flags;
      return f.onBattery || f.off || f.bypass || f.alarm || f.cal || f.over || f.trim || f.boost;
    });
    if (!alert) return s.pollFreqSec;
    if (s.oblbDurationSec > 0 && this.ups.some((u) => u.oblbSinceMs !== undefined)) {
      return gcd(Math.max(1, s.pollFreqAlertSec), s.oblbDurationSec);
    }
    return s.pollFreqAlertSec;
  }

  /** One line for the service manager's status: each UPS's last known status. */
  summary(): string {
    return this.ups
      .map((u) => {
        const f = u.flags;
        if (u.commState === -1 && u.lastPollMs === undefined) return `${u.system}: waiting`;
        const words = [
          f.fsd && "FSD",
          f.online && "OL",
          f.onBattery && "OB",
          f.lowBattery && "LB",
          f.cal && "CAL",
          f.off && "OFF",
          f.bypass && "BYPASS",
          f.alarm && "ALARM",
          f.over && "OVER",
          f.trim && "TRIM",
          f.boost && "BOOST",
          f.eco && "ECO",
        ].filter((w): w is string => typeof w === "string");
        return `${u.system}: ${words.join(" ") || "?"}${u.commState === 0 ? " (no comm)" : ""}`;
      })
      .join("; ");
  }

  private find(system: string): UpsState | undefined {
    return this.ups.find((u) => u.system === system);
  }

  private logNewNotes(system: string, notes: Note[], logs: EngineLog[]): void {
    const before = this.loggedNotes.get(system);
    // the steady state: no reasons now and none last round, nothing to allocate
    if (notes.length === 0 && (before === undefined || before.size === 0)) return;
    for (const n of notes) if (!before?.has(n.key)) logs.push(n.log);
    this.loggedNotes.set(system, new Set(notes.map((n) => n.key)));
  }

  /** upsmon's is_ups_critical(), in its order. Reasons go to `notes`. */
  private isCritical(ups: UpsState, nowMs: number, notes: Note[]): boolean {
    const s = this.settings;
    const f = ups.flags;
    const name = ups.system;
    if (f.fsd) return true;
    // The steady state, decided before building anything: communicating, not OFF, not on battery and
    // no OB+LB episode to close, every check below ends in "not critical" (each clause has a test row).
    if (ups.commState !== 0 && !f.off && !f.onBattery && ups.oblbSinceMs === undefined) return false;
    const warn = (key: string, message: string) => notes.push({ key, log: { level: "warning", message } });
    const debug = (key: string, message: string) =>
      notes.push({ key, log: { level: "debug", message, debugLevel: 1 } });

    if (ups.commState === 0) {
      const lost = "and currently is not communicating";
      if (f.trim)
        warn(
          "trim",
          `UPS [${name}] was last known to be trimming incoming voltage ${lost}, but we make no assumptions if it is dead now`,
        );
      if (f.boost)
        warn(
          "boost",
          `UPS [${name}] was last known to be boosting incoming voltage ${lost}, but we make no assumptions if it is dead now`,
        );
      if (f.over) {
        if (s.overDurationSec >= 0) {
          const overMs = nowMs - (ups.overSinceMs ?? nowMs);
          if (overMs < s.overDurationSec * 1000) {
            warn(
              "over-wait",
              `UPS [${name}] was last known to be overloaded for ${Math.floor(overMs / 1000)} sec out of ${s.overDurationSec} sec threshold ${lost}, just so you know (waiting for OVERDURATION to elapse)`,
            );
          } else {
            warn(
              "over-dead",
              `UPS [${name}] was last known to be overloaded for longer than the set threshold of ${s.overDurationSec} sec and is still not communicating, assuming dead`,
            );
            return true;
          }
        } else {
          warn(
            "over",
            `UPS [${name}] was last known to be overloaded ${lost}, but we make no assumptions if it is dead now`,
          );
        }
      }
      if (f.alarm) {
        if (s.alarmCritical) {
          warn(
            "alarm",
            `UPS [${name}] was last known to be in an ALARM state ${lost}, assuming dead. If this is in error and causes unwanted shutdowns, consider disabling the upsmon ALARMCRITICAL option.`,
          );
          return true;
        }
        debug(
          "alarm",
          `UPS [${name}] was last known to be in an ALARM state ${lost}. It is not assumed dead as the upsmon ALARMCRITICAL option was disabled.`,
        );
      }
      if (f.cal) {
        if (s.calCommLostCritical) {
          warn(
            "cal",
            `UPS [${name}] was last known to be calibrating ${lost}, assuming dead (set NUTGUARD_CALCOMMLOST_CRITICAL 0 to wait for DEADTIME instead)`,
          );
          return true;
        }
        warn(
          "cal",
          `UPS [${name}] was last known to be calibrating ${lost}; not assumed dead (NUTGUARD_CALCOMMLOST_CRITICAL 0), waiting for DEADTIME`,
        );
      }
      if (f.bypass) {
        warn("bypass", `UPS [${name}] was last known to be on BYPASS ${lost}, assuming dead`);
        return true;
      }
      if (ups.offExpired || (s.offDurationSec >= 0 && f.off)) {
        warn("off", `UPS [${name}] was last known to be (administratively) OFF ${lost}, assuming dead`);
        return true;
      }
      if (ups.lineState === 0) {
        debug(
          "deadtime",
          `UPS [${name}] was last known to be not fully online ${lost}, just so you know (waiting for DEADTIME to elapse)`,
        );
      }
    }

    if (f.off && s.offDurationSec >= 0 && ups.offExpired) {
      warn("off-long", `UPS [${name}] is reported as (administratively) OFF`);
      return true;
    }

    if (!f.onBattery || !f.lowBattery) {
      if (ups.oblbSinceMs !== undefined) {
        warn(
          "oblb-end",
          `seems that UPS [${name}] returned from OB+LB state now after spending ${Math.floor((nowMs - ups.oblbSinceMs) / 1000)} seconds in it`,
        );
        ups.oblbSinceMs = undefined;
      }
      return false;
    }

    if (f.cal) {
      warn(
        "oblb-cal",
        `seems that UPS [${name}] is OB+LB now, but it is also calibrating - not declaring a critical state`,
      );
      return false;
    }

    if (s.oblbDurationSec > 0) {
      if (ups.oblbSinceMs === undefined) {
        ups.oblbSinceMs = nowMs;
        warn(
          "oblb-start",
          `seems that UPS [${name}] is OB+LB now, but OBLBDURATION=${s.oblbDurationSec} - not declaring a critical state just now`,
        );
        return false;
      }
      const heldMs = nowMs - ups.oblbSinceMs;
      if (heldMs < s.oblbDurationSec * 1000) {
        debug(
          "oblb-wait",
          `seems that UPS [${name}] is still OB+LB for ${Math.floor(heldMs / 1000)} sec out of ${s.oblbDurationSec} delay`,
        );
        return false;
      }
      warn(
        "oblb-done",
        `seems that UPS [${name}] is still OB+LB for ${Math.floor(heldMs / 1000)} sec out of ${s.oblbDurationSec} delay - proceeding with shutdown alerts`,
      );
    }

    if (ups.role === "primary") return true;

    const sinceNonCriticalMs = nowMs - (ups.lastNonCriticalMs ?? Number.NEGATIVE_INFINITY);
    if (sinceNonCriticalMs > s.hostSyncSec * 1000) {
      warn(
        "hostsync",
        `Giving up on the primary for UPS [${name}] after ${Math.floor(sinceNonCriticalMs / 1000)} sec since last comms`,
      );
      return true;
    }
    return false;
  }
}
