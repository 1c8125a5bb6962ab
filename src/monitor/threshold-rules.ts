/**
 * Battery thresholds as critical rules (an extension to upsmon, off unless nutguard.conf sets them):
 * each is one rule with its own reason id, evaluated after upsmon's rules in the critical-rule table.
 * A threshold applies only while the UPS communicates and reports OB (a charge of 20 % while
 * charging on line power is no reason to shut down); the first one reached wins, as in apcupsd.
 * On a secondary, a threshold is this host's own policy: it makes the UPS critical at once (the
 * secondary shuts itself down; only a primary sets FSD), while OB+LB keeps upsmon's HOSTSYNC wait.
 * Pure: readings and time in, a verdict out.
 */
import type { Thresholds } from "../config/thresholds.js";
import type { UpsState } from "./engine-ups.js";
import type { CriticalReason } from "./events.js";

/** What a threshold rule looks at, for one UPS this round. */
export interface ThresholdView {
  /** The last poll succeeded (readings are fresh). */
  communicating: boolean;
  onBattery: boolean;
  /** battery.charge (percent), undefined when not reported. */
  charge: number | undefined;
  /** battery.runtime (seconds), undefined when not reported. */
  runtime: number | undefined;
  /** Since when the UPS has been on battery (ms), undefined when not. */
  onBatterySinceMs: number | undefined;
}

export interface ThresholdRule {
  id: Extract<CriticalReason, "charge-threshold" | "runtime-threshold" | "onbattery-threshold">;
  /** The nutguard.conf key. */
  key: keyof Thresholds;
  /** The UPS variable it needs (undefined: none). */
  variable: string | undefined;
  /** Why the UPS is critical, or undefined when this rule does not match. */
  check(t: Thresholds, v: ThresholdView, nowMs: number): string | undefined;
}

const active = (v: ThresholdView) => v.communicating && v.onBattery;

/** In table order: charge, runtime, time on battery. */
export const THRESHOLD_RULES: readonly ThresholdRule[] = [
  {
    id: "charge-threshold",
    key: "charge",
    variable: "battery.charge",
    check: (t, v) =>
      t.charge !== undefined && active(v) && v.charge !== undefined && v.charge <= t.charge
        ? `battery.charge ${v.charge} % is at or below the threshold of ${t.charge} %`
        : undefined,
  },
  {
    id: "runtime-threshold",
    key: "runtime",
    variable: "battery.runtime",
    check: (t, v) =>
      t.runtime !== undefined && active(v) && v.runtime !== undefined && v.runtime <= t.runtime
        ? `battery.runtime ${v.runtime} s is at or below the threshold of ${t.runtime} s`
        : undefined,
  },
  {
    id: "onbattery-threshold",
    key: "onbattery",
    variable: undefined,
    check: (t, v, nowMs) => {
      if (t.onbattery === undefined || !active(v) || v.onBatterySinceMs === undefined) return undefined;
      const onBatterySec = Math.floor((nowMs - v.onBatterySinceMs) / 1000);
      return onBatterySec >= t.onbattery
        ? `on battery for ${onBatterySec} s, the threshold is ${t.onbattery} s`
        : undefined;
    },
  },
];

/** The first threshold rule that matches, with its reason text; undefined when none does. */
export function thresholdVerdict(
  t: Thresholds,
  v: ThresholdView,
  nowMs: number,
): { id: ThresholdRule["id"]; why: string } | undefined {
  for (const rule of THRESHOLD_RULES) {
    const why = rule.check(t, v, nowMs);
    if (why !== undefined) return { id: rule.id, why };
  }
  return undefined;
}

/**
 * After the first successful poll of a UPS: one warning per configured threshold whose variable the
 * UPS does not report (that threshold can never apply to it).
 */
export function missingVariableWarnings(
  system: string,
  t: Thresholds,
  vars: Readonly<Record<string, string>>,
): string[] {
  return THRESHOLD_RULES.filter(
    (r) => r.variable !== undefined && t[r.key] !== undefined && vars[r.variable] === undefined,
  ).map(
    (r) =>
      `UPS [${system}] does not report ${r.variable}: the ${r.key} threshold (${r.key} = ${t[r.key]}) from nutguard.conf cannot apply to it`,
  );
}

/** A critical rule of nutguard's own, consulted after upsmon's table (engine.ts): reason and log line. */
export type ExtraCriticalRule = (
  ups: Readonly<UpsState>,
  nowMs: number,
) => { reason: CriticalReason; message: string } | undefined;

/** The threshold rules as the engine's extra rule, with each UPS's thresholds from `thresholdsOf`. */
export function thresholdCriticalRule(thresholdsOf: (system: string) => Thresholds): ExtraCriticalRule {
  return (ups, nowMs) => {
    const t = thresholdsOf(ups.system);
    if (t.charge === undefined && t.runtime === undefined && t.onbattery === undefined) return undefined;
    const verdict = thresholdVerdict(
      t,
      {
        communicating: ups.commState === 1,
        onBattery: ups.flags.onBattery,
        charge: ups.charge,
        runtime: ups.runtime,
        onBatterySinceMs: ups.onBatterySinceMs,
      },
      nowMs,
    );
    if (verdict === undefined) return undefined;
    return {
      reason: verdict.id,
      message: `UPS [${ups.system}]: ${verdict.why} (nutguard.conf) - declaring a critical state`,
    };
  };
}
