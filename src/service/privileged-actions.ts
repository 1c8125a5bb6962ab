/**
 * The only two things that need root: write POWERDOWNFLAG and run SHUTDOWNCMD (plus clearing a
 * flag left from the last power failure at start-up, as upsmon does). Used by the supervisor in
 * split mode and by the single `-p` process. Knows nothing about the network or the engine.
 */
import { spawn } from "node:child_process";
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import type { Logger } from "../util/log.js";

/** upsmon's SDMAGIC: the flag file's whole content, no newline (`upsmon -K` checks it). */
export const POWERDOWNFLAG_MAGIC = "upsmon-shutdown-file";

/** Writes the flag atomically (temp file + rename), mode 0644. Throws with the path on failure. */
export function writePowerdownFlag(path: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, POWERDOWNFLAG_MAGIC, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw new Error(`Failed to create power down flag ${path}: ${(err as Error).message}`);
  }
}

/**
 * At start-up: removes a flag holding the magic string. A file with other content is left alone
 * and the flag is disabled (returns undefined), as upsmon does, so a mistyped path can never make
 * nutguard delete someone else's file. Returns the path to use.
 */
export function clearStalePowerdownFlag(path: string | undefined, log: Logger): string | undefined {
  if (!path) return undefined;
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch {
    return path; // not there (the normal case) or unreadable: nothing to clear
  }
  if (content.startsWith(POWERDOWNFLAG_MAGIC)) {
    try {
      unlinkSync(path);
    } catch (err) {
      log.warning(`Failed to remove stale power down flag ${path}: ${(err as Error).message}`);
    }
    return path;
  }
  log.error(`POWERDOWNFLAG (${path}) does not contain the upsmon magic string - disabling!`);
  return undefined;
}

/** Runs SHUTDOWNCMD through /bin/sh -c (like system(3)); resolves to its exit status (or 128+signal). */
export function runShutdownCommand(command: string, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (err) => {
      log.error(`Unable to call shutdown command: ${command}: ${err.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => {
      const status = code ?? 128;
      if (status !== 0) {
        log.error(
          `Unable to call shutdown command: ${command} (${signal ? `signal ${signal}` : `exit status ${code}`})`,
        );
      }
      resolve(status);
    });
  });
}

/** The whole power-fail action: flag first (so `-K` sees it in the late-shutdown hook), then the command. */
export async function performShutdown(
  settings: { shutdownCmd: string | undefined; powerDownFlag: string | undefined },
  log: Logger,
): Promise<number> {
  if (settings.powerDownFlag) {
    try {
      writePowerdownFlag(settings.powerDownFlag);
    } catch (err) {
      log.error((err as Error).message);
    }
  }
  if (!settings.shutdownCmd) {
    log.error("No SHUTDOWNCMD configured: cannot shut down this system");
    return 1;
  }
  log.notice(`Executing shutdown command: ${settings.shutdownCmd}`);
  return runShutdownCommand(settings.shutdownCmd, log);
}
