/**
 * `nutguard monitor`: upsmon's command line. Parses the flags, reads upsmon.conf, and then either
 * answers at once (`-h`, `-V`, `--check`, `-K`, `-c`) or runs the daemon.
 *
 * How the daemon runs is chosen in `chooseRunner()`: service/single-process.ts (`-p`: one process
 * does everything, with an in-process MonitorHost) or service/service-main.ts (split mode: a root
 * supervisor and an unprivileged monitor). Both take a `MonitorRunContext`. Thin on purpose: argument
 * parsing and output only; the monitor is assembled in service/compose-monitor.ts.
 */

import { nutguardConfPathFor } from "../config/nutguard-conf.js";
// Only light modules are imported statically: in split mode this file runs in the root supervisor,
// which must not load the client or the engine (the daemon is imported where it runs).
import { impossiblePowerMessage, type ParseResult, type UpsmonConfig } from "../config/upsmon-conf.js";
import { type MonitorHttpPlan, prepareMonitorHttp } from "../http/monitor-plan.js";
import { defaultUpsmonConfPath, loadUpsmonConfFile, logConfigMessages } from "../monitor/config-file.js";
import { describeConfig } from "../monitor/describe-config.js";
import { checkPowerDownFlag } from "../monitor/powerdown-flag.js";
import type { NutLinkOptions } from "../monitor/ups-link-nut.js";
import { sendControl } from "../service/control.js";
import { takeReadinessFd } from "../service/main-process.js";
import { pidFilePath } from "../service/pidfile.js";
import { PRIVSEP_CHILD_FLAG } from "../service/privsep-protocol.js";
import { resolvePidDir } from "../service/runtime-dir.js";
import { createStderrLogger, type Logger } from "../util/log.js";
import { NUTGUARD_VERSION } from "../util/version.js";
import { MONITOR_USAGE, type MonitorArgs, parseMonitorArgs } from "./monitor-args.js";

/** Everything a runner needs: the parsed flags, the loaded configuration, a logger. */
export interface MonitorRunContext {
  args: MonitorArgs;
  configPath: string;
  config: UpsmonConfig;
  log: Logger;
  /** Debug level in effect (-D count, NUT_DEBUG_LEVEL, DEBUG_MIN). */
  debugLevel: number;
  /** In the daemon a `-B` starter spawned: the fd of the pipe it waits on for readiness. */
  readinessFd: number | undefined;
  /** `--http` / [http] listen: the HTTP surface to serve from the monitor process (checked at start). */
  http: MonitorHttpPlan | undefined;
}
export type MonitorRunner = (ctx: MonitorRunContext) => Promise<number>;

export async function run(argv: string[]): Promise<number> {
  // internal: the unprivileged monitor process of split mode, started by the supervisor (service/)
  if (argv[0] === PRIVSEP_CHILD_FLAG) {
    const { runMonitorChildFromArgv } = await import("../service/monitor-child.js");
    return runMonitorChildFromArgv(argv[1]);
  }
  const args = parseMonitorArgs(argv);
  if ("error" in args) {
    process.stderr.write(`nutguard monitor: ${args.error}\n\n${MONITOR_USAGE}`);
    return 1;
  }
  if (args.help) {
    process.stdout.write(MONITOR_USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`nutguard monitor ${NUTGUARD_VERSION} (upsmon-compatible)\n`);
    return 0;
  }
  if (args.command !== undefined) return sendCommand(args);

  const configPath = args.configFile ?? defaultUpsmonConfPath();
  const parsed = await loadUpsmonConfFile(configPath);
  const envDebug = Number.parseInt(process.env.NUT_DEBUG_LEVEL ?? "", 10);
  const argDebug = args.debugLevel > 0 ? args.debugLevel : Number.isFinite(envDebug) ? envDebug : 0;
  const debugLevel = Math.max(argDebug, parsed.config.debugMin ?? 0);
  const log = createStderrLogger({ debugLevel });

  if (args.checkPowerDownFlag) return checkFlag(parsed, log);
  if (args.check) return printCheck(parsed, configPath);

  logConfigMessages(parsed, log);
  if (parsed.fatal) return 1;
  const impossible = impossiblePowerMessage(parsed.config);
  if (impossible !== undefined) {
    process.stdout.write(impossible);
    return 1;
  }
  // the HTTP surface is checked here, before anything starts: a refused setting stops the monitor
  let http: MonitorHttpPlan | undefined;
  try {
    http = prepareMonitorHttp({
      confPath: args.nutguardConf ?? nutguardConfPathFor(configPath),
      http: args.http,
    });
  } catch (err) {
    log.error(`nutguard monitor: ${(err as Error).message}`);
    return 1;
  }
  // -B: this process only starts the daemon (this same command line) and waits until it is ready
  const readinessFd = takeReadinessFd();
  if (args.background && readinessFd === undefined) {
    const { startInBackground } = await import("../service/service-main.js");
    return startInBackground(log);
  }
  warnAboutConfig(parsed.config, log);
  const ctx: MonitorRunContext = {
    args,
    configPath,
    config: parsed.config,
    log,
    debugLevel,
    readinessFd,
    http,
  };
  return chooseRunner(args)(ctx);
}

/** upsmon's start-up warnings about the configuration, whichever process model runs. */
function warnAboutConfig(config: UpsmonConfig, log: Logger): void {
  if (config.shutdownCmd === undefined) log.warning("Warning: no shutdown command defined!");
  if (config.notifyCmd === undefined) {
    log.warning("Warning: no custom notification command defined, just so you know");
  }
  if (config.pollFreqSec === 0 || config.pollFreqAlertSec === 0) {
    log.warning("POLLFREQ/POLLFREQALERT 0: polling continuously, as upsmon does");
  }
}

/**
 * `-p` runs one process. As root, the default is split mode (service/: a root supervisor and a
 * monitor as RUN_AS_USER). A non-root user has no privileges to separate, so it runs as one
 * process, said once at start.
 */
export function chooseRunner(args: MonitorArgs): MonitorRunner {
  if (args.singleProcess) return runSingleProcess;
  if (process.getuid?.() !== 0) {
    return (ctx) => {
      ctx.log.notice("Not running as root: running as one process (as with -p)");
      return runSingleProcess(ctx);
    };
  }
  return runSupervised;
}

/** How the monitor reaches upsd, from the command line: -W (connect timeout), -4 / -6 (address family). */
function linkOptionsFrom(args: MonitorArgs): NutLinkOptions {
  const o: NutLinkOptions = { connectTimeoutMs: (args.connectTimeoutSec ?? 10) * 1000 };
  if (args.addressFamily !== undefined) o.family = args.addressFamily;
  return o;
}

/** `-p` (service/single-process.ts), loaded only when used. */
async function runSingleProcess(ctx: MonitorRunContext): Promise<number> {
  const { runSingleProcess: run } = await import("../service/single-process.js");
  return run({
    configPath: ctx.configPath,
    config: ctx.config,
    log: ctx.log,
    debugLevel: ctx.debugLevel,
    readinessFd: ctx.readinessFd,
    byRequest: ctx.args.singleProcess,
    linkOptions: linkOptionsFrom(ctx.args),
    http: ctx.http,
    nutguardConfPath: ctx.args.nutguardConf,
  });
}

/** Split mode (service/service-main.ts), loaded only when used. */
async function runSupervised(ctx: MonitorRunContext): Promise<number> {
  const { runSplitMode } = await import("../service/service-main.js");
  return runSplitMode({
    configPath: ctx.configPath,
    config: ctx.config,
    user: ctx.args.user,
    readinessFd: ctx.readinessFd,
    debugLevel: ctx.debugLevel,
    linkOptions: linkOptionsFrom(ctx.args),
    log: ctx.log,
    http: ctx.http,
    nutguardConfPath: ctx.args.nutguardConf,
  });
}

/** `-K`: exit 0 only when POWERDOWNFLAG holds upsmon's magic string. */
function checkFlag(parsed: ParseResult, log: Logger): number {
  if (parsed.fatal) {
    logConfigMessages(parsed, log);
    return 1;
  }
  if (parsed.config.powerDownFlag !== undefined)
    log.info(`Using power down flag file ${parsed.config.powerDownFlag}`);
  const { exitCode, message } = checkPowerDownFlag(parsed.config.powerDownFlag);
  log.info(message);
  return exitCode;
}

/** `--check`: what was understood, on stdout; the parser's messages on stderr. */
async function printCheck(parsed: ParseResult, configPath: string): Promise<number> {
  for (const m of parsed.messages) {
    if (m.level === "err" || m.level === "warning") process.stderr.write(`${m.message}\n`);
  }
  if (parsed.fatal) return 1;
  process.stdout.write(`${describeConfig(parsed.config).join("\n")}\n`);
  // nutguard.conf and upssched.conf (loaded here only: the supervisor never needs them)
  const { describeNotifyConfig } = await import("../monitor/describe-notify.js");
  const notify = describeNotifyConfig(configPath, parsed.config);
  process.stdout.write(`${notify.lines.join("\n")}\n`);
  for (const p of notify.problems) process.stderr.write(`${p}\n`);
  const impossible = impossiblePowerMessage(parsed.config);
  if (impossible !== undefined) {
    process.stdout.write(impossible);
    return 1;
  }
  return parsed.errorCount > 0 || notify.problems.length > 0 ? 2 : 0;
}

/**
 * `-c fsd|stop|reload`: signal the running daemon (the `-P` PID, else the identity-checked PID in
 * $NUT_PIDPATH or /run/nutguard/nutguard-monitor.pid) and exit 0 if the signal was sent.
 */
function sendCommand(args: MonitorArgs): number {
  const log = createStderrLogger({ priorityPrefix: false });
  return sendControl(args.command!, { pidFile: pidFilePath(resolvePidDir().dir), pid: args.pid }, log);
}
