/**
 * Starting the HTTP surface for a process (the monitor or the exporter): nutguard.conf's [http] and
 * [history] sections, `--http` from the command line (replaces [http] listen), the exposure rule,
 * secret files, then the history store and the servers. Shared by cli/exporter.ts and the monitor.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type NutguardConfFile, parseNutguardConf, sectionsOf } from "../config/nutguard-conf.js";
import { historyFromSection } from "../history/history-conf.js";
import { HistoryStore } from "../history/store.js";
import type { Logger } from "../util/log.js";
import {
  checkExposure,
  emptyHttpSettings,
  type HttpSettings,
  httpFromSection,
  type ListenAddress,
  parseListen,
} from "./http-conf.js";
import { readSecret } from "./secrets.js";
import { type HttpSurface, startHttpSurface } from "./server.js";
import type { ObservedView } from "./view.js";

/** nutguard.conf's default place: $NUT_CONFPATH/nutguard.conf, else /etc/nut/nutguard.conf. */
export function defaultNutguardConfPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.NUT_CONFPATH || "/etc/nut", "nutguard.conf");
}

/** Read nutguard.conf; a missing file is an empty one (all defaults). Throws ConfigError. */
export function readNutguardConf(path: string): NutguardConfFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file: path, sections: [] };
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parseNutguardConf(text, path);
}

/** `--http` values → listen addresses; throws with the bad value named. */
export function parseHttpFlags(values: readonly string[]): ListenAddress[] {
  return values.map((v) => {
    const l = parseListen(v);
    if ("error" in l) throw new Error(`--http ${l.error}`);
    return l;
  });
}

/** [http] with --http applied (it replaces `listen`, keeps authentication and TLS). */
export function httpSettingsFor(conf: NutguardConfFile, cliListen: readonly ListenAddress[]): HttpSettings {
  const section = sectionsOf(conf, "http")[0];
  const s = section ? httpFromSection(section) : emptyHttpSettings(conf.file);
  if (cliListen.length > 0) return { ...s, listen: [...cliListen], origin: "--http" };
  return s;
}

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
  });
  return { surface, history };
}
