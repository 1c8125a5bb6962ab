/**
 * `nutguard monitor` in split mode (the default as root): resolves the runtime directory and PID
 * file, reads the privileged settings (SHUTDOWNCMD, POWERDOWNFLAG, RUN_AS_USER) from upsmon.conf
 * as root, and either runs the supervisor in the foreground (-F, for Type=notify/simple) or
 * starts it in the background (-B, for Type=forking: this process exits 0 only once the daemon
 * has written its PID file and is ready, and 1 if it failed).
 *
 * Imports only what the supervisor needs (see supervisor.ts).
 */
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import type { Logger } from "../util/log.js";
import { lookupUser } from "./accounts.js";
import { pidFilePath } from "./pidfile.js";
import { readPrivilegedSettings } from "./privileged-settings.js";
import { ensureRuntimeDir, resolvePidDir } from "./runtime-dir.js";
import { runSupervisor } from "./supervisor.js";

export const DEFAULT_RUN_AS_USER = "nut";
/** Set in the detached daemon by the -B starter: the fd of the readiness pipe. */
export const READY_FD_ENV = "NUTGUARD_READY_FD";

export interface SplitModeOptions {
  configPath: string;
  /** -u: account for the monitor process; RUN_AS_USER in the config wins, as in upsmon. */
  user?: string | undefined;
  /** -B: start in the background. */
  background: boolean;
  debugLevel: number;
  log: Logger;
  /** The command line to re-run for the background daemon (without -B); default process.argv. */
  argv?: string[];
  childEntry?: string;
}

/**
 * -B: starts this same command detached (its own session, reparented to the service manager once
 * we exit) with -F, and waits on a pipe for the daemon's "ready" byte. Resolves to our exit code.
 */
export function startInBackground(daemonArgv: string[], log: Logger): Promise<number> {
  const [node, ...args] = daemonArgv;
  const daemon = spawn(node ?? process.execPath, args, {
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "pipe"],
    env: { ...process.env, [READY_FD_ENV]: "3" },
  });
  return new Promise((resolve) => {
    const pipe = daemon.stdio[3] as Socket;
    let answered = false;
    const done = (code: number) => {
      if (answered) return;
      answered = true;
      pipe.destroy();
      daemon.unref();
      resolve(code);
    };
    pipe.on("data", (d: Buffer) => {
      if (d.includes("1")) done(0);
    });
    pipe.on("error", () => {});
    pipe.on("close", () => {
      if (!answered) log.error("The nutguard monitor daemon failed to start (see its messages above)");
      done(1);
    });
    daemon.on("exit", (code) => {
      if (!answered) log.error(`The nutguard monitor daemon exited with status ${code} before it was ready`);
      done(1);
    });
  });
}

export async function runSplitMode(opts: SplitModeOptions): Promise<number> {
  const { log } = opts;
  const argv = opts.argv ?? process.argv;
  if (opts.background && !process.env[READY_FD_ENV]) {
    const daemonArgv = [
      process.execPath,
      ...process.execArgv,
      ...argv.slice(1).filter((a) => a !== "-B"),
      "-F",
    ];
    return startInBackground(daemonArgv, log);
  }
  const readyFd = process.env[READY_FD_ENV] ? Number(process.env[READY_FD_ENV]) : undefined;
  if (readyFd !== undefined) delete process.env[READY_FD_ENV];

  const settings = readPrivilegedSettings(opts.configPath, opts.user ?? DEFAULT_RUN_AS_USER, log);
  if (!settings) return 1;
  if (!lookupUser(settings.runAsUser)) {
    log.error(`OS user ${settings.runAsUser} not found`);
    return 1;
  }
  const { dir } = resolvePidDir();
  try {
    ensureRuntimeDir(dir, log);
  } catch (err) {
    log.error((err as Error).message);
    return 1;
  }
  return runSupervisor({
    configPath: opts.configPath,
    settings,
    pidFile: pidFilePath(dir),
    debugLevel: opts.debugLevel,
    log,
    readinessFd: readyFd,
    childEntry: opts.childEntry,
  });
}
