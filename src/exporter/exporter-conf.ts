/**
 * `nutguard exporter`'s targets and interval, from its command line and nutguard.conf's `[exporter]`
 * section. Keys: `target = ups@host[:port]` or `*@host[:port]` (repeatable), `interval` (seconds,
 * default 5), `username`, `password` / `password_file`. Pure.
 */
import type { NgSection } from "../config/nutguard-conf.js";
import type { Secret } from "../http/http-conf.js";
import { splitName } from "../protocol/upsname.js";

/** One upsd to watch: every UPS it serves (`ups` undefined, from `*@host`) or the named ones. */
export interface ExporterTarget {
  host: string;
  port: number;
  /** undefined: every UPS the server lists (LIST UPS each round). */
  ups: string | undefined;
  text: string;
}

export interface ExporterSettings {
  targets: ExporterTarget[];
  intervalSec: number;
  username: string | undefined;
  password: Secret | undefined;
}

export const DEFAULT_EXPORTER_INTERVAL_SEC = 5;

/** `ups@host[:port]` or `*@host[:port]` (upscli_splitname's rules); the reason when invalid. */
export function parseTarget(text: string): ExporterTarget | { error: string } {
  if (!text.includes("@")) return { error: `"${text}": a target is ups@host[:port] or *@host[:port]` };
  const r = splitName(text);
  if (!r.ok) return { error: `"${text}": ${r.diagnostic}` };
  const ups = r.value.upsname === "*" ? undefined : r.value.upsname;
  return { host: r.value.host, port: r.value.port, ups, text };
}

export function parseInterval(text: string): number | { error: string } {
  const v = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(v >= 1 && v <= 3600)) return { error: `interval must be from 1 to 3600 seconds, got "${text}"` };
  return v;
}

export function exporterFromSection(section: NgSection | undefined): ExporterSettings {
  const s: ExporterSettings = {
    targets: [],
    intervalSec: DEFAULT_EXPORTER_INTERVAL_SEC,
    username: undefined,
    password: undefined,
  };
  if (!section) return s;
  section.rejectUnknown(["target", "interval", "username", "password", "password_file"]);
  for (const e of section.all("target")) {
    for (const word of e.words) {
      const t = parseTarget(word);
      if ("error" in t) throw section.error(e, `target ${t.error}`);
      s.targets.push(t);
    }
  }
  const interval = section.one("interval");
  if (interval) {
    const v = parseInterval(interval.value);
    if (typeof v !== "number") throw section.error(interval, v.error);
    s.intervalSec = v;
  }
  s.username = section.one("username")?.value;
  const pw = section.one("password");
  const pwFile = section.one("password_file");
  if (pw && pwFile) throw section.error(pwFile, `give either "password" or "password_file", not both`);
  if (pw) s.password = { value: pw.value };
  if (pwFile) s.password = { file: pwFile.value, line: pwFile.line };
  if ((s.username === undefined) !== (s.password === undefined)) {
    throw section.error(section.one("username") ?? pw ?? pwFile, `"username" and "password" go together`);
  }
  return s;
}
