/**
 * `-p` (and any non-root run): one process polls, notifies, and also writes POWERDOWNFLAG and runs
 * SHUTDOWNCMD itself. The in-process sibling of split mode's monitor child (monitor-child.ts): the
 * same composition root (compose-monitor.ts), the same signal table (monitor-signals.ts), the same
 * "SHUTDOWNCMD runs once" guard (privsep-protocol.ts, through main-process.ts).
 */
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import type { MonitorHttpPlan } from "../http/monitor-plan.js";
import type { MonitorHost } from "../monitor/daemon.js";
import { clearPowerDownFlagAtStartup } from "../monitor/powerdown-flag.js";
import type { PrivilegedShutdownSettings } from "../monitor/privileged-shutdown.js";
import type { NutLinkOptions } from "../monitor/ups-link-nut.js";
import type { Logger } from "../util/log.js";
import { createPrivilegedShutdown, MainProcess } from "./main-process.js";
import { useMonitorRuntimeSettings } from "./monitor-runtime.js";
import { monitorSignalActions, wireSignals } from "./monitor-signals.js";

export interface SingleProcessOptions {
  configPath: string;
  config: UpsmonConfig;
  log: Logger;
  debugLevel: number;
  /** In the daemon a `-B` starter spawned: the fd of the pipe it waits on for readiness. */
  readinessFd: number | undefined;
  /** `-p` was given (as opposed to a non-root run): upsmon warns about it. */
  byRequest: boolean;
  linkOptions: NutLinkOptions;
  /** The HTTP surface to serve from this process (http/monitor-plan.ts), if any. */
  http?: MonitorHttpPlan | undefined;
  /** `-C`: nutguard.conf (default: beside upsmon.conf). */
  nutguardConfPath?: string | undefined;
}

/** The host of a monitor that does its privileged action itself: MainProcess (PID file, sd_notify, -B). */
export function createInProcessHost(
  main: MainProcess,
  privileged: () => PrivilegedShutdownSettings,
  log: Logger,
): MonitorHost {
  const shutdown = createPrivilegedShutdown(main, privileged, log);
  return {
    requestShutdown: () => shutdown.request(),
    ready: () => {
      log.debug("Monitoring started", 1);
      main.markReady();
    },
    status: (summary) => {
      log.debug(`Status: ${summary}`, 2);
      main.status(summary);
    },
    heartbeat: () => main.heartbeat(),
  };
}

export async function runSingleProcess(o: SingleProcessOptions): Promise<number> {
  const { log } = o;
  // the PID file (about this process), sd_notify and the -B readiness pipe
  const main = MainProcess.start({ log, readinessFd: o.readinessFd });
  if (!main) return 1;
  useMonitorRuntimeSettings(); // before the monitor's code is loaded and run
  const { composeMonitor } = await import("./compose-monitor.js");
  if (o.byRequest) log.warning("Warning: running as one big root process by request (upsmon -p)");
  let config = o.config;
  if (config.powerDownFlag !== undefined) {
    const startup = clearPowerDownFlagAtStartup(config.powerDownFlag);
    if (startup.warning) log.warning(startup.warning);
    config = { ...config, powerDownFlag: startup.path };
  }
  // SHUTDOWNCMD as read at start, then per reload; POWERDOWNFLAG as read (and cleared) at start
  let privileged = { shutdownCmd: config.shutdownCmd, powerDownFlag: config.powerDownFlag };
  const extensions = o.http
    ? [await (await import("../http/monitor-extension.js")).monitorHttpExtension(o.http, process.env)]
    : [];
  const handle = composeMonitor({
    extensions,
    config,
    configPath: o.configPath,
    ...(o.nutguardConfPath !== undefined ? { nutguardConfPath: o.nutguardConfPath } : {}),
    host: createInProcessHost(main, () => privileged, log),
    log,
    debugLevel: o.debugLevel,
    linkOptions: o.linkOptions,
    onConfig: (next) => {
      privileged = { shutdownCmd: next.shutdownCmd, powerDownFlag: privileged.powerDownFlag };
    },
  });
  const unwire = wireSignals(
    monitorSignalActions(() => handle, log, {
      stopping: () => main.stopping(),
      reloading: () => main.reloading(),
      reloaded: () => main.markReady(),
    }),
  );
  const exit = await handle.done;
  unwire();
  main.stopping();
  main.close();
  return exit.exitCode;
}
