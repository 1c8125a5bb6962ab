/**
 * The root supervisor: the unit's main process in split mode. It holds the PID file, talks to
 * systemd (sd_notify), receives signals and passes reload (SIGHUP), fsd (SIGUSR1) and stop
 * (SIGTERM) on to the monitor child, and does privileged work only on the one `SHUTDOWN`
 * message of privsep-protocol.ts: write POWERDOWNFLAG and run SHUTDOWNCMD (from the config it
 * read as root at start, never from the message), once.
 *
 * If the monitor dies, the supervisor exits 1 (so Restart=on-failure fires) unless a power-fail
 * shutdown is under way or a stop was asked for. Keep this module's imports tiny: it must not
 * load the client, the engine or the daemon (the memory budget counts every module loaded here).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { Logger } from "../util/log.js";
import { acquirePidFile, type HeldPidFile } from "./pidfile.js";
import { clearStalePowerdownFlag, performShutdown } from "./privileged-actions.js";
import { MessageReader, type ParsedMessage } from "./privsep-protocol.js";
import { SUPERVISOR_TITLE } from "./proc-identity.js";
import { createNotifier, type Notifier } from "./sd-notify.js";

export interface PrivilegedSettings {
  shutdownCmd: string | undefined;
  powerDownFlag: string | undefined;
  /** The account the monitor child runs as (RUN_AS_USER, else -u, else "nut"). */
  runAsUser: string;
}

export interface SupervisorOptions {
  configPath: string;
  settings: PrivilegedSettings;
  pidFile: string;
  debugLevel: number;
  log: Logger;
  /** fd of the -B readiness pipe: one byte "1" is written once ready, then it is closed. */
  readinessFd?: number | undefined;
  /** The monitor child's entry module (default: monitor-child.js beside this file). */
  childEntry?: string | undefined;
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
const EXTEND_TIMEOUT_USEC = 90_000_000;
const RELOAD_READY_FALLBACK_MS = 30_000;

export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of PRIVATE_ENV) delete out[k];
  delete out.NUTGUARD_READY_FD;
  return out;
}

/** Writes "1" to the -B readiness pipe so the starting process exits 0. */
export function signalReadiness(fd: number): void {
  const s = new Socket({ fd, readable: false, writable: true });
  s.on("error", () => {});
  s.end("1");
}

/** Runs until the monitor exits; resolves to the process exit code. */
export function runSupervisor(opts: SupervisorOptions): Promise<number> {
  const { log, settings } = opts;
  const env = opts.env ?? process.env;
  process.title = SUPERVISOR_TITLE;
  const notifier: Notifier = createNotifier(log, env);

  let pidFile: HeldPidFile;
  try {
    pidFile = acquirePidFile(opts.pidFile, log);
  } catch (err) {
    log.error((err as Error).message);
    return Promise.resolve(1);
  }
  const powerDownFlag = clearStalePowerdownFlag(settings.powerDownFlag, log);
  if (powerDownFlag) log.info(`Using power down flag file ${powerDownFlag}`);

  const childEntry = opts.childEntry ?? fileURLToPath(new URL("./monitor-child.js", import.meta.url));
  const childArgs = JSON.stringify({
    configPath: opts.configPath,
    user: settings.runAsUser,
    debugLevel: opts.debugLevel,
  });
  const child: ChildProcess = spawn(process.execPath, [childEntry, childArgs], {
    stdio: ["ignore", "inherit", "inherit", "pipe"],
    env: childEnv(env),
  });
  log.debug(`Started monitor process ${child.pid} as ${settings.runAsUser}`);
  notifier.status("Starting monitor");

  return new Promise<number>((resolve) => {
    let ready = false;
    let stopping = false;
    let shutdownState: "none" | "running" | "done" = "none";
    let reloadFallback: NodeJS.Timeout | undefined;
    let lastHeartbeatMs = Date.now();
    const timers: NodeJS.Timeout[] = [];

    const finish = (code: number) => {
      for (const t of timers) clearInterval(t);
      if (reloadFallback) clearTimeout(reloadFallback);
      for (const sig of ["SIGHUP", "SIGUSR1", "SIGTERM", "SIGINT", "SIGQUIT"] as const)
        process.removeAllListeners(sig);
      pidFile.release();
      notifier.close();
      resolve(code);
    };

    if (notifier.watchdogUsec > 0) {
      const periodMs = notifier.watchdogUsec / 2000;
      const t = setInterval(() => {
        const healthy =
          shutdownState !== "none" || Date.now() - lastHeartbeatMs < notifier.watchdogUsec / 1000;
        if (healthy) notifier.watchdog();
      }, periodMs);
      t.unref();
      timers.push(t);
    }

    const handle = (msg: ParsedMessage) => {
      switch (msg.kind) {
        case "ready":
          lastHeartbeatMs = Date.now();
          if (reloadFallback) clearTimeout(reloadFallback);
          reloadFallback = undefined;
          notifier.send("READY=1");
          if (!ready) {
            ready = true;
            log.debug("Monitor is ready");
            if (opts.readinessFd !== undefined) signalReadiness(opts.readinessFd);
          }
          return;
        case "status":
          notifier.status(msg.text);
          return;
        case "heartbeat":
          lastHeartbeatMs = Date.now();
          return;
        case "shutdown": {
          if (shutdownState !== "none") {
            log.warning("Refusing a second shutdown request: the shutdown command has already been run");
            return;
          }
          shutdownState = "running";
          notifier.stopping("Power-fail shutdown in progress");
          notifier.extendTimeout(EXTEND_TIMEOUT_USEC);
          const extend = setInterval(
            () => notifier.extendTimeout(EXTEND_TIMEOUT_USEC),
            EXTEND_TIMEOUT_USEC / 3000,
          );
          timers.push(extend);
          void performShutdown({ shutdownCmd: settings.shutdownCmd, powerDownFlag }, log).then(() => {
            shutdownState = "done";
            clearInterval(extend);
            if (child.exitCode !== null || child.signalCode !== null) finish(0);
          });
          return;
        }
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

    child.on("error", (err) => {
      log.error(`Cannot start the monitor process: ${err.message}`);
    });
    child.on("exit", (code, signal) => {
      const how = signal ? `killed by signal ${signal}` : `exited with status ${code}`;
      if (shutdownState === "running") {
        log.info(`Monitor process ${how}; waiting for the shutdown command to finish`);
        return; // finish() runs when SHUTDOWNCMD returns
      }
      if (shutdownState === "done" || (stopping && (signal === "SIGTERM" || code === 0))) {
        log.debug(`Monitor process ${how}`);
        notifier.stopping();
        finish(0);
        return;
      }
      log.error(
        `Monitor process ${child.pid} ${how} unexpectedly; exiting so the service manager can restart nutguard`,
      );
      notifier.stopping(`Monitor process ${how}`);
      finish(1);
    });

    const forward = (sig: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    process.on("SIGHUP", () => {
      log.info("Reloading configuration");
      notifier.reloading();
      forward("SIGHUP");
      if (reloadFallback) clearTimeout(reloadFallback);
      reloadFallback = setTimeout(() => notifier.send("READY=1"), RELOAD_READY_FALLBACK_MS);
    });
    process.on("SIGUSR1", () => {
      log.notice("Signal SIGUSR1: user requested FSD, passing it on to the monitor");
      forward("SIGUSR1");
    });
    const stop = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info(`Signal ${sig}: exiting`);
      notifier.stopping();
      if (shutdownState !== "none") return; // let SHUTDOWNCMD finish; the monitor exits on its own
      forward("SIGTERM");
      const t = setTimeout(() => forward("SIGKILL"), opts.stopTimeoutMs ?? 10_000);
      t.unref();
      timers.push(t);
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGQUIT", () => stop("SIGQUIT"));
  });
}
