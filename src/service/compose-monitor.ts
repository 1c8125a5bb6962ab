/**
 * The one composition root of a running monitor: configuration → links to upsd → engine and daemon →
 * sinks (subscribers) → host. Used by `-p` (single-process.ts), the unprivileged child of split mode
 * (monitor-child.ts), `nutguard demo`, library users, and anything added later.
 *
 * Where the next capabilities attach: `extensions`. Each is started once the daemon exists and
 * before its first event (so it misses nothing), gets the handle (`subscribe()`, `snapshot()`), and
 * may return a stop function, awaited (bounded) before `done` resolves. The HTTP surface, notification
 * channels, built-in upssched timers, event history and the drill's recorder are extensions. Built-in
 * sinks: NOTIFYFLAG/NOTIFYCMD delivery and the host's STATUS= line (daemon.ts), plus `listeners`.
 *
 * Loaded only in the monitoring process (it pulls in the client and the engine), never by the root
 * supervisor of split mode.
 */
import { nutguardConfPathFor } from "../config/nutguard-conf.js";
import { type NutguardConfLoad, tryLoadNutguardConf } from "../config/nutguard-conf-file.js";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import { Notifier } from "../monitor/actions.js";
import { reloadUpsmonConf } from "../monitor/config-file.js";
import { type MonitorHandle, type MonitorHost, startMonitor } from "../monitor/daemon.js";
import type { MonitorListener } from "../monitor/events.js";
import { type NotifyExtensions, startNotifyExtensions } from "../monitor/notify-extensions.js";
import { PollCarriers } from "../monitor/poll-carriers.js";
import { type PollDemandSource, PollDemands } from "../monitor/poll-demand.js";
import { thresholdCriticalRule } from "../monitor/threshold-rules.js";
import type { UpsLinkFactory } from "../monitor/ups-link.js";
import { createNutLink, type NutLinkOptions, type NutUpsLink } from "../monitor/ups-link-nut.js";
import type { ReadyChannel } from "../notify/secrets.js";
import type { Transport } from "../notify/transports.js";
import { type Clock, realClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { resolvePidDir } from "./runtime-dir.js";

/** What an extension gets when the monitor starts. */
export interface MonitorExtensionContext {
  monitor: MonitorHandle;
  /** The configuration at start (reloads are `reload` events; `monitor.snapshot()` has the settings in force). */
  config: UpsmonConfig;
  configPath: string | undefined;
  /** nutguard.conf as loaded at start (undefined when the monitor has no config file: the demo, tests). */
  nutguardConf: NutguardConfLoad | undefined;
  log: Logger;
  clock: Clock;
}

/** What a started extension may offer: a stop function, and what to do with each reload's nutguard.conf. */
export interface MonitorExtensionHooks {
  stop?(): Promise<void> | void;
  /** After a reload that read upsmon.conf, with the nutguard.conf loaded for it (once, for everyone). */
  reload?(nutguardConf: NutguardConfLoad | undefined): void;
}

/** A capability attached to the monitor: started with it, stopped before `done` resolves. */
export interface MonitorExtension {
  readonly name: string;
  /**
   * The UPS variables it reads from snapshots and events (poll-demand.ts): polled every round for it.
   * A plain monitor polls only what upsmon does; what no one asks for is absent from the readings.
   */
  readonly pollDemand?: PollDemandSource;
  /** Subscribe here. Return a stop function (or hooks) when there is something to close or reload. */
  start(
    ctx: MonitorExtensionContext,
  ): undefined | (() => Promise<void> | void) | MonitorExtensionHooks | void;
}

export interface ComposeMonitorOptions {
  config: UpsmonConfig;
  /** upsmon.conf: reload() without an argument re-reads it. Without it a reload needs a config. */
  configPath?: string;
  host: MonitorHost;
  log: Logger;
  /** How the monitor reaches upsd (-W, -4/-6). Ignored when `createLink` is given. */
  linkOptions?: NutLinkOptions;
  /** Links other than NUT sessions (tests, the drill). */
  createLink?: UpsLinkFactory;
  clock?: Clock;
  debugLevel?: number;
  /** Split-process mode: SHUTDOWNCMD/POWERDOWNFLAG changes on reload only warn. */
  splitProcess?: boolean;
  /** NOTIFYFLAG/NOTIFYCMD delivery (default: a Notifier on the config); null: none (the demo shows events itself). */
  notifier?: Notifier | null;
  /** Called with each configuration that a reload read, before it is applied. */
  onConfig?: (config: UpsmonConfig) => void;
  /** Subscribers from the first event on. */
  listeners?: MonitorListener[];
  extensions?: MonitorExtension[];
  /** Variables the caller's own listeners read (library users); the extensions add theirs. */
  pollDemand?: PollDemandSource;
  /** Shortest wait between rounds (tests). */
  minIntervalMs?: number;
  /**
   * nutguard.conf's notification channels, battery thresholds and the built-in upssched (read beside
   * `configPath`; monitor/notify-extensions.ts). Default on when `configPath` is given; false: off;
   * or ones already started (the drill: on its clock, recording instead of sending).
   */
  notifyExtensions?: boolean | NotifyExtensions;
  /** `-C FILE`: the nutguard.conf to read instead of the one beside `configPath`. */
  nutguardConfPath?: string;
  /** How notification channels deliver (tests on virtual time; default: notify/transports.ts). */
  notifyTransport?: (ch: ReadyChannel) => Transport;
}

/** How long `done` waits for the extensions to stop. */
const EXTENSION_STOP_MS = 5000;
/**
 * The most a stopping monitor gives FSD/SHUTDOWN notifications in flight; the notifier counts their
 * window (URGENT_WINDOW_MS, the same 3 s) from when they were sent, so after a FINALDELAY of 3 s or
 * more nothing is waited for (docs/notifications.md).
 */
const NOTIFY_SETTLE_MS = 3000;

export function composeMonitor(o: ComposeMonitorOptions): MonitorHandle {
  const { log } = o;
  const clock = o.clock ?? realClock;
  let config = o.config;
  const configPath = o.configPath;
  const stops: (() => Promise<void> | void)[] = [];
  const reloads: ((load: NutguardConfLoad | undefined) => void)[] = [];
  // nutguard.conf: loaded once here per start and per reload, handed to everything that reads it
  const nutguardConfPath =
    o.nutguardConfPath ?? (configPath === undefined ? undefined : nutguardConfPathFor(configPath));
  const loadNutguard = () =>
    nutguardConfPath === undefined ? undefined : tryLoadNutguardConf(nutguardConfPath);
  let nutguardConf = loadNutguard();
  // the links of one server send their polls together on one connection (poll-carriers.ts)
  const carriers = new PollCarriers<NutUpsLink>();
  const createLink: UpsLinkFactory =
    o.createLink ?? ((entry) => createNutLink(entry, config, log, { carriers, clock, ...o.linkOptions }));
  let monitorHandle: MonitorHandle | undefined;
  const hear =
    typeof o.notifyExtensions === "object"
      ? o.notifyExtensions
      : configPath !== undefined && o.notifyExtensions !== false
        ? startNotifyExtensions({
            upsmonConfPath: configPath,
            ...(nutguardConf ? { nutguardConf } : {}),
            config,
            log,
            snapshot: () => monitorHandle?.snapshot(),
            runtimeDir: resolvePidDir().dir,
            clock,
            ...(o.notifyTransport ? { transport: o.notifyTransport } : {}),
          })
        : undefined;
  // the built-in upssched takes NOTIFYCMD's place in the Notifier (NOTIFYFLAG EXEC delivery)
  const notifier = hear && o.notifier === undefined ? new Notifier({ config, log }) : o.notifier;
  notifier?.setNotifyCmdHandler(hear?.notifyCmdHandler);
  if (hear) stops.push(() => stopNotifyExtensions(hear));
  // the demand rule: each poll reads what upsmon reads plus what these ask for (poll-demand.ts)
  const demandSources: PollDemandSource[] = [];
  if (o.pollDemand !== undefined) demandSources.push(o.pollDemand);
  for (const ext of o.extensions ?? []) if (ext.pollDemand !== undefined) demandSources.push(ext.pollDemand);
  if (hear) demandSources.push((system) => hear.pollDemand(system));
  const demands = new PollDemands(() => demandSources);
  const handle = startMonitor({
    config,
    host: o.host,
    log,
    clock,
    createLink,
    ...(configPath !== undefined ? { configPath } : {}),
    ...(o.debugLevel !== undefined ? { debugLevel: o.debugLevel } : {}),
    ...(o.splitProcess ? { splitProcess: true } : {}),
    ...(notifier !== undefined ? { notifier } : {}),
    ...(o.minIntervalMs !== undefined ? { minIntervalMs: o.minIntervalMs } : {}),
    pollDemand: demands.of,
    ...(hear ? { extraCriticalRule: thresholdCriticalRule((system) => hear.thresholdsFor(system)) } : {}),
    listeners: [...(o.listeners ?? []), ...(hear ? [hear.onEvent] : [])],
    loadConfig: async () => {
      if (configPath === undefined) return undefined;
      const next = await reloadUpsmonConf(configPath, log);
      if (next === undefined) return undefined;
      o.onConfig?.(next);
      config = next;
      nutguardConf = loadNutguard();
      for (const reload of reloads) reload(nutguardConf);
      if (hear && nutguardConf) {
        hear.reload(next, nutguardConf);
        notifier?.setNotifyCmdHandler(hear.notifyCmdHandler);
      }
      demands.invalidate(); // channels and thresholds may ask for other variables now
      return next;
    },
    attach: (monitor) => {
      for (const ext of o.extensions ?? []) {
        try {
          const hooks = ext.start({ monitor, config, configPath, nutguardConf, log, clock });
          if (typeof hooks === "function") stops.push(hooks);
          else if (hooks) {
            if (hooks.stop) stops.push(() => hooks.stop?.());
            if (hooks.reload) reloads.push((load) => hooks.reload?.(load));
          }
        } catch (err) {
          log.error(`${ext.name}: cannot start: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    },
  });
  monitorHandle = handle;
  const done = handle.done.then(async (exit) => {
    await stopAll(stops, log);
    return exit;
  });
  return { ...handle, done };
}

/** Pending FSD/SHUTDOWN notifications get a bounded window (the shutdown command already runs), then stop. */
async function stopNotifyExtensions(hear: NotifyExtensions): Promise<void> {
  await hear.settle(NOTIFY_SETTLE_MS);
  hear.stop();
}

async function stopAll(stops: (() => Promise<void> | void)[], log: Logger): Promise<void> {
  if (stops.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warning("monitor extensions did not stop in time");
      resolve();
    }, EXTENSION_STOP_MS);
  });
  const all = Promise.all(
    stops.map(async (stop) => {
      try {
        await stop();
      } catch (err) {
        log.error(`monitor extension failed to stop: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  await Promise.race([all, timeout]);
  clearTimeout(timer);
}
