/**
 * The HTTP surface as an extension of the monitor (service/compose-monitor.ts's `extensions`): started
 * in the unprivileged monitor process (never the root supervisor) with the monitor's own view, stopped
 * with it. `prepareMonitorHttp()` runs first, where the command line is read, so a refused setting
 * (beyond loopback without authentication, a bad address, an unreadable secret file) stops the monitor
 * from starting, naming the setting.
 */
import type { MonitorListener, MonitorSnapshot } from "../monitor/events.js";
import type { Logger } from "../util/log.js";
import { checkExposure, type HttpSettings } from "./http-conf.js";
import { readSecret } from "./secrets.js";
import { httpSettingsFor, parseHttpFlags, readNutguardConf, startSurfaceFrom } from "./setup.js";

/** The monitor as the extension sees it (MonitorHandle's reading side). */
interface MonitorReading {
  snapshot(): MonitorSnapshot;
  subscribe(listener: MonitorListener): () => void;
}

export interface MonitorHttpPlan {
  confPath: string;
  /** `--http` values as written. */
  http: string[];
}

/**
 * Validates what `--http` and nutguard.conf's [http] ask for; returns the plan to hand to the monitor
 * process (undefined when nothing is to be served). Throws an Error naming what is wrong.
 */
export function prepareMonitorHttp(plan: MonitorHttpPlan): MonitorHttpPlan | undefined {
  const conf = readNutguardConf(plan.confPath);
  const http = httpSettingsFor(conf, parseHttpFlags(plan.http));
  if (http.listen.length === 0) return undefined;
  check(http, conf.file);
  return plan;
}

function check(http: HttpSettings, confFile: string): void {
  const refusal = checkExposure(http);
  if (refusal) throw new Error(refusal);
  readSecret(http.token, confFile, "token");
  readSecret(http.password, confFile, "password");
}

export interface MonitorHttpExtension {
  readonly name: string;
  start(ctx: { monitor: MonitorReading; log: Logger }): Promise<() => Promise<void>>;
}

/** The extension that serves the monitor's view (read again in the monitor process). */
export function monitorHttpExtension(
  plan: MonitorHttpPlan,
  env: Readonly<Record<string, string | undefined>>,
) {
  return {
    name: "http",
    start: async (ctx: { monitor: MonitorReading; log: Logger }) => {
      const conf = readNutguardConf(plan.confPath);
      const http = httpSettingsFor(conf, parseHttpFlags(plan.http));
      check(http, conf.file);
      const view = {
        source: "monitor" as const,
        snapshot: () => ctx.monitor.snapshot(),
        subscribe: (l: MonitorListener) => ctx.monitor.subscribe(l),
      };
      const { surface, history } = await startSurfaceFrom({ conf, http, view, log: ctx.log, env });
      return async () => {
        await surface.close();
        await history.flush();
      };
    },
  } satisfies MonitorHttpExtension;
}
