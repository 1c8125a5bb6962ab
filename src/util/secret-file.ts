/**
 * The one rule for what a secret file named by a `<key>_file = PATH` setting of nutguard.conf holds
 * (`token_file`, `password_file` of [http]/[exporter]; `token_file`, `url_file`, `topic_file`,
 * `smtp_password_file`, `urls_file` of notification channels), as systemd credentials and Docker
 * secrets do:
 *
 *  - the secret is the file's whole content minus one newline at its end (`\n` or `\r\n`), nothing
 *    trimmed: spaces and a leading `#` are part of a password;
 *  - an empty file (or one holding only that newline) is an error naming the file;
 *  - a value with a line break inside is an error (a second line is a mistake, not a secret), except
 *    for a list (`urls_file`): one value per line, blank lines and lines starting with `#` skipped;
 *  - the file is read through the one safe reader of config files (a regular file of at most 1 MiB,
 *    UTF-8 text), so a link to /dev/zero or a FIFO is refused at once.
 *
 * Errors are ConfigErrors at the setting's line of nutguard.conf.
 */
import { ConfigError } from "../config/reader.js";
import { readConfigFile } from "./config-file-read.js";

/** Reads a file's text (throws with a message naming the file); readConfigFile unless a test gives one. */
export type SecretFileReader = (path: string) => string;

/** Where the secret file is named: `key_file = file` on `line` of `confFile`. */
export interface SecretFileSetting {
  readonly confFile: string;
  readonly line: number;
  /** The setting without `_file`: "token", "password", "urls", … */
  readonly key: string;
  readonly file: string;
}

/** The file's text, or a ConfigError at the setting's line. */
function textOf(s: SecretFileSetting, read: SecretFileReader): string {
  try {
    return read(s.file);
  } catch (err) {
    throw new ConfigError(s.confFile, s.line, `cannot read ${s.key}_file: ${(err as Error).message}`);
  }
}

/** The content minus one trailing newline (`\n` or `\r\n`). */
function withoutFinalNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/** The secret of a one-value setting (token, password, url, topic). */
export function readSecretFile(s: SecretFileSetting, read: SecretFileReader = readConfigFile): string {
  const value = withoutFinalNewline(textOf(s, read));
  if (value === "") throw new ConfigError(s.confFile, s.line, `${s.key}_file ${s.file} is empty`);
  if (/[\r\n]/.test(value)) {
    throw new ConfigError(
      s.confFile,
      s.line,
      `${s.key}_file ${s.file} holds more than one line (a secret file holds the secret, and at most one newline at its end)`,
    );
  }
  return value;
}

/** The values of a list setting (`urls_file`): one per line; blank lines and `#` lines skipped. */
export function readSecretListFile(s: SecretFileSetting, read: SecretFileReader = readConfigFile): string[] {
  const values = withoutFinalNewline(textOf(s, read))
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))
    .map((l) => l.trim());
  if (values.length === 0) throw new ConfigError(s.confFile, s.line, `${s.key}_file ${s.file} is empty`);
  return values;
}
