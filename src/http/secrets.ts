/**
 * Reads the secrets nutguard.conf names by file (`token_file`, `password_file`): the file's first
 * line, trimmed. An unreadable or empty file is a ConfigError at the setting's line.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../config/reader.js";
import type { Secret } from "./http-conf.js";

export function readSecret(secret: Secret | undefined, confFile: string, key: string): string | undefined {
  if (secret === undefined) return undefined;
  if ("value" in secret) return secret.value;
  let text: string;
  try {
    text = readFileSync(secret.file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(confFile, secret.line, `cannot read ${key}_file ${secret.file}: ${code}`);
  }
  const value = (text.split("\n")[0] ?? "").trim();
  if (value === "") throw new ConfigError(confFile, secret.line, `${key}_file ${secret.file} is empty`);
  return value;
}
