/**
 * nutguard.conf in the drill (I/O shell): the monitor's own notify extensions
 * (monitor/notify-extensions.ts: channels, battery thresholds, the built-in upssched), started on the
 * scenario's virtual clock with the drill's hooks: a channel's delivery and an upssched CMDSCRIPT call
 * become timeline entries at their simulated time, and are really sent or run only with
 * `--exec-notify` — then with NUTGUARD_DRILL=1 in the environment (NOTIFYCMD, CMDSCRIPT, apprise) and
 * "[drill]" at the start of a channel's title and message, so a phone alert is recognisable.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import type { MonitorEvent, MonitorSnapshot } from "../monitor/events.js";
import { type NotifyExtensions, startNotifyExtensions } from "../monitor/notify-extensions.js";
import type { RenderedNotification } from "../notify/requests.js";
import type { ReadyChannel } from "../notify/secrets.js";
import { type Transport, transportFor } from "../notify/transports.js";
import { lookupUser } from "../service/accounts.js";
import { DEFAULT_RUN_AS_USER } from "../service/service-main.js";
import type { SchedRun } from "../upssched/timers.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { TimelineEntry } from "./drill-types.js";

/** In the environment of everything the drill really runs. */
export const DRILL_ENV = { NUTGUARD_DRILL: "1" } as const;
/** At the start of a channel notification's title and message when the drill really sends it. */
export const DRILL_MARKER = "[drill]";

/**
 * Start a program as the monitor would (as RUN_AS_USER when the drill runs as root), with
 * NUTGUARD_DRILL=1, never through a shell, not waited for. Undefined when it could not start.
 */
export function spawnForDrill(
  config: UpsmonConfig,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  what: string,
  log: Logger,
): ChildProcess | undefined {
  const ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const u = lookupUser(config.runAsUser ?? DEFAULT_RUN_AS_USER);
    if (u) Object.assign(ids, { uid: u.uid, gid: u.gid });
  }
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { ...process.env, ...env, ...DRILL_ENV },
      stdio: ["ignore", "ignore", "inherit"],
      ...ids,
    });
    child.on("error", (err) => log.warning(`${what}: ${err.message}`));
    return child;
  } catch (err) {
    log.warning(`${what}: ${(err as Error).message}`);
    return undefined;
  }
}

function marked(n: RenderedNotification): RenderedNotification {
  return {
    title: `${DRILL_MARKER} ${n.title}`,
    payload: { ...n.payload, message: `${DRILL_MARKER} ${n.payload.message}` },
  };
}

export interface DrillNotifyOptions {
  /** The configuration the monitor runs (MONITOR systems as the admin wrote them). */
  config: UpsmonConfig;
  /** The admin's upsmon.conf (nutguard.conf and upssched.conf are read beside it). */
  upsmonConfPath: string;
  nutguardConfPath?: string;
  clock: Clock;
  execNotify: boolean;
  log: Logger;
  snapshot: () => MonitorSnapshot | undefined;
  /** Adds an entry at the current simulated time and returns it (its detail may still change). */
  record: (entry: Omit<TimelineEntry, "tSec">) => TimelineEntry;
  /** Children started for real (the runner waits for them before it cleans up). */
  children: ChildProcess[];
}

/** The monitor's notify extensions on the drill's clock, recording instead of sending. */
export class DrillNotify {
  readonly extensions: NotifyExtensions;

  constructor(private readonly o: DrillNotifyOptions) {
    this.extensions = startNotifyExtensions({
      upsmonConfPath: o.upsmonConfPath,
      ...(o.nutguardConfPath !== undefined ? { nutguardConfPath: o.nutguardConfPath } : {}),
      config: o.config,
      log: o.log,
      snapshot: o.snapshot,
      clock: o.clock,
      transport: (ch) => this.transport(ch),
      launchCmdScript: (argv, run) => this.cmdScript(argv, run),
    });
  }

  /**
   * NOTIFYFLAG EXEC for one notification: to the built-in upssched when NOTIFYCMD names it (its
   * timer changes recorded), else NOTIFYCMD (recorded; run with --exec-notify). Returns who got it.
   */
  exec(e: Extract<MonitorEvent, { kind: "notification" }>): string | undefined {
    const handler = this.extensions.notifyCmdHandler;
    if (handler !== undefined) {
      const before = this.timerNames();
      handler({ type: e.type, system: e.ups, message: e.message });
      this.recordTimerChanges(before);
      return "upssched";
    }
    const cmd = this.o.config.notifyCmd;
    if (cmd === undefined || cmd.length === 0) return undefined;
    if (this.o.execNotify) {
      const env = { UPSNAME: e.ups ?? "", NOTIFYTYPE: e.type };
      const child = spawnForDrill(this.o.config, [...cmd, e.message], env, "NOTIFYCMD", this.o.log);
      if (child) this.o.children.push(child);
    }
    return "NOTIFYCMD";
  }

  private timerNames(): Map<string, number> {
    const count = new Map<string, number>();
    for (const t of this.extensions.upsschedTimers()) count.set(t.name, (count.get(t.name) ?? 0) + 1);
    return count;
  }

  /** START-TIMER and CANCEL-TIMER as the difference of the running timers before and after. */
  private recordTimerChanges(before: Map<string, number>): void {
    const after = this.timerNames();
    const timers = this.extensions.upsschedTimers();
    for (const [name, n] of after) {
      const newest = timers.filter((t) => t.name === name).at(-1)!;
      const sec = Math.round((newest.dueMs - newest.startedMs) / 1000);
      for (let i = before.get(name) ?? 0; i < n; i++)
        this.o.record({ what: "UPSSCHED", detail: `START-TIMER ${name} ${sec} s` });
    }
    for (const [name, n] of before)
      if ((after.get(name) ?? 0) < n) this.o.record({ what: "UPSSCHED", detail: `CANCEL-TIMER ${name}` });
  }

  private cmdScript(argv: readonly string[], run: SchedRun): void {
    const why =
      run.why === "timer" ? "timer fired" : run.why === "execute" ? "EXECUTE" : "CANCEL-TIMER command";
    const entry = this.o.record({
      what: "CMDSCRIPT",
      ...(run.env.UPSNAME !== "" && !run.env.UPSNAME.includes(",") ? { ups: run.env.UPSNAME } : {}),
      detail: `${argv.join(" ")}  (${why}; NOTIFYTYPE=${run.env.NOTIFYTYPE})`,
    });
    if (!this.o.execNotify) {
      entry.detail += "  (recorded, not run)";
      return;
    }
    const child = spawnForDrill(this.o.config, argv, run.env, "CMDSCRIPT", this.o.log);
    if (child) this.o.children.push(child);
  }

  private transport(ch: ReadyChannel): Transport {
    const real = this.o.execNotify ? transportFor(ch, DRILL_ENV) : undefined;
    return async (n, signal) => {
      const entry = this.o.record({
        what: "NOTIFY",
        detail: `${ch.name} (${ch.type}): ${n.payload.event}: ${n.payload.message}`,
      });
      if (real === undefined) {
        entry.detail += "  (recorded, not sent)";
        return { ok: true };
      }
      // the virtual clock holds still while the request is on its way
      const result = await this.o.clock.during(real(marked(n), signal));
      entry.detail += result.ok ? "  (sent)" : `  (not delivered: ${result.reason})`;
      return result;
    };
  }
}
