/**
 * The drill's timeline (pure): the monitor's events, the scenario's steps and the recorded actions
 * as lines in real-world time since the mains were lost ("t+14m10s LOWBATT ups@host ..."), and the
 * text report. No I/O.
 */
import type { MonitorEvent } from "../monitor/events.js";
import type { DrillReport, Finding, ScenarioRun, TimelineEntry } from "./drill-types.js";

/** "t+0s", "t+59s", "t+14m10s", "t+1h02m03s", "t-8s". */
export function formatOffset(tSec: number): string {
  const sign = tSec < 0 ? "-" : "+";
  let s = Math.round(Math.abs(tSec));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `t${sign}${h}h${pad(m)}m${pad(s)}s`;
  if (m > 0) return `t${sign}${m}m${pad(s)}s`;
  return `t${sign}${s}s`;
}

const PHASES: Record<string, { what: string; detail: string }> = {
  "fsd-set": { what: "FSD-SET", detail: "FSD set on the primary UPSes" },
  "waiting-secondaries": { what: "HOSTSYNC", detail: "waiting for the secondaries to log out" },
  "final-delay": { what: "FINALDELAY", detail: "" },
  "shutdowncmd-requested": { what: "SHUTDOWNCMD", detail: "" },
};

/** The timeline entries one monitor event gives (most events give none: polls, quiet rounds). */
export function entriesForEvent(e: MonitorEvent, t0Ms: number): TimelineEntry[] {
  const tSec = (e.timeMs - t0Ms) / 1000;
  switch (e.kind) {
    case "notification":
      return [{ tSec, ...(e.ups !== undefined ? { ups: e.ups } : {}), what: e.type, detail: e.message }];
    case "round":
      if (!e.shutdown) return [];
      return [
        {
          tSec,
          what: "DECISION",
          detail: `shutdown decided: ${e.critical.map((c) => `${c.ups} critical (${c.reason})`).join(", ")}; power ${e.healthyPowerValue} of MINSUPPLIES ${e.minSupplies}`,
        },
      ];
    case "shutdown": {
      const p = PHASES[e.phase];
      if (p === undefined) return [];
      let detail = p.detail;
      if (e.phase === "waiting-secondaries") detail = `${detail} (${e.logins ?? "?"} logins)`;
      if (e.phase === "final-delay") detail = `FINALDELAY ${e.finalDelaySec ?? 0} s`;
      if (e.phase === "shutdowncmd-requested") return [];
      return [{ tSec, what: p.what, detail }];
    }
    case "link":
      if (e.state !== "lost") return [];
      return [{ tSec, ups: e.ups, what: "LINK-LOST", detail: e.error ?? "connection lost" }];
    default:
      return [];
  }
}

export function renderTimeline(entries: readonly TimelineEntry[]): string[] {
  const width = Math.max(8, ...entries.map((e) => formatOffset(e.tSec).length));
  return entries.map(
    (e) =>
      `${formatOffset(e.tSec).padEnd(width)}  ${e.what.padEnd(13)} ${e.ups ? `${e.ups}: ` : ""}${e.detail}`,
  );
}

function outcome(run: ScenarioRun): string {
  if (run.shutdownAtSec !== undefined)
    return `SHUTDOWNCMD requested ${formatOffset(run.shutdownAtSec)} after the mains were lost`;
  return run.shutdownExpected ? "no shutdown happened" : "no shutdown (as expected)";
}

export function renderFinding(f: Finding): string[] {
  return [`- [${f.id}] ${f.subject}: ${f.message}`, `  fix: ${f.fix}`];
}

/** The whole text report. */
export function renderReport(report: DrillReport): string {
  const out: string[] = [
    `nutguard drill: ${report.configPath}${report.nutguardConfPath ? ` and ${report.nutguardConfPath}` : ""}`,
  ];
  for (const p of report.probes)
    out.push(
      `  ${p.system}: ${p.source === "real" ? "twin of the real UPS's variables (read once, read-only)" : `plain profile${p.unreachable ? ` (${p.unreachable})` : ""}`}`,
    );
  for (const run of report.runs) {
    out.push("", `Scenario ${run.scenario}: ${outcome(run)}`);
    out.push(...renderTimeline(run.timeline).map((l) => `  ${l}`));
    out.push(
      `  (${formatOffset(run.simulatedSec).slice(2)} simulated in ${(run.wallMs / 1000).toFixed(1)} s; nothing was run or written)`,
    );
  }
  out.push("");
  if (report.findings.length === 0) out.push("Findings: none. The plan works.");
  else {
    out.push(`Findings (${report.findings.length}):`);
    for (const f of report.findings) out.push(...renderFinding(f));
  }
  for (const n of report.notes) out.push(`note: ${n}`);
  return `${out.join("\n")}\n`;
}
