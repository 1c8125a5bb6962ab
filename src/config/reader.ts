/**
 * Shared front end of NUT's config files: text → lines of words with their line numbers, using the
 * protocol tokenizer (NUT reads its config files with the same pconf rules), and `ConfigError`,
 * which names the file and line like NUT does ("ups.conf:12: ...").
 *
 * Pure: takes text, never reads files. Keyword meaning belongs to each file's own reader.
 */
import { tokenizeText } from "../protocol/tokenizer.js";

/** A config mistake, located: `message` reads "<file>:<line>: <what>". */
export class ConfigError extends Error {
  readonly code = "CONFIG-ERROR";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = "ConfigError";
  }
}

export interface ConfigLine {
  words: string[];
  line: number;
}

export interface ConfigLinesOptions {
  /**
   * The file's words are served over the NUT protocol (ups.conf, upsd.users, dummy-ups files), which
   * carries ASCII only (NUT drops other bytes): a word outside ASCII is a ConfigError, not a loss.
   */
  asciiOnly?: boolean;
}

/**
 * Split a config file into non-empty lines of words; a tokenizer error becomes a ConfigError. Text
 * outside ASCII is kept (a template, a message), unless `asciiOnly`.
 */
export function readConfigLines(text: string, file: string, options: ConfigLinesOptions = {}): ConfigLine[] {
  const out: ConfigLine[] = [];
  for (const t of tokenizeText(text)) {
    if (t.kind === "error") throw new ConfigError(file, t.lineNumber, `Parse error: ${t.message}`);
    const bad = options.asciiOnly ? t.words.find((w) => /[^\x00-\x7f]/.test(w)) : undefined;
    if (bad !== undefined) {
      throw new ConfigError(
        file,
        t.lineNumber,
        `"${bad}" has characters outside ASCII, which the NUT protocol cannot carry (NUT would drop them)`,
      );
    }
    if (t.words.length > 0) out.push({ words: t.words, line: t.lineNumber });
  }
  return out;
}

/** `[name]` → "name"; anything else → undefined. */
export function sectionName(words: readonly string[]): string | undefined {
  const first = words[0];
  if (words.length !== 1 || first === undefined) return undefined;
  if (first.length < 3 || !first.startsWith("[") || !first.endsWith("]")) return undefined;
  return first.slice(1, -1);
}

/** `key = value...` → [key, "value ..."]; otherwise undefined. */
export function assignment(words: readonly string[]): [string, string] | undefined {
  if (words.length >= 3 && words[1] === "=") return [words[0]!, words.slice(2).join(" ")];
  return undefined;
}
