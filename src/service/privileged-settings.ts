/**
 * What the root supervisor needs from upsmon.conf: SHUTDOWNCMD, POWERDOWNFLAG and RUN_AS_USER,
 * read once, as root, at start (not reloadable in split mode, as in upsmon). Uses the project's
 * upsmon.conf parser (pure; it pulls in only the tokenizer), and prints its messages with file
 * and line. The supervisor never takes these values from the monitor process.
 */
import { readFileSync } from "node:fs";
import { parseUpsmonConf } from "../config/upsmon-conf.js";
import type { Logger } from "../util/log.js";
import type { PrivilegedSettings } from "./supervisor.js";

export function readPrivilegedSettings(
  configPath: string,
  defaultUser: string,
  log: Logger,
): PrivilegedSettings | undefined {
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch (err) {
    log.error(`Can't open ${configPath}: ${(err as Error).message}`);
    return undefined;
  }
  const result = parseUpsmonConf(text, configPath);
  if (result.fatal) {
    log.error(result.fatal);
    return undefined;
  }
  const { config } = result;
  return {
    shutdownCmd: config.shutdownCmd,
    powerDownFlag: config.powerDownFlag,
    runAsUser: config.runAsUser ?? defaultUser,
  };
}
