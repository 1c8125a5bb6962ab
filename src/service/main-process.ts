/**
 * What the unit's main process owes systemd and the admin, whichever process model runs: the PID
 * file (about itself), sd_notify (READY after the first poll round, STATUS, RELOADING/READY
 * around reloads, STOPPING, WATCHDOG while the poll loop is healthy, EXTEND_TIMEOUT_USEC while a
 * power-fail shutdown runs) and the -B readiness pipe. Used by the split-mode supervisor and by
 * the single `-p` process. Small on purpose: the supervisor loads it.
 */
import { Socket } from "node:net";
import {
  type PrivilegedShutdownSettings,
  performPrivilegedShutdown,
} from "../monitor/privileged-shutdown.js";
import type { Logger } from "../util/log.js";
import { acquirePidFile, type HeldPidFile, pidFilePath } from "./pidfile.js";
import { ShutdownOnce } from "./privsep-protocol.js";
import { SUPERVISOR_TITLE } from "./proc-identity.js";
import { ensureRuntimeDir, resolvePidDir } from "./runtime-dir.js";
import { createNotifier, type Notifier } from "./sd-notify.js";

const EXTEND_TIMEOUT_USEC = 90_000_000;
/** If a reload never reports back, READY=1 is sent anyway after this long (systemd would wait). */
const RELOAD_READY_FALLBACK_MS = 30_000;
/** Set in the detached daemon by the -B starter: the fd of the readiness pipe. */
export const READY_FD_ENV = "NUTGUARD_READY_FD";

/** The fd of the readiness pipe when this process is the daemon a -B starter is waiting for. */
export function takeReadinessFd(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const fd = env[READY_FD_ENV];
  delete env[READY_FD_ENV];
  return fd !== undefined && /^\d+$/.test(fd) ? Number(fd) : undefined;
}

export interface MainProcessOptions {
  log: Logger;
  /** PID file path (default: resolvePidDir()'s directory, created if missing). */
  pidFile?: string;
  readinessFd?: number | undefined;
  env?: NodeJS.ProcessEnv;
}

export class MainProcess {
  private ready = false;
  private shutdownRunning = false;
  private lastHeartbeatMs = Date.now();
  private reloadFallback: NodeJS.Timeout | undefined;
  private extendTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(
    private readonly log: Logger,
    private readonly pid: HeldPidFile,
    readonly notifier: Notifier,
    private readonly readinessFd: number | undefined,
  ) {
    if (notifier.watchdogUsec > 0) {
      const t = setInterval(() => {
        const healthy =
          this.shutdownRunning || Date.now() - this.lastHeartbeatMs < notifier.watchdogUsec / 1000;
        if (healthy) notifier.watchdog();
      }, notifier.watchdogUsec / 2000);
      t.unref();
      this.timers.push(t);
    }
  }

  /** Sets the process title, makes sure the runtime directory exists and takes the PID file. Logs and returns undefined on failure. */
  static start(o: MainProcessOptions): MainProcess | undefined {
    const { log } = o;
    process.title = SUPERVISOR_TITLE;
    let path = o.pidFile;
    try {
      if (path === undefined) {
        const { dir } = resolvePidDir(o.env);
        ensureRuntimeDir(dir, log);
        path = pidFilePath(dir);
      }
      const held = acquirePidFile(path, log);
      return new MainProcess(log, held, createNotifier(log, o.env), o.readinessFd);
    } catch (err) {
      log.error((err as Error).message);
      return undefined;
    }
  }

  /** The first poll round is done, or a reload finished. */
  markReady(): void {
    this.lastHeartbeatMs = Date.now();
    if (this.reloadFallback) clearTimeout(this.reloadFallback);
    this.reloadFallback = undefined;
    this.notifier.send("READY=1");
    if (this.ready) return;
    this.ready = true;
    this.log.debug("Monitor is ready");
    if (this.readinessFd !== undefined) {
      const s = new Socket({ fd: this.readinessFd, readable: false, writable: true });
      s.on("error", () => {});
      s.end("1");
    }
  }

  status(text: string): void {
    this.notifier.status(text);
  }

  heartbeat(): void {
    this.lastHeartbeatMs = Date.now();
  }

  /**
   * How often the monitor needs to report a healthy round: a quarter of systemd's watchdog interval
   * (the check above runs every half), undefined without a watchdog (nothing reads the reports then).
   */
  get heartbeatEveryMs(): number | undefined {
    const usec = this.notifier.watchdogUsec;
    return usec > 0 ? Math.floor(usec / 4000) : undefined;
  }

  reloading(): void {
    this.notifier.reloading();
    if (this.reloadFallback) clearTimeout(this.reloadFallback);
    this.reloadFallback = setTimeout(() => this.notifier.send("READY=1"), RELOAD_READY_FALLBACK_MS);
  }

  /** A power-fail shutdown starts: STOPPING=1, and keep extending systemd's stop timeout until shutdownDone(). */
  shutdownStarted(): void {
    this.shutdownRunning = true;
    this.notifier.stopping("Power-fail shutdown in progress");
    this.notifier.extendTimeout(EXTEND_TIMEOUT_USEC);
    this.extendTimer ??= setInterval(
      () => this.notifier.extendTimeout(EXTEND_TIMEOUT_USEC),
      EXTEND_TIMEOUT_USEC / 3000,
    );
  }

  shutdownDone(): void {
    this.shutdownRunning = false;
    if (this.extendTimer) clearInterval(this.extendTimer);
    this.extendTimer = undefined;
  }

  stopping(status?: string): void {
    this.notifier.stopping(status);
  }

  /** Removes the PID file (if still ours) and stops the timers and the notify socket. */
  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.shutdownDone();
    if (this.reloadFallback) clearTimeout(this.reloadFallback);
    this.pid.release();
    this.notifier.close();
  }
}

/**
 * The one privileged action of either process model (the split-mode supervisor on `SHUTDOWN`, the
 * `-p` in-process host): write POWERDOWNFLAG and run SHUTDOWNCMD under the "runs once" policy of
 * privsep-protocol.ts, with systemd told while it runs. `settings()` is read when it starts.
 */
export function createPrivilegedShutdown(
  main: MainProcess,
  settings: () => PrivilegedShutdownSettings,
  log: Logger,
): ShutdownOnce {
  return new ShutdownOnce(
    async () => {
      main.shutdownStarted();
      await performPrivilegedShutdown(settings(), log);
      main.shutdownDone();
    },
    () => log.warning("Refusing a second shutdown request: the shutdown command has already been run"),
  );
}
