/**
 * The HTTP surface's settings as a process reads them: nutguard.conf (a missing file is all defaults),
 * its [http] section, and `--http` from the command line (replaces `listen`, keeps authentication and
 * TLS). Light (no servers): the monitor's root process reads these to refuse a bad setting at start.
 */
import { join } from "node:path";
import { type NutguardConfFile, sectionsOf } from "../config/nutguard-conf.js";
import {
  emptyHttpSettings,
  type HttpSettings,
  httpFromSection,
  type ListenAddress,
  parseListen,
} from "./http-conf.js";

/** nutguard.conf's default place: $NUT_CONFPATH/nutguard.conf, else /etc/nut/nutguard.conf. */
export function defaultNutguardConfPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.NUT_CONFPATH || "/etc/nut", "nutguard.conf");
}

/** `--http` values → listen addresses; throws with the bad value named. */
export function parseHttpFlags(values: readonly string[]): ListenAddress[] {
  return values.map((v) => {
    const l = parseListen(v);
    if ("error" in l) throw new Error(`--http ${l.error}`);
    return l;
  });
}

/** [http] with --http applied. */
export function httpSettingsFor(conf: NutguardConfFile, cliListen: readonly ListenAddress[]): HttpSettings {
  const section = sectionsOf(conf, "http")[0];
  const s = section ? httpFromSection(section) : emptyHttpSettings(conf.file);
  if (cliListen.length > 0) return { ...s, listen: [...cliListen], origin: "--http" };
  return s;
}
