/**
 * Reads the secrets nutguard.conf names by file (`token_file`, `password_file`) with the one rule of
 * util/secret-file.ts: the file's content minus one trailing newline, read through the safe reader of
 * config files. An unreadable, empty or multi-line file is a ConfigError at the setting's line.
 */
import { readSecretFile } from "../util/secret-file.js";
import type { Secret } from "./http-conf.js";

export function readSecret(secret: Secret | undefined, confFile: string, key: string): string | undefined {
  if (secret === undefined) return undefined;
  if ("value" in secret) return secret.value;
  return readSecretFile({ confFile, line: secret.line, key, file: secret.file });
}
