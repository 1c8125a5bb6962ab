/**
 * The monitor's I/O shell: the poll loop around the pure engine, and the forced-shutdown
 * choreography (FSD on primary UPSes, wait for secondaries on NUMLOGINS, SHUTDOWN, FINALDELAY, the
 * host's privileged shutdown, SHUTDOWNEXIT).
 *
 * Rounds start every poll interval (POLLFREQ, or POLLFREQALERT while a UPS is on battery...), start to
 * start. A round polls every link that has no poll outstanding (link-polls.ts), waits until those
 * polls have come back or the interval is over, then observes what came back and evaluates: a poll
 * still outstanding is no news, and one outstanding past its deadline a failed poll. So the DEADTIME
 * rule runs on time while a server is frozen, and no server's poll waits on another's.
 *
 * It runs in the unprivileged monitoring process and never assumes it is the only process: the one
 * privileged action (write POWERDOWNFLAG, run SHUTDOWNCMD) goes through `MonitorHost.requestShutdown()`,
 * which `-p` mode implements in-process (cli/monitor.ts) and split mode over the privsep pipe
 * (service/). Signals, PID files and sd_notify belong to the host, not here.
 */
import type { MonitorEntry, UpsmonConfig } from "../config/upsmon-conf.js";
import { impossiblePowerMessage } from "../config/upsmon-conf.js";
import type { Logger } from "../util/log.js";
import { Notifier } from "./actions.js";
import { MonitorEngine } from "./engine.js";
import type { EngineOutput, Notification } from "./engine-types.js";
import { LinkPolls } from "./link-polls.js";
import type { UpsLink, UpsLinkFactory } from "./ups-link.js";
import { DaemonWaits, type MonitorTimers } from "./waits.js";

export type { MonitorTimers } from "./waits.js";

/** What the process model provides to the monitor (docs/architecture.md, "monitor/ ⇄ service/"). */
export interface MonitorHost {
  /** The ONLY privileged action: write POWERDOWNFLAG (if set), run SHUTDOWNCMD. */
  requestShutdown(): Promise<void>;
  /** After the first poll round. */
  ready(): void;
  /** One-line summary of the UPSes, on change. */
  status(summary: string): void;
  /** Each completed poll round (and during long waits), for the systemd watchdog. */
  heartbeat(): void;
}

export interface StartMonitorOptions {
  config: UpsmonConfig;
  host: MonitorHost;
  log: Logger;
  /** How to reach each UPS (default: NutSession links, see ups-link-nut.ts). */
  createLink: UpsLinkFactory;
  /** Re-read the configuration for `reload()` without an argument; undefined when it failed (already logged). */
  loadConfig?: () => Promise<UpsmonConfig | undefined>;
  /** Split-process mode: SHUTDOWNCMD/POWERDOWNFLAG changes on reload only warn (the root parent keeps its own). */
  splitProcess?: boolean;
  /** Notification delivery (default: a Notifier on `config`). */
  notifier?: Notifier;
  /** Wall clock in ms (default Date.now); injectable for tests. */
  now?: () => number;
  /** Every wait of the daemon (default the global timers); injectable with `now`, for virtual time. */
  timers?: MonitorTimers;
  /** The logger's debug level, to skip building debug lines nobody sees (default: build them all). */
  debugLevel?: number;
  /** Shortest wait between rounds. Default 0: POLLFREQ 0 polls continuously, as upsmon does. */
  minIntervalMs?: number;
}

export type MonitorExitReason = "shutdown" | "stopped" | "fatal";
export interface MonitorExit {
  reason: MonitorExitReason;
  exitCode: number;
}

export interface MonitorHandle {
  /** Re-read (or apply) the configuration: SIGHUP / `-c reload`. */
  reload(next?: UpsmonConfig): Promise<void>;
  /** User-requested forced shutdown: SIGUSR1 / `-c fsd`. */
  forceShutdown(): void;
  /** The privileged parent is gone: notify NOPARENT (repeated every 2 minutes), keep monitoring. */
  parentGone(): void;
  /** Stop monitoring: LOGOUT everywhere, resolve `done` with "stopped". Waits for a shutdown in progress. */
  stop(): Promise<void>;
  /** Resolves when the monitor ends (stopped, after a shutdown per SHUTDOWNEXIT, or a fatal reload). */
  done: Promise<MonitorExit>;
}

const NUMLOGINS_POLL_MS = 250;
const NOPARENT_REPEAT_MS = 120_000;
const NOTIFY_DRAIN_MS = 5000;
/** upsmon HEAD: a sleep longer than the interval + 5 s is a wake-up from suspend (or a clock change). */
const TIME_JUMP_TOLERANCE_MS = 5000;
/** The longest a round waits for its polls when the interval is shorter (POLLFREQ 0). */
const MIN_ROUND_WAIT_MS = 1000;

export function startMonitor(options: StartMonitorOptions): MonitorHandle {
  return new MonitorDaemon(options).handle();
}

function sameLinkSettings(a: MonitorEntry, b: MonitorEntry): boolean {
  return (
    a.host === b.host &&
    a.port === b.port &&
    a.upsName === b.upsName &&
    a.username === b.username &&
    a.password === b.password &&
    a.role === b.role
  );
}

class MonitorDaemon {
  private config: UpsmonConfig;
  private readonly engine: MonitorEngine;
  private readonly notifier: Notifier;
  private readonly now: () => number;
  private readonly waits: DaemonWaits;
  private links: UpsLink[] = [];
  private readonly polls = new LinkPolls(() => this.waits.roundSettled());
  private stopping = false;
  private userFsd = false;
  private shuttingDown = false;
  private parentGoneSinceMs: number | undefined;
  private lastNoParentMs: number | undefined;
  private lastSummary = "";
  private lastSummaryChanges = -1;
  private readonly debugLevel: number;
  private exitAfterStop: MonitorExit = { reason: "stopped", exitCode: 0 };
  private resolveDone!: (exit: MonitorExit) => void;
  private readonly done: Promise<MonitorExit>;
  private loopFinished: Promise<void>;

  constructor(private readonly o: StartMonitorOptions) {
    this.config = o.config;
    this.now = o.now ?? Date.now;
    this.waits = new DaemonWaits(o.timers);
    this.debugLevel = o.debugLevel ?? 9;
    this.engine = new MonitorEngine(o.config);
    this.notifier = o.notifier ?? new Notifier({ config: o.config, log: o.log });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.links = o.config.monitors.map((m) => o.createLink(m));
    for (const l of this.links) l.start();
    this.loopFinished = this.run().catch((err: unknown) => {
      o.log.error(`monitor loop failed: ${err instanceof Error ? err.stack : String(err)}`);
      this.finish({ reason: "fatal", exitCode: 1 });
    });
  }

  handle(): MonitorHandle {
    return {
      reload: (next) => this.reload(next),
      forceShutdown: () => {
        this.userFsd = true;
        this.wake();
      },
      parentGone: () => {
        this.parentGoneSinceMs ??= this.now();
        this.wake();
      },
      stop: async () => {
        this.stopping = true;
        this.wake();
        await this.loopFinished;
      },
      done: this.done,
    };
  }

  /** Resolve `done`, after giving running NOTIFYCMD/wall children a moment to finish. */
  private finish(exit: MonitorExit): void {
    void this.notifier.drain(NOTIFY_DRAIN_MS).then(() => this.resolveDone(exit));
  }

  private wake(): void {
    this.waits.wake();
  }

  private sleep(ms: number, roundWait = false): Promise<void> {
    return this.waits.sleep(ms, roundWait);
  }

  private pause(ms: number): Promise<void> {
    return this.waits.pause(ms);
  }

  private deliver(out: EngineOutput): void {
    if (out.logs.length === 0 && out.notifications.length === 0) return;
    for (const l of out.logs) {
      if (l.level === "debug") this.o.log.debug(l.message, l.debugLevel ?? 1);
      else if (l.level === "err") this.o.log.error(l.message);
      else this.o.log[l.level](l.message);
    }
    for (const n of out.notifications) this.notifier.notify(n);
  }

  private notify(n: Notification): void {
    this.notifier.notify(n);
  }

  /** The time between round starts now. */
  private intervalMs(): number {
    return Math.max(this.o.minIntervalMs ?? 0, this.engine.pollIntervalSec() * 1000);
  }

  private async run(): Promise<void> {
    let first = true;
    let roundStartMs = this.now();
    while (!this.stopping) {
      const links = this.links;
      if (this.debugLevel >= 2) for (const l of links) this.o.log.debug(`pollups: ${l.entry.system}`, 2);
      // every UPS is polled at once (each on its own connection), except one still busy with its last poll
      this.polls.startRound(links, roundStartMs);
      const waitMs = Math.max(this.intervalMs(), MIN_ROUND_WAIT_MS);
      await this.sleep(waitMs, true);
      if (this.stopping) break;
      this.checkTimeJump(roundStartMs, waitMs);
      const nowMs = this.now();
      for (const { link, result } of this.polls.collect(links, nowMs)) {
        this.deliver(this.engine.observe(link.entry.system, result, nowMs));
      }
      const evaluation = this.engine.evaluate(nowMs);
      this.deliver(evaluation);
      this.checkParent(nowMs);
      if (first) {
        this.o.host.ready();
        first = false;
      }
      const summary =
        this.engine.changes === this.lastSummaryChanges ? this.lastSummary : this.engine.summary();
      this.lastSummaryChanges = this.engine.changes;
      if (summary !== this.lastSummary) {
        this.lastSummary = summary;
        this.o.host.status(summary);
      }
      this.o.host.heartbeat();
      if (this.userFsd) {
        this.o.log.notice("User requested FSD, initiating forced shutdown");
      }
      if (evaluation.shutdown || this.userFsd) {
        await this.forcedShutdown();
        return;
      }
      if (this.stopping) break;
      // the next round starts one interval after this one started (at once if that has passed; never
      // later than one interval from now, should the clock have been set back)
      const beforeMs = this.now();
      const intervalMs = this.intervalMs();
      const sleepMs = Math.min(intervalMs, Math.max(0, roundStartMs + intervalMs - beforeMs));
      await this.sleep(sleepMs);
      this.checkTimeJump(beforeMs, sleepMs);
      roundStartMs = this.now();
    }
    await this.closeLinks();
    this.finish(this.exitAfterStop);
  }

  /** A sleep that took far longer than asked (suspend/resume) or went backwards (clock set). */
  private checkTimeJump(beforeMs: number, intervalMs: number): void {
    const nowMs = this.now();
    const sleptMs = nowMs - beforeMs;
    if (sleptMs >= 0 && sleptMs <= intervalMs + TIME_JUMP_TOLERANCE_MS) return;
    this.deliver(this.engine.resumeAfterTimeJump(nowMs, sleptMs / 1000));
    this.polls.restartClocks(nowMs);
  }

  private checkParent(nowMs: number): void {
    if (this.parentGoneSinceMs === undefined) return;
    if (this.lastNoParentMs !== undefined && nowMs - this.lastNoParentMs < NOPARENT_REPEAT_MS) return;
    this.lastNoParentMs = nowMs;
    this.notify({ type: "NOPARENT", system: undefined });
    this.o.log.error("Parent died - shutdown impossible");
  }

  private async closeLinks(): Promise<void> {
    await Promise.all(this.links.map((l) => l.close()));
  }

  /** upsmon's forceshutdown(): FSD on primary UPSes, wait for secondaries, then doshutdown(). */
  private async forcedShutdown(): Promise<void> {
    this.shuttingDown = true;
    const c = this.config;
    this.o.log.debug("Shutting down any UPSes in PRIMARY mode...", 1);
    const primaries = this.links.filter((l) => l.entry.role === "primary");
    for (const l of primaries) {
      if (await l.setFsd()) this.deliver(this.engine.fsdConfirmed(l.entry.system));
    }
    if (primaries.length === 0) {
      this.o.log.debug("This system is not a primary for any device, shutting down now...", 1);
    } else {
      this.o.log.debug(
        `This system is a primary for some device(s); waiting (up to HOSTSYNC=${c.hostSyncSec} seconds) for secondaries to logout...`,
        1,
      );
      await this.syncSecondaries(primaries);
    }
    await this.doShutdown();
  }

  /** Poll GET NUMLOGINS every 250 ms until only we are logged in, or HOSTSYNC expires. */
  private async syncSecondaries(primaries: UpsLink[]): Promise<void> {
    const startMs = this.now();
    for (let round = 1; ; round++) {
      const counts = await Promise.all(primaries.map((l) => l.numLogins()));
      const maxLogins = Math.max(0, ...counts.map((n) => n ?? 0));
      this.o.host.heartbeat();
      this.o.log.debug(`Max data server logins per UPS still active: ${maxLogins}`, 3);
      if (maxLogins <= 1) return;
      if (this.now() - startMs > this.config.hostSyncSec * 1000) {
        this.o.log.info("Host sync timer expired, forcing shutdown");
        return;
      }
      if (round === 1) this.notify({ type: "SHUTDOWN_HOSTSYNC", system: undefined });
      await this.pause(NUMLOGINS_POLL_MS);
    }
  }

  /** upsmon's doshutdown(). */
  private async doShutdown(): Promise<void> {
    const c = this.config;
    this.o.log.error("Executing automatic power-fail shutdown");
    this.notifier.wall("Executing automatic power-fail shutdown");
    this.notify({ type: "SHUTDOWN", system: undefined });
    for (let waitedSec = 0; waitedSec < c.finalDelaySec; waitedSec++) {
      await this.pause(1000);
      this.o.host.heartbeat();
    }
    try {
      await this.o.host.requestShutdown();
    } catch (err) {
      this.o.log.error(`Shutdown request failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    await this.linger(c.shutdownExitSec);
    await this.closeLinks();
    this.finish({ reason: "shutdown", exitCode: 0 });
  }

  /** SHUTDOWNEXIT: stay logged in (pinging NUMLOGINS every second) so secondaries keep their view. */
  private async linger(shutdownExitSec: number): Promise<void> {
    if (shutdownExitSec === 0) {
      this.o.log.debug("Exiting upsmon immediately after initiating shutdown, by default", 1);
      return;
    }
    this.o.log.warning(
      shutdownExitSec < 0
        ? "Configured to not exit upsmon after initiating shutdown"
        : `Configured to only exit upsmon SHUTDOWNEXIT=${shutdownExitSec} sec after initiating shutdown`,
    );
    const startMs = this.now();
    while (!this.stopping && (shutdownExitSec < 0 || this.now() - startMs < shutdownExitSec * 1000)) {
      await Promise.all(this.links.map((l) => l.numLogins()));
      this.o.host.heartbeat();
      await this.sleep(1000);
    }
  }

  private async reload(next?: UpsmonConfig): Promise<void> {
    if (this.shuttingDown) return;
    this.o.log.info("Reloading configuration");
    const config = next ?? (await this.o.loadConfig?.());
    if (config === undefined) return;
    if (impossiblePowerMessage(config) !== undefined) {
      this.o.log.error("Impossible power configuration, unable to continue");
      this.exitAfterStop = { reason: "fatal", exitCode: 1 };
      this.stopping = true;
      this.wake();
      await this.loopFinished;
      return;
    }
    if (this.o.splitProcess) {
      if (config.shutdownCmd !== this.config.shutdownCmd) this.warnRedefined("SHUTDOWNCMD");
      if (config.powerDownFlag !== this.config.powerDownFlag) this.warnRedefined("POWERDOWNFLAG");
    }
    const oldLinks = new Map(this.links.map((l) => [l.entry.system, l]));
    const links: UpsLink[] = [];
    for (const entry of config.monitors) {
      const old = oldLinks.get(entry.system);
      if (old && sameLinkSettings(old.entry, entry)) {
        links.push(old);
        oldLinks.delete(entry.system);
      } else {
        const fresh = this.o.createLink(entry);
        fresh.start();
        links.push(fresh);
      }
    }
    for (const gone of oldLinks.values()) {
      this.polls.forget(gone);
      void gone.close();
    }
    this.links = links;
    this.config = config;
    this.engine.reconfigure(config);
    this.notifier.reconfigure(config);
    this.wake();
  }

  private warnRedefined(keyword: string): void {
    this.o.log.warning(`Warning: ${keyword} redefined in split-process mode!`);
    this.o.log.warning("You must restart upsmon for this change to work");
  }
}
