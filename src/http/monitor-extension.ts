/**
 * The HTTP surface as an extension of the monitor (service/compose-monitor.ts's `extensions`): started
 * in the unprivileged monitor process (never the root supervisor) with the monitor's own view, stopped
 * with it. Its settings are nutguard.conf's [http] as the monitor loaded it (one load per start and per
 * reload, handed over by the composition root) with `--http` applied; the plan was checked at start by
 * the root process (monitor-plan.ts).
 *
 * On reload: unchanged settings keep the surface and its event-stream clients; a changed listen
 * address, authentication or TLS takes effect (http/listeners.ts); a setting that is refused, a file
 * that cannot be read or an address that cannot be bound is logged (file:line) and the previous
 * surface goes on serving. [http] gaining a `listen` starts the surface; losing every one stops it.
 */
import type { NutguardConfFile } from "../config/nutguard-conf.js";
import type { NutguardConfLoad } from "../config/nutguard-conf-file.js";
import type { MonitorListener, MonitorSnapshot } from "../monitor/events.js";
import { DASHBOARD_DEMAND, type PollDemand } from "../monitor/poll-demand.js";
import type { Logger } from "../util/log.js";
import type { MonitorHttpPlan } from "./monitor-plan.js";
import { httpSettingsFor, parseHttpFlags } from "./settings.js";

type SetupModule = typeof import("./setup.js");

/** The monitor as the extension sees it (MonitorHandle's reading side). */
interface MonitorReading {
  snapshot(): MonitorSnapshot;
  subscribe(listener: MonitorListener): () => void;
}

/**
 * The extension that serves the monitor's view. When the plan serves at start, the servers' modules
 * are loaded here (so `start` subscribes at once and no event is missed) and listening completes in
 * the background: a surface that cannot start (a port in use) is logged and monitoring goes on — the
 * dashboard never stands between the host and its shutdown. Otherwise node:http is loaded only if a
 * reload asks for a surface.
 */
export async function monitorHttpExtension(
  plan: MonitorHttpPlan,
  env: Readonly<Record<string, string | undefined>>,
) {
  let setup: SetupModule | undefined = plan.serving === false ? undefined : await import("./setup.js");
  const flags = parseHttpFlags(plan.http);
  // whether the settings last loaded serve a surface: only then does a poll read what it shows
  let serving = plan.serving !== false;
  /** Whether `conf`'s [http] (with --http) would serve; a refused setting keeps the last answer. */
  const wouldServe = (conf: NutguardConfFile): boolean => {
    try {
      return httpSettingsFor(conf, flags).listen.length > 0;
    } catch {
      return serving;
    }
  };
  return {
    name: "http",
    // the page, the JSON API and the metrics show these; without a surface nobody does, and a plain
    // monitor polls what upsmon polls (the composition root asks again after each reload)
    pollDemand: (): PollDemand | undefined => (serving ? DASHBOARD_DEMAND : undefined),
    start: (ctx: { monitor: MonitorReading; log: Logger; nutguardConf?: NutguardConfLoad | undefined }) => {
      const log = ctx.log;
      const view = {
        source: "monitor" as const,
        snapshot: () => ctx.monitor.snapshot(),
        subscribe: (l: MonitorListener) => ctx.monitor.subscribe(l),
      };
      let running: Awaited<ReturnType<SetupModule["startSurfaceFrom"]>> | undefined;
      let stopped = false;

      const stopSurface = async () => {
        const r = running;
        running = undefined;
        await r?.surface.close();
        await r?.history.flush();
      };
      /** Apply one load; synchronous up to the surface's subscription when `setup` is loaded. */
      const apply = async (load: NutguardConfLoad | undefined): Promise<void> => {
        const conf = load === undefined ? { file: plan.confPath, sections: [] } : load.conf;
        if (conf === undefined) throw load!.error;
        const http = httpSettingsFor(conf, flags);
        if (http.listen.length === 0) {
          if (running) log.notice(`http: no longer serving (no "listen" in [http] of ${conf.file})`);
          return stopSurface();
        }
        if (running) {
          await setup!.reconfigureSurface(running.surface, conf, http);
          return;
        }
        setup ??= await import("./setup.js");
        const started = await setup.startSurfaceFrom({ conf, http, view, log, env });
        if (stopped) {
          running = started;
          await stopSurface();
        } else running = started;
      };
      let chain = apply(ctx.nutguardConf).catch((err: Error) =>
        log.error(`http: not serving: ${err.message}`),
      );
      return {
        reload: (load: NutguardConfLoad | undefined): void => {
          // decided now, before the composition root asks for the polls' demand again
          if (load?.conf !== undefined) serving = wouldServe(load.conf);
          else if (load === undefined) serving = wouldServe({ file: plan.confPath, sections: [] });
          chain = chain.then(() =>
            apply(load).catch((err: Error) =>
              log.error(
                `http: ${err.message} (${running ? "keeping the previous settings" : "not serving"})`,
              ),
            ),
          );
        },
        stop: async (): Promise<void> => {
          stopped = true;
          await chain;
          await stopSurface();
        },
      };
    },
  };
}
