/**
 * The last drill's result, for the status page and the JSON API: `last-drill.json` in the state
 * directory (`--state-dir DIR`, else $STATE_DIRECTORY, else /var/lib/nutguard). Written whole (temp +
 * rename) by `nutguard drill`; read with the safe config-file reader by the HTTP surface. A file that
 * cannot be written never fails the drill; a corrupt one is reported by the reader, never thrown.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultHistory } from "../history/history-conf.js";
import { readOptionalConfigFile } from "../util/config-file-read.js";
import type { DrillReport } from "./drill-types.js";

export const LAST_DRILL_FILE = "last-drill.json";

export interface LastDrill {
  /** When the drill ended (ISO 8601, UTC). */
  time: string;
  scenarios: string[];
  /** upsmon.conf, and nutguard.conf when one was played. */
  configFiles: string[];
  /** The drill's exit status: 0 the plan works, 1 findings. */
  exitStatus: number;
  findings: number;
  /** `[id] subject`, one per finding. */
  findingTitles: string[];
}

/** What a reader found: a record, or why the file could not be used. */
export type LastDrillRead = { record: LastDrill } | { error: string };

/** The state directory: `--state-dir`, else $STATE_DIRECTORY (systemd), else /var/lib/nutguard. */
export function drillStateDir(option: string | undefined, env: Readonly<Record<string, string | undefined>>) {
  return option ?? defaultHistory(env).dir;
}

export function lastDrillRecord(report: DrillReport, exitStatus: number, nowMs: number): LastDrill {
  return {
    time: new Date(nowMs).toISOString(),
    scenarios: report.runs.map((r) => r.scenario),
    configFiles: [report.configPath, ...(report.nutguardConfPath ? [report.nutguardConfPath] : [])],
    exitStatus,
    findings: report.findings.length,
    findingTitles: report.findings.map((f) => `[${f.id}] ${f.subject}`),
  };
}

/** Write the record (temp + rename, mode 0644). Returns why it could not, or undefined. */
export function writeLastDrill(dir: string, record: LastDrill): string | undefined {
  const path = join(dir, LAST_DRILL_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
    renameSync(tmp, path);
    return undefined;
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    return `cannot write ${path}: ${e.code === "ENOENT" ? "no such directory" : e.message}`;
  }
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

/** The record in `dir`; undefined when there is none; `{ error }` when the file cannot be used. */
export function readLastDrill(dir: string): LastDrillRead | undefined {
  const path = join(dir, LAST_DRILL_FILE);
  let text: string | undefined;
  try {
    text = readOptionalConfigFile(path);
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (text === undefined) return undefined;
  let v: Partial<LastDrill>;
  try {
    v = JSON.parse(text) as Partial<LastDrill>;
  } catch {
    return { error: `${path}: not valid JSON` };
  }
  if (
    v === null ||
    typeof v !== "object" ||
    typeof v.time !== "string" ||
    Number.isNaN(Date.parse(v.time)) ||
    !isStrings(v.scenarios) ||
    !isStrings(v.configFiles) ||
    typeof v.exitStatus !== "number" ||
    typeof v.findings !== "number" ||
    !isStrings(v.findingTitles)
  )
    return { error: `${path}: not a drill result` };
  return { record: v as LastDrill };
}

/** "2026-12-05 19:40 UTC, outage: passed" / "…, outage, comm-loss: 2 findings" / the reader's error. */
export function lastDrillText(read: LastDrillRead): string {
  if ("error" in read) return `unreadable (${read.error})`;
  const r = read.record;
  const when = `${r.time.slice(0, 16).replace("T", " ")} UTC`;
  const outcome =
    r.findings > 0
      ? `${r.findings} finding${r.findings === 1 ? "" : "s"}`
      : r.exitStatus === 0
        ? "passed"
        : "failed";
  return `${when}, ${r.scenarios.join(", ") || "no scenario"}: ${outcome}`;
}
