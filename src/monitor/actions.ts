/**
 * Delivering notifications, as upsmon's notify(): NOTIFYMSG text with `%s` substitution, then the
 * NOTIFYFLAG flags — IGNORE (nothing at all), SYSLOG (a log line at notice priority), WALL (`wall`
 * with the message on stdin), EXEC (NOTIFYCMD).
 *
 * NOTIFYCMD is started with an argv array — its configured words, then the message as the last
 * argument — never through a shell (NUT HEAD's execvp; NUT ≤ 2.8.5 used `sh -c`, see docs/monitor.md), with
 * UPSNAME and NOTIFYTYPE in its environment. Nothing here blocks the caller: children are started
 * and reaped asynchronously; a failing one is logged, a hanging one is logged and killed after
 * `childTimeoutMs`.
 *
 * Must not decide anything about UPS state (that is the engine), and must not run as root what
 * upsmon runs unprivileged: this module runs in the monitoring process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import {
  formatNotifyMessage,
  type NotifyType,
  STOCK_NOTIFY_MESSAGES,
} from "../config/upsmon-notify-types.js";
import type { Logger } from "../util/log.js";
import type { Notification } from "./engine-types.js";
import type { MonitorListener } from "./events.js";
import type { MonitorHost } from "./monitor-handle.js";

/** The text upsmon sends for a notification: NOTIFYMSG (or the stock text) with its `%s` filled in. */
export function notificationMessage(config: UpsmonConfig, n: Notification): string {
  const template = config.notifyMessages[n.type] ?? STOCK_NOTIFY_MESSAGES[n.type];
  return formatNotifyMessage(template, n.system, n.extra);
}

/** What upsmon writes to every terminal as the power-fail shutdown begins. */
export const SHUTDOWN_WALL_TEXT = "Executing automatic power-fail shutdown";

/** The host's one-line status (systemd's STATUS=) as a subscriber: after each round, on change. */
export function statusLineSink(host: Pick<MonitorHost, "status">, summary: () => string): MonitorListener {
  let last = "";
  return (e) => {
    if (e.kind !== "round") return;
    const now = summary();
    if (now === last) return;
    last = now;
    host.status(now);
  };
}

/**
 * NOTIFYFLAG/NOTIFYCMD delivery as a subscriber of the monitor's events: each notification per its
 * flags, and the `wall` upsmon sends when the final delay of a power-fail shutdown begins.
 */
export function notifyFlagSink(notifier: Notifier): MonitorListener {
  return (e) => {
    if (e.kind === "notification") notifier.deliver(e.type, e.ups, e.message);
    else if (e.kind === "shutdown" && e.phase === "final-delay") notifier.wall(SHUTDOWN_WALL_TEXT);
  };
}

export interface NotifierOptions {
  config: UpsmonConfig;
  log: Logger;
  /** Kill a NOTIFYCMD or `wall` still running after this long (default 5 minutes). */
  childTimeoutMs?: number;
  /** The `wall` program (default "wall", looked up in PATH). */
  wallCommand?: string;
}

/** Runs in place of the NOTIFYCMD program (the built-in upssched): gets what NOTIFYCMD would have got. */
export type NotifyCmdHandler = (n: {
  type: Notification["type"];
  system: string | undefined;
  message: string;
}) => void;

export class Notifier {
  private config: UpsmonConfig;
  private readonly log: Logger;
  private readonly childTimeoutMs: number;
  private readonly wallCommand: string;
  private readonly running = new Set<Promise<void>>();
  private notifyCmdHandler: NotifyCmdHandler | undefined;

  constructor(options: NotifierOptions) {
    this.config = options.config;
    this.log = options.log;
    this.childTimeoutMs = options.childTimeoutMs ?? 300_000;
    this.wallCommand = options.wallCommand ?? "wall";
  }

  reconfigure(config: UpsmonConfig): void {
    this.config = config;
  }

  /** EXEC notifications go to `handler` instead of the NOTIFYCMD program (undefined: the program again). */
  setNotifyCmdHandler(handler: NotifyCmdHandler | undefined): void {
    this.notifyCmdHandler = handler;
  }

  /** The text upsmon would send for this notification. */
  messageFor(n: Notification): string {
    return notificationMessage(this.config, n);
  }

  /** Deliver one notification per its NOTIFYFLAG. Returns at once. */
  notify(n: Notification): void {
    this.deliver(n.type, n.system, this.messageFor(n));
  }

  /** Deliver an already formatted notification per its NOTIFYFLAG. Returns at once. */
  deliver(type: NotifyType, ups: string | undefined, message: string): void {
    const flags = this.config.notifyFlags[type];
    if (flags.ignore) return;
    if (flags.syslog) this.log.notice(message);
    if (flags.wall) this.wall(message);
    if (flags.exec) {
      const cmd = this.config.notifyCmd;
      if (this.notifyCmdHandler !== undefined) {
        this.notifyCmdHandler({ type, system: ups, message });
      } else if (cmd === undefined || cmd.length === 0) {
        this.log.debug(`NOTIFY_EXEC for ${type}: no NOTIFYCMD was configured`, 1);
      } else {
        const env = { ...process.env, UPSNAME: ups ?? "", NOTIFYTYPE: type };
        this.start("NOTIFYCMD", cmd[0]!, [...cmd.slice(1), message], env, undefined);
      }
    }
  }

  /** Send `text` to all logged-in users with `wall` (its stdin), without waiting. */
  wall(text: string): void {
    this.start("wall", this.wallCommand, [], process.env, `${text}\n`);
  }

  /** Wait (at most `timeoutMs`) for the children started so far, e.g. before the process exits. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.all([...this.running]), timeout]);
    if (timer) clearTimeout(timer);
  }

  private start(
    what: string,
    file: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    stdinText: string | undefined,
  ): void {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        env,
        stdio: [stdinText === undefined ? "ignore" : "pipe", "inherit", "inherit"],
        detached: true, // its own process group, so a hanging child and its children can be killed together
      });
    } catch (err) {
      this.log.error(`${what}: execvp(${file}) failed: ${(err as Error).message}`);
      return;
    }
    if (stdinText !== undefined && child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(stdinText);
    }
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warning(`${what} (${file}) still running after ${this.childTimeoutMs} ms, killing it`);
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            child.kill("SIGKILL");
          }
        }
      }, this.childTimeoutMs);
      timer.unref();
      child.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        this.log.error(`${what}: execvp(${file}) failed: ${err.message}`);
        resolve();
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (signal !== null) this.log.warning(`${what} (${file}) was killed by signal ${signal}`);
        else if (code !== 0) this.log.warning(`${what} (${file}) exited with status ${code}`);
        resolve();
      });
    });
    this.running.add(done);
    void done.then(() => this.running.delete(done));
  }
}
