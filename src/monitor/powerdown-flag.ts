/**
 * POWERDOWNFLAG, as upsmon: the file a shutdown leaves behind so that the late shutdown hook
 * (`nutguard monitor -K`, like `upsmon -K`) knows to tell the UPS to cut power. Its content is
 * upsmon's magic string `upsmon-shutdown-file` with no newline, so either tool can read the other's.
 *
 * Only file I/O on that one path. Written to a temp file and renamed. Must not delete a file that
 * does not hold the magic string (protects against a misconfigured path).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export const POWERDOWN_MAGIC = "upsmon-shutdown-file";

export type PowerDownFlagState = "set" | "absent" | "foreign" | "unreadable";

/** Does the file exist and start with the magic string? */
export function powerDownFlagState(path: string): PowerDownFlagState {
  let content: string;
  try {
    content = readFileSync(path, "latin1");
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : "unreadable";
  }
  return content.startsWith(POWERDOWN_MAGIC) ? "set" : "foreign";
}

/** Create the flag (temp file + rename). Throws with the system's reason on failure. */
export function writePowerDownFlag(path: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, POWERDOWN_MAGIC, { mode: 0o644 });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * upsmon's start-up check: a flag with the magic string is left over from the last shutdown and is
 * deleted; a file with other content means the path is wrong, and the flag is disabled.
 * Returns the path to keep using, or undefined when disabled, and what to log.
 */
export function clearPowerDownFlagAtStartup(path: string): { path: string | undefined; warning?: string } {
  const state = powerDownFlagState(path);
  if (state === "foreign") {
    return {
      path: undefined,
      warning: `POWERDOWNFLAG (${path}) does not contain the upsmon magic string - disabling!`,
    };
  }
  if (state === "set") {
    try {
      rmSync(path, { force: true });
    } catch (err) {
      return { path, warning: `Unable to remove old POWERDOWNFLAG ${path}: ${(err as Error).message}` };
    }
  }
  return { path };
}

/** `-K`: the exit status and the line upsmon prints. */
export function checkPowerDownFlag(path: string | undefined): { exitCode: 0 | 1; message: string } {
  if (path === undefined)
    return { exitCode: 1, message: "Power down flag is not set (no POWERDOWNFLAG configured)" };
  const state = powerDownFlagState(path);
  if (state === "set") return { exitCode: 0, message: "Power down flag is set" };
  if (state === "foreign") {
    return {
      exitCode: 1,
      message: `POWERDOWNFLAG (${path}) does not contain the upsmon magic string - disabling!`,
    };
  }
  return { exitCode: 1, message: "Power down flag is not set" };
}
