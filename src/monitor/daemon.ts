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
 * which `-p` mode implements in-process and split mode over the privsep pipe (service/). Signals,
 * PID files and sd_notify belong to the host, not here.
 *
 * What it knows and decides is published: `subscribe()` (a typed event stream, events.ts) and
 * `snapshot()`. NOTIFYFLAG/NOTIFYCMD delivery is one subscriber (actions.ts' notifyFlagSink).
 * Time comes from an injected Clock (util/clock.ts), the real one by default.
 */
import type { MonitorEntry, UpsmonConfig } from "../config/upsmon-conf.js";
import { impossiblePowerMessage } from "../config/upsmon-conf.js";
import { type Clock, realClock } from "../util/clock.js";
import { Notifier, notificationMessage, notifyFlagSink, statusLineSink } from "./actions.js";
import { MonitorEngine } from "./engine.js";
import type { EngineOutput, Evaluation, Notification, PollResult } from "./engine-types.js";
import type { MonitorEvent, MonitorSnapshot, ShutdownPhase } from "./events.js";
import { LinkPolls } from "./link-polls.js";
import type { MonitorExit, MonitorHandle, StartMonitorOptions } from "./monitor-handle.js";
import { MonitorView } from "./monitor-view.js";
import { RoundLoop, type RoundSteps } from "./round-loop.js";
import { forcedShutdown } from "./shutdown-sequence.js";
import type { UpsLink } from "./ups-link.js";
import { DaemonWaits } from "./waits.js";

export type {
  MonitorExit,
  MonitorExitReason,
  MonitorHandle,
  MonitorHost,
  StartMonitorOptions,
} from "./monitor-handle.js";

const NOPARENT_REPEAT_MS = 120_000;
const NOTIFY_DRAIN_MS = 5000;

export function startMonitor(options: StartMonitorOptions): MonitorHandle {
  return new MonitorDaemon(options).handleObject;
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

class MonitorDaemon implements RoundSteps {
  private config: UpsmonConfig;
  private readonly engine: MonitorEngine;
  private readonly notifier: Notifier | undefined;
  private readonly clock: Clock;
  private readonly view: MonitorView;
  private lastEvaluation: Evaluation | undefined;
  private readonly waits: DaemonWaits;
  private links: UpsLink[] = [];
  private readonly polls: LinkPolls;
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
  /** Resolved when the poll loop has ended (stopped, shut down, or failed). */
  private readonly loopFinished: Promise<void>;
  private loopEnded!: () => void;
  /** The links the current round polls, and when its wait ended. */
  private roundLinks: UpsLink[] = [];
  private roundNowMs = 0;
  private firstRound = true;

  constructor(private readonly o: StartMonitorOptions) {
    this.config = o.config;
    this.clock = o.clock ?? realClock;
    this.waits = new DaemonWaits(this.clock);
    this.polls = new LinkPolls(() => this.waits.roundSettled(), this.clock);
    this.debugLevel = o.debugLevel ?? 9;
    this.engine = new MonitorEngine(o.config, o.extraCriticalRule);
    this.notifier =
      o.notifier === null ? undefined : (o.notifier ?? new Notifier({ config: o.config, log: o.log }));
    this.view = new MonitorView(o.config, o.configPath, o.log);
    if (this.notifier !== undefined) this.view.subscribe(notifyFlagSink(this.notifier));
    this.view.subscribe(statusLineSink(o.host, () => this.summary()));
    for (const l of o.listeners ?? []) this.view.subscribe(l);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.handleObject = this.makeHandle();
    o.attach?.(this.handleObject);
    this.links = o.config.monitors.map((m) => this.newLink(m));
    this.loopFinished = new Promise((resolve) => {
      this.loopEnded = resolve;
    });
    new RoundLoop(this.waits, this.clock, this).start();
  }

  readonly handleObject: MonitorHandle;

  private makeHandle(): MonitorHandle {
    return {
      reload: (next) => this.reload(next),
      forceShutdown: () => {
        this.userFsd = true;
        this.wake();
      },
      parentGone: () => {
        this.parentGoneSinceMs ??= this.clock.now();
        this.wake();
      },
      stop: async () => {
        this.stopping = true;
        this.wake();
        await this.loopFinished;
      },
      done: this.done,
      subscribe: (listener) => this.view.subscribe(listener),
      snapshot: () => this.snapshot(),
    };
  }

  private snapshot(): MonitorSnapshot {
    const ev = this.lastEvaluation;
    const healthy = ev?.healthyPowerValue ?? this.engine.states.reduce((sum, u) => sum + u.powerValue, 0);
    return this.view.snapshot(this.engine.states, healthy, this.summary(), this.clock.now());
  }

  /** The one-line status summary, rebuilt only when the engine says it may have changed. */
  private summary(): string {
    if (this.engine.changes !== this.lastSummaryChanges) {
      this.lastSummary = this.engine.summary();
      this.lastSummaryChanges = this.engine.changes;
    }
    return this.lastSummary;
  }

  /** A link for a MONITOR line, started, its connection reports published as link events. */
  private newLink(entry: MonitorEntry): UpsLink {
    const link = this.o.createLink(entry);
    link.onStateChange?.((change) => {
      if (!this.view.applyLink(entry.system, change)) return;
      this.emit({ kind: "link", timeMs: this.clock.now(), ups: entry.system, ...change });
    });
    link.start();
    return link;
  }

  private emit(event: MonitorEvent): void {
    this.view.emit(event);
  }

  private setPhase(
    phase: Exclude<ShutdownPhase, "none">,
    cause: "critical" | "user",
    detail: { logins?: number; finalDelaySec?: number } = {},
  ): void {
    this.view.setShutdown(phase);
    this.emit({ kind: "shutdown", timeMs: this.clock.now(), phase, cause, ...detail });
  }

  /** Resolve `done`, after giving running NOTIFYCMD/wall children a moment to finish. */
  private finish(exit: MonitorExit): void {
    const drained = this.notifier?.drain(NOTIFY_DRAIN_MS) ?? Promise.resolve();
    void drained.then(() => this.resolveDone(exit));
  }

  private wake(): void {
    this.waits.wake();
  }

  private deliver(out: EngineOutput): void {
    if (out.logs.length === 0 && out.notifications.length === 0) return;
    for (const l of out.logs) {
      if (l.level === "debug") this.o.log.debug(l.message, l.debugLevel ?? 1);
      else if (l.level === "err") this.o.log.error(l.message);
      else this.o.log[l.level](l.message);
    }
    for (const n of out.notifications) this.notify(n);
  }

  /** Publish a notification (NOTIFYFLAG delivery is a subscriber). */
  private notify(n: Notification): void {
    this.view.countNotification(n.type);
    const message = notificationMessage(this.config, n);
    this.emit({ kind: "notification", timeMs: this.clock.now(), type: n.type, ups: n.system, message });
  }

  /** One UPS's poll result: the view first (readings, status words), then the engine's rules. */
  private observe(link: UpsLink, result: PollResult, nowMs: number): void {
    const system = link.entry.system;
    const changed = this.view.applyPoll(system, result, nowMs);
    const out = this.engine.observe(system, result, nowMs);
    if (changed !== undefined) {
      const r = this.view.readingsOf(system);
      this.emit({
        kind: "status",
        timeMs: nowMs,
        ups: system,
        previous: changed.previous,
        current: this.view.statusOf(system),
        charge: r.charge,
        runtime: r.runtime,
      });
    }
    this.deliver(out);
  }

  // RoundSteps: what a round does (round-loop.ts says when)

  isStopping(): boolean {
    return this.stopping;
  }

  /** The time between round starts now. */
  intervalMs(): number {
    return Math.max(this.o.minIntervalMs ?? 0, this.engine.pollIntervalSec() * 1000);
  }

  /** Every UPS is polled at once (each on its own connection), except one still busy with its last poll. */
  startPolls(roundStartMs: number, waitMs: number): void {
    const links = this.links;
    if (this.debugLevel >= 2) for (const l of links) this.o.log.debug(`pollups: ${l.entry.system}`, 2);
    this.roundLinks = links;
    this.polls.startRound(links, roundStartMs, this.o.pollDemand, waitMs);
  }

  /** The round's results, the evaluation, its event; false when the host must shut down. */
  endRound(nowMs: number): boolean {
    this.roundNowMs = nowMs;
    this.polls.collect(this.roundLinks, nowMs, this.observeRoundResult);
    const evaluation = this.engine.evaluate(nowMs);
    this.lastEvaluation = evaluation;
    this.deliver(evaluation);
    this.checkParent(nowMs);
    if (this.firstRound) {
      this.o.host.ready();
      this.firstRound = false;
    }
    this.emit({
      kind: "round",
      timeMs: nowMs,
      critical: evaluation.critical,
      healthyPowerValue: evaluation.healthyPowerValue,
      minSupplies: this.config.minSupplies,
      shutdown: evaluation.shutdown || this.userFsd,
    });
    this.o.host.heartbeat();
    if (this.userFsd) {
      this.o.log.notice("User requested FSD, initiating forced shutdown");
    }
    return !evaluation.shutdown && !this.userFsd;
  }

  /** The round decided to shut down (endRound false): the loop has ended, the sequence takes over. */
  shutDown(): void {
    this.forcedShutdown(this.userFsd ? "user" : "critical").then(this.loopEnded, (err: unknown) =>
      this.failed(err),
    );
  }

  private readonly observeRoundResult = (link: UpsLink, result: PollResult): void => {
    this.observe(link, result, this.roundNowMs);
  };

  /** The host slept (or the clock was set): upsmon's reset of what it knew, and fresh poll clocks. */
  timeJumped(nowMs: number, sleptMs: number): void {
    this.deliver(this.engine.resumeAfterTimeJump(nowMs, sleptMs / 1000));
    this.polls.restartClocks(nowMs);
  }

  /** The loop ended on a stop (or a fatal reload): the links close, then the monitor ends. */
  stopped(): void {
    this.closeLinks().then(
      () => {
        this.finish(this.exitAfterStop);
        this.loopEnded();
      },
      (err: unknown) => this.failed(err),
    );
  }

  failed(err: unknown): void {
    this.o.log.error(`monitor loop failed: ${err instanceof Error ? err.stack : String(err)}`);
    this.finish({ reason: "fatal", exitCode: 1 });
    this.loopEnded();
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

  /** upsmon's forceshutdown() and doshutdown() (shutdown-sequence.ts), then the end of the monitor. */
  private async forcedShutdown(cause: "critical" | "user"): Promise<void> {
    this.shuttingDown = true;
    await forcedShutdown({
      config: this.config,
      links: this.links,
      log: this.o.log,
      clock: this.clock,
      cause,
      phase: (phase, detail) => this.setPhase(phase, cause, detail),
      fsdConfirmed: (system) => this.engine.fsdConfirmed(system),
      deliver: (out) => this.deliver(out),
      notify: (n) => this.notify(n),
      heartbeat: () => this.o.host.heartbeat(),
      requestShutdown: () => this.o.host.requestShutdown(),
      sleep: (ms) => this.waits.sleep(ms),
      stopping: () => this.stopping,
    });
    await this.closeLinks();
    this.finish({ reason: "shutdown", exitCode: 0 });
  }

  private async reload(next?: UpsmonConfig): Promise<void> {
    if (this.shuttingDown) return;
    this.o.log.info("Reloading configuration");
    const config = next ?? (await this.o.loadConfig?.());
    if (config === undefined) {
      this.emit({
        kind: "reload",
        timeMs: this.clock.now(),
        ok: false,
        error: "the configuration could not be read",
      });
      return;
    }
    if (impossiblePowerMessage(config) !== undefined) {
      this.o.log.error("Impossible power configuration, unable to continue");
      this.emit({
        kind: "reload",
        timeMs: this.clock.now(),
        ok: false,
        error: "Impossible power configuration",
      });
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
        links.push(this.newLink(entry));
      }
    }
    for (const gone of oldLinks.values()) {
      this.polls.forget(gone);
      void gone.close();
    }
    this.links = links;
    this.config = config;
    this.engine.reconfigure(config);
    this.view.reconfigure(config);
    this.notifier?.reconfigure(config);
    this.emit({ kind: "reload", timeMs: this.clock.now(), ok: true });
    this.wake();
  }

  private warnRedefined(keyword: string): void {
    this.o.log.warning(`Warning: ${keyword} redefined in split-process mode!`);
    this.o.log.warning("You must restart upsmon for this change to work");
  }
}
