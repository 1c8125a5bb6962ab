/**
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
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import { type CriticalNote, type CriticalSettings, evaluateCritical } from "./critical-rules.js";
import { noteRecovered } from "./engine-poll-failures.js";
import {
  type EngineLog,
  type EngineOutput,
  type Evaluation,
  emptyOutput,
  type PollResult,
} from "./engine-types.js";
import {
  applyFailure,
  applyStatus,
  applyVerdict,
  confirmFsd,
  forgetAfterTimeJump,
  newUpsState,
  noteReadings,
  noteStatusText,
  promoteIfDead,
  reconfigureUps,
  type UpsRuleSettings,
  type UpsState,
} from "./engine-ups.js";
import type { ExtraCriticalRule } from "./threshold-rules.js";

export interface EngineSettings extends UpsRuleSettings, CriticalSettings {
  pollFreqAlertSec: number;
  deadTimeSec: number;
  minSupplies: number;
}

export function engineSettingsFrom(config: UpsmonConfig): EngineSettings {
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

/** An observation with nothing to deliver (shared, frozen). */
const NOTHING: EngineOutput = Object.freeze({
  notifications: Object.freeze([]) as unknown as EngineOutput["notifications"],
  logs: Object.freeze([]) as unknown as EngineOutput["logs"],
});

/** A round with no critical UPS (shared, frozen as every evaluation's critical list is). */
const NO_CRITICAL: Evaluation["critical"] = Object.freeze([]);

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class MonitorEngine {
  private settings: EngineSettings;
  private ups: UpsState[] = [];
  /** The same states by system name. */
  private bySystem = new Map<string, UpsState>();
  /** Reasons logged last round, per UPS, so a persisting reason is logged once. */
  private loggedNotes = new Map<string, Set<string>>();
  /** What `observe` collects, reused from one poll to the next (it returns a copy, or NOTHING). */
  private readonly scratch = emptyOutput();
  /** Reasons found for the UPS being evaluated (reused from one UPS to the next). */
  private readonly notes: CriticalNote[] = [];
  /** What `evaluate` collects, reused from one round to the next (it returns copies, or shared empty arrays). */
  private readonly evaluationLogs: EngineLog[] = [];
  private readonly evaluationCritical: Array<Evaluation["critical"][number]> = [];

  /**
   * `extraRule`: nutguard's own critical rules (battery thresholds from nutguard.conf), consulted after
   * upsmon's table for a UPS that table found not critical.
   */
  constructor(
    config: UpsmonConfig,
    private readonly extraRule?: ExtraCriticalRule,
  ) {
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
      reconfigureUps(kept, m.role, m.powerValue);
      return kept;
    });
    this.bySystem = new Map(this.ups.map((u) => [u.system, u]));
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
    const out = this.scratch;
    out.notifications.length = 0;
    out.logs.length = 0;
    const ups = this.find(system);
    if (!ups) return NOTHING;
    if (result.kind === "failure" ? ups.commState !== 0 : noteStatusText(ups, result.status)) this.changes++;
    if (result.kind === "failure") {
      applyFailure(ups, nowMs, this.settings, out, result);
    } else {
      if (result.status !== "") {
        noteRecovered(ups, this.settings, out);
        noteReadings(ups, result.vars);
      }
      applyStatus(ups, result.status, result.alarm, result.buzzwords, nowMs, this.settings, out);
    }
    // a steady poll says nothing: no output allocated for it
    if (out.notifications.length === 0 && out.logs.length === 0) return NOTHING;
    return { notifications: [...out.notifications], logs: [...out.logs] };
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
    for (const ups of this.ups) forgetAfterTimeJump(ups, nowMs);
    this.changes++;
    return out;
  }

  /** The primary's `FSD <ups>` was accepted: notify FSD once per episode (NUT HEAD's setfsd()). */
  fsdConfirmed(system: string): EngineOutput {
    const out = emptyOutput();
    const ups = this.find(system);
    if (ups && confirmFsd(ups)) out.notifications.push({ type: "FSD", system });
    return out;
  }

  /** End of a poll round: upsmon's recalc(). */
  evaluate(nowMs: number): Evaluation {
    // collected in arrays kept from round to round; the result gets copies, or shared empty ones
    const logs = this.evaluationLogs;
    const critical = this.evaluationCritical;
    logs.length = 0;
    critical.length = 0;
    let healthyPowerValue = 0;
    const notes = this.notes;
    const s = this.settings;
    for (let i = 0; i < this.ups.length; i++) {
      const ups = this.ups[i]!;
      if (promoteIfDead(ups, nowMs, s.deadTimeSec, logs)) this.changes++;
      notes.length = 0;
      const verdict = evaluateCritical(ups, s, nowMs, notes);
      let reason = verdict.reason;
      if (reason === undefined && this.extraRule !== undefined) {
        const extra = this.extraRule(ups, nowMs);
        if (extra !== undefined) {
          reason = extra.reason;
          notes.push({ key: extra.reason, log: { level: "warning", message: extra.message } });
        }
      }
      applyVerdict(ups, reason, verdict.oblbTimer, nowMs);
      this.logNewNotes(ups.system, notes, logs);
      if (reason !== undefined) {
        critical.push({ ups: ups.system, reason });
        logs.push({ level: "debug", message: `Critical UPS: ${ups.system}`, debugLevel: 1 });
      } else {
        healthyPowerValue += ups.powerValue;
      }
    }
    const shutdown = healthyPowerValue < s.minSupplies;
    if (shutdown) {
      logs.push({
        level: "warning",
        message: `Too few UPS(es) are healthy (${healthyPowerValue}<${s.minSupplies}), initiating forced shutdown`,
      });
    }
    return {
      notifications: NOTHING.notifications,
      logs: logs.length === 0 ? NOTHING.logs : [...logs],
      critical: critical.length === 0 ? NO_CRITICAL : Object.freeze([...critical]),
      healthyPowerValue,
      shutdown,
    };
  }

  /** Seconds until the next round: POLLFREQALERT while any UPS is in an alert state, else POLLFREQ. */
  pollIntervalSec(): number {
    const s = this.settings;
    // twice a round over every UPS: an indexed loop, no closure call per UPS
    let alert = false;
    for (let i = 0; i < this.ups.length && !alert; i++) {
      const f = this.ups[i]!.flags;
      alert = f.onBattery || f.off || f.bypass || f.alarm || f.cal || f.over || f.trim || f.boost;
    }
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
    return this.bySystem.get(system);
  }

  private logNewNotes(system: string, notes: CriticalNote[], logs: EngineLog[]): void {
    const before = this.loggedNotes.get(system);
    // the steady state: no reasons now and none last round, nothing to allocate
    if (notes.length === 0 && (before === undefined || before.size === 0)) return;
    for (const n of notes) if (!before?.has(n.key)) logs.push(n.log);
    this.loggedNotes.set(system, new Set(notes.map((n) => n.key)));
  }
}
