/**
 * The history file's format: a header line, then one record per line, each `<checksum> <json>`,
 * appended as they happen. A crash can only tear the last line; a line whose checksum does not match
 * is corrupt. Pure: records ⇄ text.
 */
import { createHash } from "node:crypto";
import type { MonitorEvent } from "../monitor/events.js";

export const HISTORY_HEADER = "nutguard-history 1";

/** Readings of one UPS at one time (charts). */
export interface Sample {
  ms: number;
  ups: string;
  charge?: number;
  runtime?: number;
  load?: number;
  inputVoltage?: number;
}

export type HistoryRecord = { t: "event"; id: number; e: MonitorEvent } | ({ t: "sample" } & Sample);

function checksum(json: string): string {
  return createHash("sha256").update(json, "utf8").digest("hex").slice(0, 12);
}

export function encodeRecord(r: HistoryRecord): string {
  const json = JSON.stringify(r);
  return `${checksum(json)} ${json}\n`;
}

export interface DecodedHistory {
  /** The file is not a history file (its first line is not the header): set it aside whole. */
  foreign: boolean;
  records: HistoryRecord[];
  /** Lines (1-based) whose checksum or JSON is wrong, a torn last line excluded. */
  corruptLines: number[];
  /** The last line has no line feed: a write cut short by a crash (dropped). */
  tornTail: boolean;
}

function valid(r: unknown): r is HistoryRecord {
  if (typeof r !== "object" || r === null) return false;
  const o = r as Record<string, unknown>;
  if (o.t === "event") return typeof o.id === "number" && typeof o.e === "object" && o.e !== null;
  return o.t === "sample" && typeof o.ms === "number" && typeof o.ups === "string";
}

export function decodeHistory(text: string): DecodedHistory {
  const out: DecodedHistory = { foreign: false, records: [], corruptLines: [], tornTail: false };
  if (text === "") return out;
  const lines = text.split("\n");
  if (lines[0] !== HISTORY_HEADER) return { ...out, foreign: true };
  const last = lines.length - 1;
  if (lines[last] !== "") out.tornTail = true;
  for (let i = 1; i < last; i++) {
    const line = lines[i]!;
    const sp = line.indexOf(" ");
    const json = line.slice(sp + 1);
    let rec: unknown;
    try {
      rec = sp === 12 && checksum(json) === line.slice(0, 12) ? JSON.parse(json) : undefined;
    } catch {
      rec = undefined;
    }
    if (valid(rec)) out.records.push(rec);
    else out.corruptLines.push(i + 1);
  }
  return out;
}
