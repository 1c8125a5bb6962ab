/**
 * Reading upsmon.conf from disk (the I/O around the pure parser in config/upsmon-conf.ts), finding it
 * the way upsmon does (-f, else $NUT_CONFPATH/upsmon.conf, else /etc/nut/upsmon.conf), and logging
 * the parser's messages. Must not interpret the settings.
 */
import { join } from "node:path";
import { type ParseResult, parseUpsmonConf, type UpsmonConfig } from "../config/upsmon-conf.js";
import { ConfigFileError, readNutConfigFile } from "../util/config-file-read.js";
import type { Logger } from "../util/log.js";

export function defaultUpsmonConfPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.NUT_CONFPATH || "/etc/nut", "upsmon.conf");
}

/**
 * Read and parse; a file that cannot be read gives a fatal result with NUT's "Can't open" text, and so
 * does one that is not a regular file or is larger than 1 MiB (util/config-file-read.ts). Bytes that
 * are not UTF-8 are a warning outside comments, never fatal (NUT's upsmon reads a Latin-1 file).
 * Read synchronously (a small file, at start and on reload, as upsmon does): node:fs/promises would keep
 * a dozen more built-in modules resident in the monitor for its whole life.
 */
export async function loadUpsmonConfFile(path: string): Promise<ParseResult> {
  let read: { text: string; warnings: string[] };
  try {
    read = readNutConfigFile(path);
  } catch (err) {
    if (!(err instanceof ConfigFileError)) throw err;
    const fatal = err.message;
    const empty = parseUpsmonConf("", path);
    return { ...empty, messages: [{ level: "err", message: fatal }], fatal };
  }
  const parsed = parseUpsmonConf(read.text, path);
  const notUtf8 = read.warnings.map((message) => ({ level: "warning" as const, message }));
  return { ...parsed, messages: [...notUtf8, ...parsed.messages] };
}

/** Send the parser's messages to the log, at their levels. */
export function logConfigMessages(result: ParseResult, log: Logger): void {
  for (const m of result.messages) {
    if (m.level === "err") log.error(m.message);
    else if (m.level === "warning") log.warning(m.message);
    else if (m.level === "info") log.info(m.message);
    else log.debug(m.message, 1);
  }
}

/**
 * Re-read upsmon.conf for a reload (SIGHUP): logs the parser's messages; a fatal result is logged as
 * "Reload failed" and gives undefined, so the daemon keeps the configuration it runs with.
 */
export async function reloadUpsmonConf(path: string, log: Logger): Promise<UpsmonConfig | undefined> {
  const parsed = await loadUpsmonConfFile(path);
  logConfigMessages(parsed, log);
  if (parsed.fatal) {
    log.error(`Reload failed: ${parsed.fatal}`);
    return undefined;
  }
  return parsed.config;
}
