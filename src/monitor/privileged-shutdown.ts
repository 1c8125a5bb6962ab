/**
 * The one privileged action of the monitor, as upsmon's root process does it: create POWERDOWNFLAG
 * (if configured) with upsmon's magic content, then run SHUTDOWNCMD once with `/bin/sh -c` (like
 * system()) and wait for it. Used by `-p` mode's in-process host and by the split-mode supervisor,
 * which must pass the values it read as root, never values received from the unprivileged process.
 */
import { spawn } from "node:child_process";
import type { Logger } from "../util/log.js";
import { writePowerDownFlag } from "./powerdown-flag.js";

export interface PrivilegedShutdownSettings {
  shutdownCmd: string | undefined;
  powerDownFlag: string | undefined;
}

/** Resolves with SHUTDOWNCMD's exit status (or undefined when there was none to run). */
export async function performPrivilegedShutdown(
  settings: PrivilegedShutdownSettings,
  log: Logger,
): Promise<number | undefined> {
  if (typeof process.geteuid === "function" && process.geteuid() !== 0) {
    log.warning("Not root, shutdown may fail");
  }
  if (settings.powerDownFlag !== undefined) {
    try {
      writePowerDownFlag(settings.powerDownFlag);
    } catch (err) {
      log.error(`Failed to create power down flag! (${settings.powerDownFlag}: ${(err as Error).message})`);
    }
  }
  const cmd = settings.shutdownCmd;
  if (cmd === undefined) {
    log.error("Unable to call shutdown command: no SHUTDOWNCMD defined");
    return undefined;
  }
  const status = await new Promise<number>((resolve) => {
    const child = spawn("/bin/sh", ["-c", cmd], { stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", (err) => {
      log.error(`Unable to call shutdown command: ${cmd} (${err.message})`);
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  if (status !== 0) log.error(`Unable to call shutdown command: ${cmd}`);
  return status;
}
