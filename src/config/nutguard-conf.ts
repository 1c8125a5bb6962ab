/**
 * nutguard.conf: nutguard's own settings, the ones NUT's files have no place for (the HTTP surface,
 * event history, the exporter, notification channels, battery thresholds, built-in upssched).
 * Layout and keys: docs/nutguard-conf.md.
 *
 * This file is the generic front end only: NUT syntax read by the project's one tokenizer (via
 * config/reader.ts), `[section]` headers, `key = value` lines, file:line errors, and the
 * classification of sections into kinds. The meaning of each kind's keys belongs to the feature that
 * owns it (each has its own `...FromSection(section)` reader that calls `section.one()` / `all()`
 * and `rejectUnknown()`), so this file never grows with every feature. Pure: text in, object out.
 */
import { dirname, join } from "node:path";
import { assignment, ConfigError, readConfigLines, sectionName } from "./reader.js";

/** The path of nutguard.conf next to the upsmon.conf in use. */
export function nutguardConfPathFor(upsmonConfPath: string): string {
  return join(dirname(upsmonConfPath), "nutguard.conf");
}

export interface NgEntry {
  key: string;
  /** The words after `=`. */
  words: string[];
  /** The words joined by one space. */
  value: string;
  line: number;
}

/** Section kinds; any other section name is a notification channel (it must have `type = ...`). */
export type NgSectionKind = "http" | "history" | "exporter" | "thresholds" | "upssched" | "channel";

const FIXED_KINDS: Record<string, NgSectionKind> = {
  http: "http",
  history: "history",
  exporter: "exporter",
  thresholds: "thresholds",
  upssched: "upssched",
};

export class NgSection {
  readonly entries: NgEntry[] = [];
  constructor(
    readonly file: string,
    /** As written between the brackets: `ops`, `thresholds`, `thresholds:ups@host`. */
    readonly name: string,
    readonly kind: NgSectionKind,
    /** For `[thresholds:<ups>]`: the UPS (as in MONITOR); undefined for every UPS. */
    readonly qualifier: string | undefined,
    readonly line: number,
  ) {}

  /** The one value of `key`, undefined when absent; a second occurrence is an error at its line. */
  one(key: string): NgEntry | undefined {
    const found = this.entries.filter((e) => e.key === key);
    if (found.length > 1) {
      throw new ConfigError(this.file, found[1]!.line, `"${key}" given twice in [${this.name}]`);
    }
    return found[0];
  }

  /** Every value of a repeatable key, in file order. */
  all(key: string): NgEntry[] {
    return this.entries.filter((e) => e.key === key);
  }

  /** A ConfigError at this entry's line (or at the section header). */
  error(at: NgEntry | undefined, reason: string): ConfigError {
    return new ConfigError(this.file, at?.line ?? this.line, reason);
  }

  /** Refuse keys the owning feature does not know, naming the first one and its line. */
  rejectUnknown(known: readonly string[]): void {
    for (const e of this.entries) {
      if (!known.includes(e.key)) {
        throw this.error(e, `unknown setting "${e.key}" in [${this.name}] (known: ${known.join(", ")})`);
      }
    }
  }
}

export interface NutguardConfFile {
  file: string;
  sections: NgSection[];
}

/**
 * Read nutguard.conf's text. Throws ConfigError (file:line) for lines outside a section, lines that
 * are not `key = value`, an empty or repeated section name, a channel section without `type`.
 */
export function parseNutguardConf(text: string, file = "nutguard.conf"): NutguardConfFile {
  const sections: NgSection[] = [];
  const seen = new Map<string, number>();
  let current: NgSection | undefined;
  for (const { words, line } of readConfigLines(text, file)) {
    const name = sectionName(words);
    if (name !== undefined) {
      const trimmed = name.trim();
      if (trimmed === "") throw new ConfigError(file, line, "empty section name []");
      const prev = seen.get(trimmed);
      if (prev !== undefined) {
        throw new ConfigError(file, line, `section [${trimmed}] given twice (first at line ${prev})`);
      }
      seen.set(trimmed, line);
      const colon = trimmed.indexOf(":");
      const head = colon < 0 ? trimmed : trimmed.slice(0, colon);
      const qualifier = colon < 0 ? undefined : trimmed.slice(colon + 1);
      const kind: NgSectionKind = FIXED_KINDS[head] ?? "channel";
      if (qualifier !== undefined && kind !== "thresholds" && kind !== "channel") {
        throw new ConfigError(file, line, `[${head}] takes no ":" qualifier`);
      }
      if (kind === "thresholds" && qualifier === "") {
        throw new ConfigError(file, line, "[thresholds:] needs a UPS after the colon");
      }
      current = new NgSection(file, trimmed, kind, kind === "thresholds" ? qualifier : undefined, line);
      sections.push(current);
      continue;
    }
    if (current === undefined) {
      throw new ConfigError(file, line, `"${words[0]}" outside of a [section]`);
    }
    const pair = assignment(words);
    if (pair === undefined) {
      throw new ConfigError(file, line, `expected "key = value", got "${words.join(" ")}"`);
    }
    const key = pair[0].toLowerCase();
    current.entries.push({ key, words: words.slice(2), value: pair[1], line });
  }
  for (const s of sections) {
    if (s.kind === "channel" && s.one("type") === undefined) {
      throw new ConfigError(
        file,
        s.line,
        `[${s.name}] is not a known section (http, history, exporter, thresholds, upssched) and has no "type =" to make it a notification channel`,
      );
    }
  }
  return { file, sections };
}

/** The sections of one kind, in file order. */
export function sectionsOf(conf: NutguardConfFile, kind: NgSectionKind): NgSection[] {
  return conf.sections.filter((s) => s.kind === kind);
}
