/**
 * The drill's scenarios as data (pure): a twin's battery profile from the variables its real UPS
 * reports (or a plain one), the drain its runtime estimate implies, and each scenario's steps on
 * simulated seconds relative to the moment the mains are lost. The runner turns the steps into a
 * dummy-ups sequence for the embedded server and timers for what a sequence cannot say.
 */
import { isTransportable, quoteValue } from "../protocol/encoder.js";
import type { DrillScenario, TwinProfile } from "./drill-types.js";

/** A UPS that reports nothing useful: full battery, 20 minutes, NUT's usual low-battery marks. */
export const PLAIN_PROFILE: Omit<TwinProfile, "vars" | "source"> = {
  charge: 100,
  runtimeSec: 1200,
  chargeLow: 10,
  runtimeLowSec: 120,
};

/** Variables the twin never copies: the simulated driver has its own, the scenario sets the status. */
const NOT_COPIED = /^(driver\.|ups\.status$|ups\.alarm$|battery\.charge$|battery\.runtime$)/i;

/** Battery variables the twin reports only when the real UPS does. */
const REPORTED = ["battery.charge", "battery.runtime"] as const;

function num(vars: Record<string, string>, name: string): number | undefined {
  const v = vars[name];
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The twin's battery from the real UPS's variables. A UPS without battery.runtime gets the plain
 * runtime scaled by its charge; missing low marks take the plain ones.
 */
export function twinProfile(vars: Record<string, string> | undefined): TwinProfile {
  if (vars === undefined) return { ...PLAIN_PROFILE, vars: {}, source: "plain" };
  const charge = num(vars, "battery.charge");
  const runtime = num(vars, "battery.runtime");
  const copied: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars))
    if (!NOT_COPIED.test(k) && isTransportable(v) && /^[\w.-]+$/.test(k)) copied[k] = v;
  const c = charge !== undefined && charge > 0 ? Math.min(100, charge) : PLAIN_PROFILE.charge;
  const r =
    runtime !== undefined && runtime > 0
      ? Math.round(runtime)
      : Math.round((PLAIN_PROFILE.runtimeSec * c) / PLAIN_PROFILE.charge);
  return {
    charge: c,
    runtimeSec: r,
    chargeLow: num(vars, "battery.charge.low") ?? PLAIN_PROFILE.chargeLow,
    runtimeLowSec: num(vars, "battery.runtime.low") ?? PLAIN_PROFILE.runtimeLowSec,
    vars: copied,
    source: charge !== undefined || runtime !== undefined ? "real" : "plain",
    missing: REPORTED.filter((name) => vars[name] === undefined),
  };
}

/** Battery `t` seconds after the mains were lost: runtime falls one second a second, charge with it. */
export function drainAt(p: TwinProfile, tSec: number): { charge: number; runtimeSec: number } {
  const runtimeSec = Math.max(0, p.runtimeSec - tSec);
  return { charge: (p.charge * runtimeSec) / p.runtimeSec, runtimeSec };
}

/** When the UPS raises LB: the first of runtime ≤ battery.runtime.low and charge ≤ battery.charge.low. */
export function lowBatteryAtSec(p: TwinProfile): number {
  const byRuntime = p.runtimeSec - p.runtimeLowSec;
  const byCharge = p.runtimeSec * (1 - p.chargeLow / p.charge);
  return Math.max(0, Math.floor(Math.min(byRuntime, byCharge)));
}

/** Seconds of runtime left when LB comes. */
export function runtimeAtLowBattery(p: TwinProfile): number {
  return Math.max(0, p.runtimeSec - lowBatteryAtSec(p));
}

export type TwinStep =
  | { atSec: number; kind: "vars"; status: string; charge: number; runtimeSec: number; label?: string }
  /** The driver stops answering (upsd says DRIVER-NOT-CONNECTED). */
  | { atSec: number; kind: "driver-gone" }
  /** Another primary sets FSD on the UPS (upsd's latch). */
  | { atSec: number; kind: "fsd" }
  /** The battery is empty: the load drops. */
  | { atSec: number; kind: "exhausted" };

export interface ScenarioPlan {
  steps: TwinStep[];
  /** Simulated seconds after the mains were lost when the drill stops waiting. */
  endSec: number;
  shutdownExpected: boolean;
}

/** How often the twin's charge and runtime are updated while draining (simulated seconds). */
const DRAIN_STEP_SEC = 10;
/** When, after the mains were lost, the comm-loss and primary-fsd scenarios strike. */
const STRIKE_SEC = 60;
const FLAPS = 5;
const FLAP_OB_SEC = 20;
const FLAP_OL_SEC = 40;

function drain(p: TwinProfile): TwinStep[] {
  const lb = lowBatteryAtSec(p);
  const steps: TwinStep[] = [];
  const times = new Set<number>([0, lb]);
  for (let t = DRAIN_STEP_SEC; t < p.runtimeSec; t += DRAIN_STEP_SEC) times.add(t);
  for (const t of [...times].sort((a, b) => a - b)) {
    const b = drainAt(p, t);
    steps.push({
      atSec: t,
      kind: "vars",
      status: t >= lb ? "OB LB DISCHRG" : "OB DISCHRG",
      charge: Math.round(b.charge),
      runtimeSec: Math.round(b.runtimeSec),
      ...(t === 0 ? { label: "mains lost" } : t === lb ? { label: "battery low (LB)" } : {}),
    });
  }
  steps.push({ atSec: p.runtimeSec, kind: "exhausted" });
  return steps;
}

/** The steps of one scenario for a UPS that takes part in it. */
export function planScenario(scenario: DrillScenario, p: TwinProfile): ScenarioPlan {
  const endSec = p.runtimeSec + 30;
  const strike = Math.min(STRIKE_SEC, Math.floor(lowBatteryAtSec(p) / 2));
  switch (scenario) {
    case "outage":
      return { steps: drain(p), endSec, shutdownExpected: true };
    case "comm-loss":
      return {
        steps: [...drain(p), { atSec: strike, kind: "driver-gone" as const }].sort(
          (a, b) => a.atSec - b.atSec,
        ),
        endSec,
        shutdownExpected: true,
      };
    case "primary-fsd":
      return {
        steps: [...drain(p), { atSec: strike, kind: "fsd" as const }].sort((a, b) => a.atSec - b.atSec),
        endSec,
        shutdownExpected: true,
      };
    case "flapping": {
      const steps: TwinStep[] = [];
      let charge = p.charge;
      let runtime = p.runtimeSec;
      for (let i = 0; i < FLAPS; i++) {
        const t = i * (FLAP_OB_SEC + FLAP_OL_SEC);
        steps.push({
          atSec: t,
          kind: "vars",
          status: "OB DISCHRG",
          charge: Math.round(charge),
          runtimeSec: runtime,
          label: "mains lost",
        });
        runtime = Math.max(0, runtime - FLAP_OB_SEC);
        charge = (p.charge * runtime) / p.runtimeSec;
        steps.push({
          atSec: t + FLAP_OB_SEC,
          kind: "vars",
          status: "OL CHRG",
          charge: Math.round(charge),
          runtimeSec: runtime,
          label: "mains back",
        });
      }
      return { steps, endSec: FLAPS * (FLAP_OB_SEC + FLAP_OL_SEC) + 60, shutdownExpected: false };
    }
  }
}

/**
 * The twin's dummy-ups sequence: its copied variables and a full battery on line for `prerollSec`,
 * then each `vars` step at its time, then the last state held. `TIMER` takes whole seconds.
 */
export function twinSequence(p: TwinProfile, steps: readonly TwinStep[], prerollSec: number): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(p.vars)) lines.push(`${k}: ${quoteValue(v)}`);
  lines.push(`battery.charge.low: ${p.chargeLow}`, `battery.runtime.low: ${p.runtimeLowSec}`);
  lines.push("ups.status: OL", `battery.charge: ${Math.round(p.charge)}`, `battery.runtime: ${p.runtimeSec}`);
  let at = -prerollSec;
  for (const s of steps) {
    if (s.kind !== "vars") continue;
    const wait = Math.round(s.atSec - at);
    if (wait > 0) lines.push(`TIMER ${wait}`);
    at += Math.max(0, wait);
    lines.push(`ups.status: ${s.status}`, `battery.charge: ${s.charge}`, `battery.runtime: ${s.runtimeSec}`);
  }
  lines.push("TIMER 8640000", "");
  const missing = new Set(p.missing ?? []);
  return lines.filter((l) => !missing.has(l.slice(0, l.indexOf(":")))).join("\n");
}
