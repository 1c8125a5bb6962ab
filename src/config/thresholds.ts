/**
 * nutguard.conf's battery thresholds (docs/nutguard-conf.md): `[thresholds]` for every UPS and
 * `[thresholds:<ups>]` for one (as written in MONITOR), overriding `[thresholds]` key by key.
 * Keys: `charge = PERCENT` (shut down when battery.charge ≤ N on battery), `runtime = SECONDS`
 * (battery.runtime ≤ N on battery), `onbattery = SECONDS` (after N seconds on battery). `0` turns a
 * threshold off (so one UPS can opt out of a `[thresholds]` value). Pure; errors name file:line.
 */
import { type NgSection, type NutguardConfFile, sectionsOf } from "./nutguard-conf.js";

export interface Thresholds {
  /** battery.charge ≤ this (percent), on battery. */
  charge?: number;
  /** battery.runtime ≤ this (seconds), on battery. */
  runtime?: number;
  /** On battery this long (seconds). */
  onbattery?: number;
}

export interface ThresholdSettings {
  file: string;
  all: Thresholds;
  /** Per UPS (as in MONITOR), with the line of its section header. */
  perUps: ReadonlyMap<string, { thresholds: Thresholds; line: number }>;
}

const LIMITS: Record<keyof Thresholds, [number, number]> = {
  charge: [0, 100],
  runtime: [0, 86_400],
  onbattery: [0, 86_400],
};

function read(section: NgSection): Thresholds {
  section.rejectUnknown(Object.keys(LIMITS));
  const out: Thresholds = {};
  for (const key of Object.keys(LIMITS) as (keyof Thresholds)[]) {
    const e = section.one(key);
    if (e === undefined) continue;
    const [min, max] = LIMITS[key];
    if (!/^\d+$/.test(e.value) || Number(e.value) > max) {
      throw section.error(e, `${key} must be a whole number from ${min} to ${max}, not "${e.value}"`);
    }
    out[key] = Number(e.value);
  }
  return out;
}

export function thresholdsFromConf(conf: NutguardConfFile | undefined): ThresholdSettings {
  const perUps = new Map<string, { thresholds: Thresholds; line: number }>();
  let all: Thresholds = {};
  for (const s of conf === undefined ? [] : sectionsOf(conf, "thresholds")) {
    if (s.qualifier === undefined) all = read(s);
    else perUps.set(s.qualifier, { thresholds: read(s), line: s.line });
  }
  return { file: conf?.file ?? "nutguard.conf", all, perUps };
}

/** The thresholds of one UPS: its own section over `[thresholds]`, key by key; 0 = off (dropped). */
export function thresholdsFor(settings: ThresholdSettings, system: string): Thresholds {
  const merged: Thresholds = { ...settings.all, ...settings.perUps.get(system)?.thresholds };
  const out: Thresholds = {};
  for (const key of Object.keys(merged) as (keyof Thresholds)[]) {
    const v = merged[key];
    if (v !== undefined && v > 0) out[key] = v;
  }
  return out;
}

/** `[thresholds:<ups>]` sections that name no MONITOR'd UPS: one warning each, file:line. */
export function unknownThresholdUpses(settings: ThresholdSettings, systems: readonly string[]): string[] {
  return [...settings.perUps.entries()]
    .filter(([ups]) => !systems.includes(ups))
    .map(
      ([ups, { line }]) =>
        `${settings.file}:${line}: [thresholds:${ups}] names no UPS of upsmon.conf's MONITOR lines (${systems.join(", ") || "none"}): ignored`,
    );
}
