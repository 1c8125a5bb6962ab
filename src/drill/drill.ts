/**
 * `nutguard drill` as a library: read the admin's upsmon.conf (and nutguard.conf) with the monitor's
 * own readers, read each monitored UPS once from its real upsd (probe.ts, read-only), gather the host
 * facts (facts.ts), play the scenarios through the real monitor on simulated time (runner.ts), and
 * derive the findings (findings.ts, pure). Thin: wires those rooms.
 */

import { type NgSection, nutguardConfPathFor, parseNutguardConf } from "../config/nutguard-conf.js";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import { loadUpsmonConfFile } from "../monitor/config-file.js";
import { ConfigFileError, readConfigFile } from "../util/config-file-read.js";
import type { Logger } from "../util/log.js";
import type { DrillReport, DrillScenario, ScenarioRun, TwinProfile } from "./drill-types.js";
import { gatherHostFacts } from "./facts.js";
import { findings } from "./findings.js";
import { probeRealUps } from "./probe.js";
import { runScenario } from "./runner.js";
import { twinProfile } from "./scenario.js";

export interface DrillOptions {
  configPath: string;
  /** nutguard.conf (default: beside upsmon.conf; a missing file is fine). */
  nutguardConfPath?: string;
  /** Only this UPS loses power (as written in MONITOR, or its UPS name). */
  ups?: string;
  scenarios: readonly DrillScenario[];
  execNotify: boolean;
  /** Seconds the host takes to shut down (default: the last boot's journal, else 60). */
  shutdownTakesSec?: number;
  log: Logger;
  /** Ctrl-C: the running scenario stops, no further one starts. */
  signal?: AbortSignal;
}

/** A configuration the drill cannot use (exit status 2). */
export class DrillConfigError extends Error {}

function readNutguardConf(path: string, explicit: boolean): NgSection[] {
  let text: string;
  try {
    text = readConfigFile(path); // UTF-8, as every config file (a template keeps its text)
  } catch (err) {
    if (!explicit && err instanceof ConfigFileError && err.missing) return [];
    throw new DrillConfigError((err as Error).message);
  }
  try {
    return parseNutguardConf(text, path).sections;
  } catch (err) {
    throw new DrillConfigError((err as Error).message);
  }
}

function selectUps(config: UpsmonConfig, ups: string | undefined): Set<string> {
  if (ups === undefined) return new Set(config.monitors.map((m) => m.system));
  const hit = config.monitors.filter((m) => m.system === ups || m.upsName === ups);
  if (hit.length === 0)
    throw new DrillConfigError(`--ups ${ups}: no MONITOR line in ${config.file} names that UPS`);
  return new Set(hit.map((m) => m.system));
}

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const parsed = await loadUpsmonConfFile(o.configPath);
  if (parsed.fatal) throw new DrillConfigError(parsed.fatal);
  const config = parsed.config;
  if (config.monitors.length === 0)
    throw new DrillConfigError(`${o.configPath}: no MONITOR line: nothing to drill`);
  const ngPath = o.nutguardConfPath ?? nutguardConfPathFor(o.configPath);
  const sections = readNutguardConf(ngPath, o.nutguardConfPath !== undefined);
  const selected = selectUps(config, o.ups);
  const notes: string[] = [];
  for (const m of parsed.messages) if (m.level === "err" || m.level === "warning") notes.push(m.message);
  const extra = sections.filter(
    (s) => s.kind === "thresholds" || s.kind === "channel" || s.kind === "upssched",
  );
  if (extra.length > 0)
    notes.push(
      `${ngPath}: thresholds, channels and built-in upssched timers are not played yet (${extra.map((s) => `[${s.name}]`).join(" ")} read but not simulated)`,
    );

  const probes = await Promise.all(config.monitors.map((m) => probeRealUps(m)));
  const profiles = new Map<string, TwinProfile>();
  for (const p of probes)
    profiles.set(p.monitor.system, twinProfile(p.unreachable === undefined ? p.vars : undefined));
  const facts = gatherHostFacts(config, o.shutdownTakesSec);

  const runs: ScenarioRun[] = [];
  for (const scenario of o.scenarios) {
    if (o.signal?.aborted) break;
    const signal = o.signal ? { signal: o.signal } : {};
    runs.push(
      await runScenario({
        config,
        scenario,
        profiles,
        selected,
        execNotify: o.execNotify,
        log: o.log,
        ...signal,
      }),
    );
  }
  const drilled = new Map([...profiles].filter(([system]) => selected.has(system)));
  return {
    configPath: o.configPath,
    runs,
    findings: findings({ config, probes, profiles: drilled, facts, runs }),
    probes: probes.map((p) => ({
      system: p.monitor.system,
      source: profiles.get(p.monitor.system)!.source,
      unreachable: p.unreachable,
    })),
    notes,
  };
}
