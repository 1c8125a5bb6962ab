/**
 * Reads the secrets nutguard.conf names by file (`token_file`, `password_file`): the file's first
 * line, trimmed, through the one safe reader of config files (a regular file of bounded size; a link to
 * /dev/zero or a FIFO is refused at once). An unreadable or empty file is a ConfigError at the setting's line.
 */
import { ConfigError } from "../config/reader.js";
import { readConfigFile } from "../util/config-file-read.js";
import type { Secret } from "./http-conf.js";

export function readSecret(secret: Secret | undefined, confFile: string, key: string): string | undefined {
  if (secret === undefined) return undefined;
  if ("value" in secret) return secret.value;
  let text: string;
  try {
    text = readConfigFile(secret.file);
  } catch (err) {
    throw new ConfigError(confFile, secret.line, `cannot read ${key}_file: ${(err as Error).message}`);
  }
  const value = (text.split("\n")[0] ?? "").trim();
  if (value === "") throw new ConfigError(confFile, secret.line, `${key}_file ${secret.file} is empty`);
  return value;
}
