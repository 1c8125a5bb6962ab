/**
 * nutguard.conf's `[history]` section: where the bounded event/reading history lives and how far back
 * it reaches. Keys: `dir` (default $STATE_DIRECTORY, else /var/lib/nutguard), `hours` (default 24).
 * Pure: the environment is a parameter.
 */
import type { NgSection } from "../config/nutguard-conf.js";

export interface HistorySettings {
  dir: string;
  hours: number;
}

export const DEFAULT_HISTORY_DIR = "/var/lib/nutguard";
export const MAX_HISTORY_HOURS = 24 * 31;

/** systemd's StateDirectory= sets $STATE_DIRECTORY (several are separated by ':'; the first is ours). */
export function defaultHistory(env: Readonly<Record<string, string | undefined>>): HistorySettings {
  const fromSystemd = env.STATE_DIRECTORY?.split(":")[0];
  return { dir: fromSystemd || DEFAULT_HISTORY_DIR, hours: 24 };
}

export function historyFromSection(
  section: NgSection | undefined,
  env: Readonly<Record<string, string | undefined>>,
): HistorySettings {
  const s = defaultHistory(env);
  if (!section) return s;
  section.rejectUnknown(["dir", "hours"]);
  const dir = section.one("dir");
  if (dir) {
    if (!dir.value.startsWith("/"))
      throw section.error(dir, `"dir" must be an absolute path, got "${dir.value}"`);
    s.dir = dir.value;
  }
  const hours = section.one("hours");
  if (hours) {
    const h = /^\d+(\.\d+)?$/.test(hours.value) ? Number(hours.value) : Number.NaN;
    if (!(h > 0 && h <= MAX_HISTORY_HOURS)) {
      throw section.error(
        hours,
        `"hours" must be a number of hours from 1 to ${MAX_HISTORY_HOURS}, got "${hours.value}"`,
      );
    }
    s.hours = h;
  }
  return s;
}
