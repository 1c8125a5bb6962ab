/**
 * The one place where the service room meets the monitor room's daemon: reads upsmon.conf with
 * src/config and starts src/monitor/daemon.ts with a given MonitorHost. Loaded only inside the
 * monitor process (after the privilege drop), never by the supervisor.
 */
import type { Logger } from "../util/log.js";
import type { ChannelHost, RunningMonitor } from "./monitor-child.js";

export async function startMonitorFromConfigFile(
  configPath: string,
  host: ChannelHost,
  log: Logger,
): Promise<RunningMonitor> {
  // Until monitor/daemon.ts lands this is resolved at run time only.
  const daemonModule = "../monitor/daemon.js";
  const { startMonitor } = (await import(daemonModule)) as {
    startMonitor(o: { configPath: string; host: ChannelHost; log: Logger }): RunningMonitor;
  };
  return startMonitor({ configPath, host, log });
}
