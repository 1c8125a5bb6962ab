/**
 * The one loader of nutguard.conf: the project's safe config-file reader (util/config-file-read.ts:
 * a regular file of at most 1 MiB; a link to /dev/zero or a FIFO is refused, naming the file), then
 * the parser (nutguard-conf.ts). A missing file is an empty one: every feature at its defaults.
 *
 * A running monitor loads it once per start and once per reload (service/compose-monitor.ts) and
 * hands the result to everything that reads it (notification channels, thresholds, upssched, the HTTP
 * surface); `nutguard exporter` loads it at start and on SIGHUP.
 */
import { readOptionalConfigFile } from "../util/config-file-read.js";
import { type NutguardConfFile, parseNutguardConf } from "./nutguard-conf.js";

/** Read and parse nutguard.conf. Throws ConfigFileError (unreadable) or ConfigError (file:line). */
export function loadNutguardConf(path: string): NutguardConfFile {
  const text = readOptionalConfigFile(path);
  return text === undefined ? { file: path, sections: [] } : parseNutguardConf(text, path);
}

/** One load's outcome, as handed to the monitor's consumers: the file, or why it could not be used. */
export type NutguardConfLoad =
  | { file: string; conf: NutguardConfFile; error?: undefined }
  | { file: string; conf?: undefined; error: Error };

/** loadNutguardConf that returns its error rather than throwing it. */
export function tryLoadNutguardConf(path: string): NutguardConfLoad {
  try {
    return { file: path, conf: loadNutguardConf(path) };
  } catch (err) {
    return { file: path, error: err instanceof Error ? err : new Error(String(err)) };
  }
}
