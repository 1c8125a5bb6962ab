/**
 * The monitor daemon's contract with the outside (docs/architecture.md, "monitor/ ⇄ service/"):
 * what the process model provides (MonitorHost), how the daemon is started (StartMonitorOptions) and
 * what the caller gets back (MonitorHandle: reload, forced shutdown, stop, the event stream and the
 * snapshot). Types only; daemon.ts implements them.
 */
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { Notifier } from "./actions.js";
import type { MonitorListener, MonitorSnapshot } from "./events.js";
import type { PollDemand } from "./poll-demand.js";
import type { ExtraCriticalRule } from "./threshold-rules.js";
import type { UpsLinkFactory } from "./ups-link.js";

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
  /** NOTIFYFLAG/NOTIFYCMD delivery, subscribed first (default: a Notifier on `config`; null: none). */
  notifier?: Notifier | null;
  /**
   * What each UPS's poll reads beyond the engine's own variables (poll-demand.ts), asked each round
   * (keep it cheap: service/compose-monitor.ts caches it). Default: nothing (STATUS_ONLY).
   */
  pollDemand?: (system: string) => PollDemand;
  /** nutguard's own critical rules after upsmon's (battery thresholds, monitor/threshold-rules.ts). */
  extraCriticalRule?: ExtraCriticalRule;
  /** Time: now(), timers, sleeps (default: the real clock). */
  clock?: Clock;
  /** The upsmon.conf path, shown in snapshots. */
  configPath?: string;
  /** Listeners subscribed before the first event (so none is missed). */
  listeners?: MonitorListener[];
  /** Called once with the handle before the first link starts (the composition root starts extensions here). */
  attach?: (handle: MonitorHandle) => void;
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
  /**
   * Calls `listener` with every event from now on (events.ts), synchronously, after the state it
   * reports is applied. A listener that throws is logged; one that returns a promise is not awaited.
   * Returns the function that unsubscribes it.
   */
  subscribe(listener: MonitorListener): () => void;
  /** An immutable copy of what the monitor knows now. */
  snapshot(): MonitorSnapshot;
}
