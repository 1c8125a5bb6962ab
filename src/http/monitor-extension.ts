/**
 * The HTTP surface as an extension of the monitor (service/compose-monitor.ts's `extensions`): started
 * in the unprivileged monitor process (never the root supervisor) with the monitor's own view, stopped
 * with it. The plan was checked at start (monitor-plan.ts); nutguard.conf is read again here, as the
 * monitor's user.
 */
import type { MonitorListener, MonitorSnapshot } from "../monitor/events.js";
import { DASHBOARD_DEMAND } from "../monitor/poll-demand.js";
import type { Logger } from "../util/log.js";
import type { MonitorHttpPlan } from "./monitor-plan.js";
import { httpSettingsFor, parseHttpFlags, readNutguardConf } from "./settings.js";
import { startSurfaceFrom } from "./setup.js";

/** The monitor as the extension sees it (MonitorHandle's reading side). */
interface MonitorReading {
  snapshot(): MonitorSnapshot;
  subscribe(listener: MonitorListener): () => void;
}

/**
 * The extension that serves the monitor's view. `start` subscribes at once (no event is missed) and
 * listens in the background: a surface that cannot start (a port in use) is logged and monitoring goes
 * on — the dashboard never stands between the host and its shutdown.
 */
export function monitorHttpExtension(
  plan: MonitorHttpPlan,
  env: Readonly<Record<string, string | undefined>>,
) {
  return {
    name: "http",
    // the page, the JSON API and the metrics show these (a plain monitor does not poll them)
    pollDemand: DASHBOARD_DEMAND,
    start: (ctx: { monitor: MonitorReading; log: Logger }): (() => Promise<void>) => {
      const view = {
        source: "monitor" as const,
        snapshot: () => ctx.monitor.snapshot(),
        subscribe: (l: MonitorListener) => ctx.monitor.subscribe(l),
      };
      // the surface subscribes synchronously, before this returns; listening completes later
      const started = (async () => {
        const conf = readNutguardConf(plan.confPath);
        const http = httpSettingsFor(conf, parseHttpFlags(plan.http));
        // applies the exposure rule again and reads the secret files as the monitor's user
        return startSurfaceFrom({ conf, http, view, log: ctx.log, env });
      })().catch((err: Error) => {
        ctx.log.error(`http: not serving: ${err.message}`);
        return undefined;
      });
      return async () => {
        const s = await started;
        await s?.surface.close();
        await s?.history.flush();
      };
    },
  };
}
