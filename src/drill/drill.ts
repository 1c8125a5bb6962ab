/**
 * `nutguard drill` as a library: read the admin's upsmon.conf with the monitor's own reader, and
 * nutguard.conf / upssched.conf with the monitor's readers (drill-conf.ts: channels, thresholds, the
 * built-in upssched), read each monitored UPS once from its real upsd (probe.ts, read-only; skipped
 * for the demo's example), gather the host facts (facts.ts), play the scenarios through the real
 * monitor on simulated time (runner.ts, with drill-notify.ts for nutguard.conf), and derive the
 * findings (findings.ts, pure). Thin: wires those rooms.
 */

import { thresholdsFor } from "../config/thresholds.js";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import { loadUpsmonConfFile } from "../monitor/config-file.js";
import { upsMatches } from "../notify/notifier.js";
import type { Logger } from "../util/log.js";
import { DrillConfigError, loadDrillNutguardConf } from "./drill-conf.js";
import type { DrillReport, DrillScenario, RealUpsProbe, ScenarioRun, TwinProfile } from "./drill-types.js";
import { gatherHostFacts } from "./facts.js";
import { findings } from "./findings.js";
import { probeRealUps } from "./probe.js";
import { runScenario } from "./runner.js";
import { twinProfile } from "./scenario.js";

export { DrillConfigError } from "./drill-conf.js";

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
  /**
   * An example configuration (`nutguard demo`): twins from these profiles (by MONITOR system)
   * instead of reading upsd, and no check of this host's programs (they are not the example's).
   */
  example?: { profiles: ReadonlyMap<string, TwinProfile> };
  /** Also a BATTERY timeline entry every this many simulated seconds (the demo's progress). */
  progressEverySec?: number;
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
  const ng = loadDrillNutguardConf(o.configPath, o.nutguardConfPath, config);
  const selected = selectUps(config, o.ups);
  const notes: string[] = [];
  for (const m of parsed.messages) if (m.level === "err" || m.level === "warning") notes.push(m.message);

  const probes: RealUpsProbe[] = o.example
    ? config.monitors.map((monitor) => ({
        monitor,
        unreachable: undefined,
        vars: {},
        credentials: { result: "unchecked", why: "example configuration" },
        clients: undefined,
      }))
    : await Promise.all(config.monitors.map((m) => probeRealUps(m)));
  const profiles = new Map<string, TwinProfile>();
  for (const p of probes)
    profiles.set(
      p.monitor.system,
      o.example?.profiles.get(p.monitor.system) ??
        twinProfile(p.unreachable === undefined ? p.vars : undefined),
    );
  const facts = gatherHostFacts(config, o.shutdownTakesSec, {
    cmdScript: ng.upssched?.cmdScript[0],
    checkPrograms: o.example === undefined,
    monitorReads: ng.monitorReads,
  });
  const runs: ScenarioRun[] = [];
  for (const scenario of o.scenarios) {
    if (o.signal?.aborted) break;
    const signal = o.signal ? { signal: o.signal } : {};
    runs.push(
      await runScenario({
        config,
        configPath: o.configPath,
        ...(o.nutguardConfPath !== undefined ? { nutguardConfPath: o.nutguardConfPath } : {}),
        scenario,
        profiles,
        selected,
        execNotify: o.execNotify,
        ...(o.progressEverySec !== undefined ? { progressEverySec: o.progressEverySec } : {}),
        log: o.log,
        ...signal,
      }),
    );
  }
  const drilled = new Map([...profiles].filter(([system]) => selected.has(system)));
  return {
    configPath: o.configPath,
    ...(ng.present ? { nutguardConfPath: ng.path } : {}),
    runs,
    findings: findings({
      config,
      probes,
      profiles: drilled,
      facts,
      runs,
      channelsFor: (type, ups) =>
        ng.channels.filter((c) => c.events.has(type) && upsMatches(c.ups, ups)).map((c) => c.name),
      thresholdsOf: (system) => thresholdsFor(ng.thresholds, system),
    }),
    probes: probes.map((p) => ({
      system: p.monitor.system,
      source: profiles.get(p.monitor.system)!.source,
      unreachable: p.unreachable,
    })),
    notes,
  };
}
