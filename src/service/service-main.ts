/**
 * `nutguard monitor` in split mode (the default as root): resolves the runtime directory and PID
 * file, takes the privileged settings (SHUTDOWNCMD, POWERDOWNFLAG, RUN_AS_USER) from the config
 * that cli/monitor.ts read as root, and runs the supervisor. Also the -B starter (Type=forking),
 * which cli/monitor.ts uses for either process model: it starts the daemon in the background and
 * exits 0 only once the daemon has written its PID file and is ready, and 1 if it failed.
 *
 * Imports only what the supervisor needs (see supervisor.ts).
 */
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import type { MonitorHttpPlan } from "../http/monitor-plan.js";
import type { NutLinkOptions } from "../monitor/ups-link-nut.js";
import type { Logger } from "../util/log.js";
import { lookupUser } from "./accounts.js";
import { READY_FD_ENV } from "./main-process.js";
import { runSupervisor } from "./supervisor.js";

export const DEFAULT_RUN_AS_USER = "nut";

export interface SplitModeOptions {
  configPath: string;
  config: UpsmonConfig;
  /** -u: account for the monitor process; RUN_AS_USER in the config wins, as in upsmon. */
  user: string | undefined;
  /** fd of the -B readiness pipe, in the daemon a -B starter spawned (cli/monitor.ts starts it). */
  readinessFd: number | undefined;
  debugLevel: number;
  /** How the monitor reaches upsd (-W, -4/-6). */
  linkOptions: NutLinkOptions;
  log: Logger;
  /** The HTTP surface, served by the monitor process (never this root one). */
  http?: MonitorHttpPlan | undefined;
  /** `-C`: nutguard.conf for the monitor's channels, thresholds and upssched (default: beside upsmon.conf). */
  nutguardConfPath?: string | undefined;
}

/**
 * -B: starts this same command detached (its own session; reparented to the service manager once
 * we exit) without -B, and waits on a pipe for the daemon's "ready" byte. Resolves to our exit code.
 */
export function startInBackground(log: Logger): Promise<number> {
  const args = [...process.execArgv, ...process.argv.slice(1).filter((a) => a !== "-B")];
  const daemon = spawn(process.execPath, args, {
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
  });
}

export async function runSplitMode(opts: SplitModeOptions): Promise<number> {
  const { log, config } = opts;
  const runAsUser = config.runAsUser ?? opts.user ?? DEFAULT_RUN_AS_USER;
  if (!lookupUser(runAsUser)) {
    log.error(`OS user ${runAsUser} not found`);
    return 1;
  }
  return runSupervisor({
    configPath: opts.configPath,
    settings: { shutdownCmd: config.shutdownCmd, powerDownFlag: config.powerDownFlag, runAsUser },
    debugLevel: opts.debugLevel,
    linkOptions: opts.linkOptions,
    log,
    readinessFd: opts.readinessFd,
    http: opts.http,
    nutguardConfPath: opts.nutguardConfPath,
  });
}
