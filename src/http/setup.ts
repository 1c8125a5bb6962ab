/**
 * Starting the HTTP surface for a process (the monitor or the exporter) from its settings (settings.ts):
 * the exposure rule, secret files, then the history store and the servers. Shared by cli/exporter.ts
 * and the monitor's extension.
 */
import { type NutguardConfFile, sectionsOf } from "../config/nutguard-conf.js";
import { drillStateDir, readLastDrill } from "../drill/last-drill.js";
import { historyFromSection } from "../history/history-conf.js";
import { HistoryStore } from "../history/store.js";
import type { Logger } from "../util/log.js";
import { checkExposure, type HttpSettings } from "./http-conf.js";
import { readSecret } from "./secrets.js";
import { type HttpSurface, startHttpSurface } from "./server.js";
import type { ObservedView } from "./view.js";

export interface SurfaceSetup {
  conf: NutguardConfFile;
  http: HttpSettings;
  view: ObservedView;
  log: Logger;
  env: Readonly<Record<string, string | undefined>>;
}

/** Checks exposure, reads secrets, opens the history, listens. Throws an Error naming what is wrong. */
export async function startSurfaceFrom(
  o: SurfaceSetup,
): Promise<{ surface: HttpSurface; history: HistoryStore }> {
  const refusal = checkExposure(o.http);
  if (refusal) throw new Error(refusal);
  const token = readSecret(o.http.token, o.conf.file, "token");
  const password = readSecret(o.http.password, o.conf.file, "password");
  const history = new HistoryStore(
    historyFromSection(sectionsOf(o.conf, "history")[0], o.env),
    o.log.child("history"),
  );
  const tls =
    o.http.tlsCert && o.http.tlsKey ? { certFile: o.http.tlsCert, keyFile: o.http.tlsKey } : undefined;
  const surface = await startHttpSurface({
    view: o.view,
    history,
    listen: o.http.listen,
    credentials: { token, user: o.http.user, password },
    tls,
    log: o.log,
    lastDrill: () => readLastDrill(drillStateDir(undefined, o.env)),
  });
  return { surface, history };
}
