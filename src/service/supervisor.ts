/**
 * The root supervisor: the unit's main process in split mode. Through MainProcess it holds the PID
 * file and talks to systemd; it receives signals and passes reload (SIGHUP), fsd (SIGUSR1) and
 * stop (SIGTERM/SIGINT/SIGQUIT) on to the monitor child; and it does privileged work only on the
 * one `SHUTDOWN` message of privsep-protocol.ts: write POWERDOWNFLAG and run SHUTDOWNCMD (from the
 * config it read as root at start, never from the message), once.
 *
 * If the monitor dies, the supervisor exits 1 (so Restart=on-failure fires) unless a power-fail
 * shutdown is under way or a stop was asked for. Keep this module's imports tiny: it must not
 * load the client, the engine or the daemon (the memory budget counts every module loaded here).
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import type { MonitorHttpPlan } from "../http/monitor-plan.js";
import { clearPowerDownFlagAtStartup } from "../monitor/powerdown-flag.js";
import type { NutLinkOptions } from "../monitor/ups-link-nut.js";
import type { Logger } from "../util/log.js";
import { createPrivilegedShutdown, MainProcess } from "./main-process.js";
import { wireSignals } from "./monitor-signals.js";
import { MessageReader, type ParsedMessage, PRIVSEP_CHILD_FLAG } from "./privsep-protocol.js";

export interface PrivilegedSettings {
  shutdownCmd: string | undefined;
  powerDownFlag: string | undefined;
  /** The account the monitor child runs as (RUN_AS_USER, else -u, else "nut"). */
  runAsUser: string;
}

export interface SupervisorOptions {
  configPath: string;
  settings: PrivilegedSettings;
  /** PID file path (default: in the runtime directory, see runtime-dir.ts). */
  pidFile?: string | undefined;
  debugLevel: number;
  log: Logger;
  /** fd of the -B readiness pipe: one byte "1" is written once ready, then it is closed. */
  readinessFd?: number | undefined;
  /** A script to run as the monitor child instead of `<entry> monitor --privsep-child` (tests). */
  childEntry?: string | undefined;
  /** How the monitor reaches upsd (-W, -4/-6), passed on to the monitor process. */
  linkOptions?: NutLinkOptions;
  /** The HTTP surface, passed on to the monitor process that serves it. */
  http?: MonitorHttpPlan | undefined;
  /** `-C`: nutguard.conf, passed on to the monitor process. */
  nutguardConfPath?: string | undefined;
  /** How long a stopping monitor may take before it is killed. */
  stopTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Environment the monitor child must not see (it is not the process systemd listens to). */
const PRIVATE_ENV = [
  "NOTIFY_SOCKET",
  "WATCHDOG_USEC",
  "WATCHDOG_PID",
  "LISTEN_FDS",
  "LISTEN_PID",
  "LISTEN_FDNAMES",
];

export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of PRIVATE_ENV) delete out[k];
  return out;
}

/** Runs until the monitor exits; resolves to the process exit code. */
export function runSupervisor(opts: SupervisorOptions): Promise<number> {
  const { log, settings } = opts;
  const env = opts.env ?? process.env;
  const main = MainProcess.start({ log, pidFile: opts.pidFile, readinessFd: opts.readinessFd, env });
  if (!main) return Promise.resolve(1);

  let powerDownFlag = settings.powerDownFlag;
  if (powerDownFlag !== undefined) {
    const startup = clearPowerDownFlagAtStartup(powerDownFlag);
    if (startup.warning) log.warning(startup.warning);
    powerDownFlag = startup.path;
  }

  // the same nutguard entry this process runs (the CommonJS bundle, or tsc's main.js)
  const childArgv = opts.childEntry
    ? [opts.childEntry]
    : [process.argv[1] ?? "nutguard", "monitor", PRIVSEP_CHILD_FLAG];
  const childArgs = JSON.stringify({
    configPath: opts.configPath,
    user: settings.runAsUser,
    debugLevel: opts.debugLevel,
    linkOptions: opts.linkOptions ?? {},
    ...(main.heartbeatEveryMs !== undefined ? { heartbeatEveryMs: main.heartbeatEveryMs } : {}),
    ...(opts.http ? { http: opts.http } : {}),
    ...(opts.nutguardConfPath !== undefined ? { nutguardConfPath: opts.nutguardConfPath } : {}),
  });
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, ...childArgv, childArgs], {
    stdio: ["ignore", "inherit", "inherit", "pipe"],
    env: childEnv(env),
  });
  log.debug(`Started monitor process ${child.pid} as ${settings.runAsUser}`);
  main.status("Starting monitor");

  return new Promise<number>((resolve) => {
    let stopping = false;
    let killTimer: NodeJS.Timeout | undefined;
    let unwireSignals = () => {};
    const childGone = () => child.exitCode !== null || child.signalCode !== null;
    // SHUTDOWNCMD and POWERDOWNFLAG as read as root at start, never from the message
    const shutdown = createPrivilegedShutdown(
      main,
      () => ({ shutdownCmd: settings.shutdownCmd, powerDownFlag }),
      log,
    );

    const finish = (code: number) => {
      if (killTimer) clearTimeout(killTimer);
      unwireSignals();
      main.close();
      resolve(code);
    };

    const handle = (msg: ParsedMessage) => {
      switch (msg.kind) {
        case "ready":
          main.markReady();
          return;
        case "status":
          main.status(msg.text);
          return;
        case "heartbeat":
          main.heartbeat();
          return;
        case "shutdown":
          if (shutdown.state !== "none") {
            void shutdown.request(); // refused and logged
            return;
          }
          void shutdown.request().then(() => {
            if (childGone()) finish(0);
          });
          return;
        case "invalid":
          log.error(
            `Refused bogus message from the monitor process (${msg.reason}): ${JSON.stringify(msg.line)}`,
          );
          return;
      }
    };

    const reader = new MessageReader();
    const channel = child.stdio[3] as Socket | undefined;
    channel?.on("data", (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) handle(msg);
    });
    channel?.on("error", (err) => log.debug(`monitor channel: ${err.message}`));

    child.on("error", (err) => log.error(`Cannot start the monitor process: ${err.message}`));
    child.on("exit", (code, signal) => {
      const how = signal ? `killed by signal ${signal}` : `exited with status ${code}`;
      if (shutdown.state === "running") {
        log.info(`Monitor process ${how}; waiting for the shutdown command to finish`);
        return; // finish() runs when SHUTDOWNCMD returns
      }
      if (shutdown.state === "done" || (stopping && (signal === "SIGTERM" || code === 0))) {
        log.debug(`Monitor process ${how}`);
        finish(0);
        return;
      }
      log.error(
        `Monitor process ${child.pid} ${how} unexpectedly; exiting so the service manager can restart nutguard`,
      );
      main.stopping(`Monitor process ${how}`);
      finish(1);
    });

    const forward = (sig: NodeJS.Signals) => {
      if (!childGone()) child.kill(sig);
    };
    unwireSignals = wireSignals({
      reload: (sig) => {
        log.info("Reloading configuration");
        main.reloading();
        forward(sig);
      },
      fsd: (sig, number) => {
        log.notice(`Signal ${number}: User requested FSD, passing it on to the monitor`);
        forward(sig);
      },
      stop: (sig) => {
        if (stopping) return;
        stopping = true;
        log.info(`Signal ${sig}: exiting`);
        main.stopping();
        if (shutdown.state !== "none") return; // let SHUTDOWNCMD finish; the monitor exits on its own
        forward("SIGTERM");
        killTimer = setTimeout(() => forward("SIGKILL"), opts.stopTimeoutMs ?? 10_000);
        killTimer.unref();
      },
    });
  });
}
