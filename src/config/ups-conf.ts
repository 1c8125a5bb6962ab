/**
 * ups.conf reader: global settings and one section per UPS (`[name]`, then `key = value` lines or
 * bare flags). It keeps every key of a section; deciding which drivers are acceptable is the
 * caller's job. Pure: text in, object out, no file access.
 */
import { assignment, ConfigError, readConfigLines, sectionName } from "./reader.js";

export interface UpsSection {
  name: string;
  /** Line of the `[name]` header. */
  line: number;
  /** Keys in lower case → value; bare flags map to "". */
  settings: Map<string, { value: string; line: number }>;
}

export interface UpsConf {
  globals: Map<string, string>;
  sections: UpsSection[];
}

export function parseUpsConf(text: string, file = "ups.conf"): UpsConf {
  const conf: UpsConf = { globals: new Map(), sections: [] };
  let current: UpsSection | undefined;
  for (const { words, line } of readConfigLines(text, file, { asciiOnly: true })) {
    const name = sectionName(words);
    if (name !== undefined) {
      if (conf.sections.some((s) => s.name.toLowerCase() === name.toLowerCase())) {
        throw new ConfigError(file, line, `UPS name [${name}] is defined twice`);
      }
      current = { name, line, settings: new Map() };
      conf.sections.push(current);
      continue;
    }
    const pair = assignment(words);
    const [key, value] = pair ?? (words.length === 1 ? [words[0]!, ""] : [undefined, undefined]);
    if (key === undefined || value === undefined) {
      throw new ConfigError(file, line, `expected "name = value", got: ${words.join(" ")}`);
    }
    if (current) current.settings.set(key.toLowerCase(), { value, line });
    else conf.globals.set(key.toLowerCase(), value);
  }
  return conf;
}
