/**
 * What `nutguard monitor --http` asks for, checked where the command line is read (the root process
 * in split mode: light imports only), so a refused setting stops the monitor from starting, naming the
 * setting. The plan travels to the monitor process, which starts the surface (monitor-extension.ts).
 */
import { loadNutguardConf } from "../config/nutguard-conf-file.js";
import { checkExposure } from "./http-conf.js";
import { readSecret } from "./secrets.js";
import { httpSettingsFor, parseHttpFlags } from "./settings.js";

export interface MonitorHttpPlan {
  /** nutguard.conf (-C, else beside upsmon.conf). */
  confPath: string;
  /** `--http` values as written. */
  http: string[];
  /** Whether the settings at start serve anything (else the surface waits for a reload that adds `listen`). */
  serving?: boolean;
}

/**
 * Validates `--http` and nutguard.conf's [http]; returns the plan with `serving` set (the monitor
 * process always gets the extension, so a reload can start, change or stop the surface). Throws an
 * Error (or ConfigError with file:line) naming what is wrong.
 */
export function prepareMonitorHttp(plan: MonitorHttpPlan): MonitorHttpPlan {
  const conf = loadNutguardConf(plan.confPath);
  const http = httpSettingsFor(conf, parseHttpFlags(plan.http));
  if (http.listen.length === 0) return { ...plan, serving: false };
  const refusal = checkExposure(http);
  if (refusal) throw new Error(refusal);
  readSecret(http.token, conf.file, "token");
  readSecret(http.password, conf.file, "password");
  return { ...plan, serving: true };
}
