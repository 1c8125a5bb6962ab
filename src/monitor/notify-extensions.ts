/**
 * The monitor's "hear it" extensions, built from nutguard.conf (beside upsmon.conf) and upssched.conf:
 * notification channels (a subscriber of the event stream), the built-in upssched (in the NOTIFYCMD
 * program's place when NOTIFYCMD names upssched and `[upssched] builtin` is not `no`), and the battery
 * thresholds (per UPS, for the critical-rule table). Reads files; decides nothing about UPS state.
 *
 * A mistake in nutguard.conf or upssched.conf is logged with file:line and only that feature is left
 * off (the monitor keeps protecting the host with upsmon's own rules); on reload a file that no longer
 * reads keeps the previous settings.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { type NutguardConfFile, nutguardConfPathFor } from "../config/nutguard-conf.js";
import { type NutguardConfLoad, tryLoadNutguardConf } from "../config/nutguard-conf-file.js";
import {
  type Thresholds,
  thresholdsFor,
  thresholdsFromConf,
  unknownThresholdUpses,
} from "../config/thresholds.js";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import { notifyCmdIsUpssched, type UpsschedConfig } from "../config/upssched-conf.js";
import { upsschedSettingsFromConf } from "../config/upssched-section.js";
import { channelsFromConf } from "../notify/channel-config.js";
import { ChannelNotifier } from "../notify/notifier.js";
import { type ReadyChannel, resolveChannel } from "../notify/secrets.js";
import type { Transport } from "../notify/transports.js";
import {
  BuiltinUpssched,
  type CmdScriptLauncher,
  loadUpsschedConf,
  TIMER_STATE_FILE,
  upsschedConfPathFor,
} from "../upssched/runner.js";
import type { SchedTimer } from "../upssched/timers.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { NotifyCmdHandler } from "./actions.js";
import type { MonitorEvent, MonitorSnapshot } from "./events.js";
import { demandOf, type PollDemand } from "./poll-demand.js";
import { missingVariableWarnings, THRESHOLD_RULES } from "./threshold-rules.js";

/** What notification templates and webhook bodies show of a UPS (notify/template.ts: charge, runtime). */
const CHANNEL_VARS = ["battery.charge", "battery.runtime"];

export interface NotifyExtensionsOptions {
  /** The upsmon.conf in use (nutguard.conf and upssched.conf are read beside it). */
  upsmonConfPath: string;
  /** `-C FILE`: another nutguard.conf. */
  nutguardConfPath?: string;
  /** nutguard.conf as the composition root loaded it (else it is loaded here, from the path above). */
  nutguardConf?: NutguardConfLoad;
  config: UpsmonConfig;
  log: Logger;
  /** The monitor's snapshot (status, charge and runtime of a notification's UPS). */
  snapshot?: () => MonitorSnapshot | undefined;
  /** The runtime directory for the upssched timer list (undefined: not written). */
  runtimeDir?: string;
  /** The monitor's clock: channel delays, retries and their window at shutdown; upssched's timers. */
  clock?: Clock;
  /** How each channel delivers (default: notify/transports.ts; tests on virtual time; the drill records). */
  transport?: (ch: ReadyChannel) => Transport;
  /** Starts the built-in upssched's CMDSCRIPT (default: spawned; the drill records instead). */
  launchCmdScript?: CmdScriptLauncher;
}

export interface NotifyExtensions {
  /** Subscribe this to the monitor's event stream. */
  readonly onEvent: (e: MonitorEvent) => void;
  /** When set, the Notifier gives EXEC notifications to it instead of starting NOTIFYCMD (built-in upssched). */
  readonly notifyCmdHandler: NotifyCmdHandler | undefined;
  /** The thresholds of one UPS (as in MONITOR); empty when none are configured. */
  thresholdsFor(system: string): Thresholds;
  /**
   * What the polls of one UPS must read for these: charge and runtime when a channel is configured,
   * each threshold's variable for the UPS it applies to; undefined when nothing. Follows reloads.
   */
  pollDemand(system: string): PollDemand | undefined;
  /** Give pending FSD/SHUTDOWN notifications at most `ms` (inside FINALDELAY); true when they settled. */
  settle(ms: number): Promise<boolean>;
  /** The built-in upssched's running timers ([] when it is off). */
  upsschedTimers(): readonly Readonly<SchedTimer>[];
  /** Apply a reload (SIGHUP): the new upsmon.conf, nutguard.conf as reloaded (else loaded here); re-reads upssched.conf. */
  reload(config: UpsmonConfig, nutguardConf?: NutguardConfLoad): void;
  stop(): void;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class Extensions implements NotifyExtensions {
  private channels: ChannelNotifier | undefined;
  private upssched: BuiltinUpssched | undefined;
  private thresholdSettings = thresholdsFromConf(undefined);
  /** Each UPS's merged thresholds, built once per load (the critical rule asks every round). */
  private readonly thresholdCache = new Map<string, Thresholds>();
  private readonly warnedMissing = new Set<string>();
  private readonly host = hostname();
  private handler: NotifyCmdHandler | undefined;

  constructor(private readonly o: NotifyExtensionsOptions) {
    this.apply(o.config, o.nutguardConf, true);
  }

  get notifyCmdHandler(): NotifyCmdHandler | undefined {
    return this.handler;
  }

  readonly onEvent = (e: MonitorEvent): void => {
    this.channels?.onEvent(e);
    if (e.kind === "status" && e.previous.length === 0) this.reportMissing(e.ups);
  };

  thresholdsFor(system: string): Thresholds {
    let t = this.thresholdCache.get(system);
    if (t === undefined) {
      t = Object.freeze(thresholdsFor(this.thresholdSettings, system));
      this.thresholdCache.set(system, t);
    }
    return t;
  }

  pollDemand(system: string): PollDemand | undefined {
    const vars = this.channels === undefined ? [] : [...CHANNEL_VARS];
    const t = this.thresholdsFor(system);
    for (const rule of THRESHOLD_RULES) {
      if (t[rule.key] === undefined || rule.variable === undefined || vars.includes(rule.variable)) continue;
      vars.push(rule.variable);
    }
    return vars.length === 0 ? undefined : demandOf(vars);
  }

  settle(ms: number): Promise<boolean> {
    return this.channels?.settle(ms) ?? Promise.resolve(true);
  }

  upsschedTimers(): readonly Readonly<SchedTimer>[] {
    return this.upssched?.list() ?? [];
  }

  reload(config: UpsmonConfig, nutguardConf?: NutguardConfLoad): void {
    this.o.config = config;
    this.apply(config, nutguardConf, false);
  }

  stop(): void {
    this.channels?.stop();
    this.upssched?.stop();
  }

  /** Once per UPS, at its first status: the thresholds whose variable it does not report. */
  private reportMissing(system: string): void {
    if (this.warnedMissing.has(system)) return;
    const ups = this.o.snapshot?.()?.ups.find((u) => u.system === system);
    if (ups === undefined) return;
    this.warnedMissing.add(system);
    for (const w of missingVariableWarnings(system, this.thresholdsFor(system), ups.readings.vars))
      this.o.log.warning(w);
  }

  private apply(config: UpsmonConfig, given: NutguardConfLoad | undefined, first: boolean): void {
    const load =
      given ?? tryLoadNutguardConf(this.o.nutguardConfPath ?? nutguardConfPathFor(this.o.upsmonConfPath));
    const conf = load.conf;
    if (load.error) {
      this.o.log.error(
        `${describeError(load.error)}${first ? " (notification channels, thresholds and upssched settings are off)" : " (keeping the previous settings)"}`,
      );
      if (!first) return;
    }
    this.applyChannels(conf, first);
    this.applyThresholds(conf, config, first);
    this.applyUpssched(conf, config, first);
  }

  private applyChannels(conf: NutguardConfFile | undefined, first: boolean): void {
    let ready: ReadyChannel[];
    try {
      ready = conf === undefined ? [] : channelsFromConf(conf).map((c) => resolveChannel(c));
    } catch (err) {
      this.o.log.error(
        `${describeError(err)}${first ? " (notification channels are off)" : " (keeping the previous channels)"}`,
      );
      if (!first) return;
      ready = [];
    }
    this.channels?.stop();
    this.channels =
      ready.length === 0
        ? undefined
        : new ChannelNotifier({
            channels: ready,
            snapshot: this.o.snapshot,
            hostName: this.host,
            log: this.o.log,
            ...(this.o.clock ? { clock: this.o.clock } : {}),
            ...(this.o.transport ? { transport: this.o.transport } : {}),
          });
    if (ready.length > 0)
      this.o.log.info(`Notification channels: ${ready.map((c) => `[${c.name}] (${c.type})`).join(", ")}`);
  }

  private applyThresholds(conf: NutguardConfFile | undefined, config: UpsmonConfig, first: boolean): void {
    try {
      this.thresholdSettings = thresholdsFromConf(conf);
      this.thresholdCache.clear();
    } catch (err) {
      this.o.log.error(
        `${describeError(err)}${first ? " (battery thresholds are off)" : " (keeping the previous thresholds)"}`,
      );
      return;
    }
    const systems = config.monitors.map((m) => m.system);
    for (const w of unknownThresholdUpses(this.thresholdSettings, systems)) this.o.log.warning(w);
    for (const system of systems) {
      const t = this.thresholdsFor(system);
      const parts = Object.entries(t).map(([k, v]) => `${k} = ${v}`);
      if (parts.length > 0) this.o.log.info(`UPS [${system}]: battery thresholds ${parts.join(", ")}`);
    }
  }

  private applyUpssched(conf: NutguardConfFile | undefined, config: UpsmonConfig, first: boolean): void {
    let builtin = true;
    try {
      builtin = upsschedSettingsFromConf(conf).builtin;
    } catch (err) {
      this.o.log.error(`${describeError(err)} (using the default: builtin = yes)`);
    }
    if (!builtin || !notifyCmdIsUpssched(config.notifyCmd)) {
      this.upssched?.stop();
      this.upssched = undefined;
      this.handler = undefined;
      return;
    }
    const path = upsschedConfPathFor(this.o.upsmonConfPath);
    let sched: UpsschedConfig;
    try {
      sched = loadUpsschedConf(path);
    } catch (err) {
      this.o.log.error(
        `${describeError(err)}${first || this.upssched === undefined ? " (NOTIFYCMD names upssched: its timers are off)" : " (keeping the previous upssched.conf)"}`,
      );
      if (this.upssched === undefined) this.handler = undefined;
      return;
    }
    if (this.upssched) {
      this.upssched.reconfigure(sched);
      return;
    }
    this.upssched = new BuiltinUpssched({
      conf: sched,
      log: this.o.log,
      stateFile: this.o.runtimeDir === undefined ? undefined : join(this.o.runtimeDir, TIMER_STATE_FILE),
      ...(this.o.clock ? { clock: this.o.clock } : {}),
      ...(this.o.launchCmdScript ? { launch: this.o.launchCmdScript } : {}),
    });
    this.handler = this.upssched.exec;
    this.o.log.info(
      `NOTIFYCMD names upssched: running the timers of ${path} in the monitor (no upssched process)`,
    );
  }
}

export function startNotifyExtensions(o: NotifyExtensionsOptions): NotifyExtensions {
  return new Extensions(o);
}
