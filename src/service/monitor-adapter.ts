/**
 * The one place where the service room starts the monitor room's daemon in split mode: reads
 * upsmon.conf (as RUN_AS_USER, after the privilege drop), starts monitor/daemon.ts with NUT links
 * and the given MonitorHost, and re-reads the file on reload. Loaded only inside the monitor
 * process, never by the supervisor (it pulls in the client and the engine).
 */
import { loadUpsmonConfFile, logConfigMessages, reloadUpsmonConf } from "../monitor/config-file.js";
import { type MonitorHandle, type MonitorHost, startMonitor } from "../monitor/daemon.js";
import { createNutLink, type NutLinkOptions } from "../monitor/ups-link-nut.js";
import type { Logger } from "../util/log.js";

export interface SplitMonitorOptions {
  configPath: string;
  host: MonitorHost;
  log: Logger;
  linkOptions: NutLinkOptions;
}

/**
 * The supervisor has already printed the file's messages at start, so they are only printed here
 * when the file cannot be used, and on reload.
 */
export async function startSplitMonitor(o: SplitMonitorOptions): Promise<MonitorHandle> {
  const { log } = o;
  const parsed = await loadUpsmonConfFile(o.configPath);
  if (parsed.fatal) {
    logConfigMessages(parsed, log);
    throw new Error(`Cannot read ${o.configPath} as the monitor's user: ${parsed.fatal}`);
  }
  let config = parsed.config;
  return startMonitor({
    config,
    host: o.host,
    log,
    splitProcess: true,
    createLink: (entry) => createNutLink(entry, config, log, o.linkOptions),
    loadConfig: async () => {
      const next = await reloadUpsmonConf(o.configPath, log);
      if (next !== undefined) config = next;
      return next;
    },
  });
}
