/**
 * Starting the HTTP surface for a process (the monitor or the exporter) from its settings (settings.ts):
 * the exposure rule, secret files, then the history store and the servers; and applying reloaded
 * settings to a running surface. Shared by cli/exporter.ts and the monitor's extension.
 */
import { type NutguardConfFile, sectionsOf } from "../config/nutguard-conf.js";
import { drillStateDir, readLastDrill } from "../drill/last-drill.js";
import { historyFromSection } from "../history/history-conf.js";
import { HistoryStore } from "../history/store.js";
import type { Logger } from "../util/log.js";
import { checkExposure, type HttpSettings } from "./http-conf.js";
import { readSecret } from "./secrets.js";
import { type HttpSurface, type SurfaceSettings, startHttpSurface } from "./server.js";
import type { ObservedView } from "./view.js";

export interface SurfaceSetup {
  conf: NutguardConfFile;
  http: HttpSettings;
  view: ObservedView;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
}

/** [http] as the servers take it: the exposure rule checked, secret files read. Throws naming what is wrong. */
export function surfaceSettings(conf: NutguardConfFile, http: HttpSettings): SurfaceSettings {
  const refusal = checkExposure(http);
  if (refusal) throw new Error(refusal);
  const token = readSecret(http.token, conf.file, "token");
  const password = readSecret(http.password, conf.file, "password");
  const tls = http.tlsCert && http.tlsKey ? { certFile: http.tlsCert, keyFile: http.tlsKey } : undefined;
  return { listen: http.listen, credentials: { token, user: http.user, password }, tls };
}

/** Checks exposure, reads secrets, opens the history, listens. Throws an Error naming what is wrong. */
export async function startSurfaceFrom(
  o: SurfaceSetup,
): Promise<{ surface: HttpSurface; history: HistoryStore }> {
  const settings = surfaceSettings(o.conf, o.http);
  const history = new HistoryStore(
    historyFromSection(sectionsOf(o.conf, "history")[0], o.env),
    o.log.child("history"),
  );
  const surface = await startHttpSurface({
    ...settings,
    view: o.view,
    history,
    log: o.log,
    lastDrill: () => readLastDrill(drillStateDir(undefined, o.env)),
  });
  return { surface, history };
}

/**
 * Reloaded [http] settings onto a running surface. Throws (the surface still serving as before) when a
 * setting is refused, a secret or TLS file cannot be read, or an address cannot be bound.
 */
export function reconfigureSurface(
  surface: HttpSurface,
  conf: NutguardConfFile,
  http: HttpSettings,
): Promise<boolean> {
  return surface.reconfigure(surfaceSettings(conf, http));
}
