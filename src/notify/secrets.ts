/**
 * Secrets of notification channels: `<key>_file = PATH` read here (the file's first line, trimmed;
 * for apprise's `urls_file` every non-empty, non-comment line), so a channel becomes a `ReadyChannel`
 * with plain strings. The only file reading of src/notify/.
 */
import { ConfigError } from "../config/reader.js";
import { readConfigFile } from "../util/config-file-read.js";
import { type ChannelConfig, isHttpUrl, type SecretRef } from "./channel-config.js";

type Distribute<T> = T extends unknown ? T : never;
type Ready<T> = {
  [K in keyof T]: T[K] extends SecretRef
    ? string
    : T[K] extends SecretRef | undefined
      ? string | undefined
      : T[K] extends readonly SecretRef[]
        ? readonly string[]
        : T[K];
};
export type ReadyChannel =
  Distribute<ChannelConfig> extends infer C ? (C extends unknown ? Ready<C> : never) : never;

export type SecretReader = (path: string) => string;

const readText: SecretReader = (path) => readConfigFile(path);

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function read(ch: ChannelConfig, ref: SecretRef, read: SecretReader, all: true): string[];
function read(ch: ChannelConfig, ref: SecretRef, read: SecretReader, all: false): string;
function read(ch: ChannelConfig, ref: SecretRef, reader: SecretReader, all: boolean): string | string[] {
  if ("value" in ref) return all ? [ref.value] : ref.value;
  let text: string;
  try {
    text = reader(ref.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new ConfigError(ch.file, ref.line, `cannot read ${ref.file}: ${why}`);
  }
  const found = lines(text);
  if (found.length === 0) throw new ConfigError(ch.file, ref.line, `${ref.file} is empty`);
  return all ? found : found[0]!;
}

/** The channel with every secret read. Throws ConfigError (file:line of the `*_file` key). */
export function resolveChannel(ch: ChannelConfig, reader: SecretReader = readText): ReadyChannel {
  const one = (ref: SecretRef) => read(ch, ref, reader, false);
  const maybe = (ref: SecretRef | undefined) => (ref === undefined ? undefined : one(ref));
  const url = (ref: SecretRef) => {
    const text = one(ref);
    if (!isHttpUrl(text)) {
      throw new ConfigError(
        ch.file,
        "line" in ref ? ref.line : ch.line,
        `the url in ${"file" in ref ? ref.file : "[" + ch.name + "]"} is not an http:// or https:// URL`,
      );
    }
    return text;
  };
  switch (ch.type) {
    case "webhook":
      return { ...ch, url: url(ch.url), token: maybe(ch.token) };
    case "slack":
    case "discord":
      return { ...ch, url: url(ch.url) };
    case "ntfy":
      return { ...ch, topic: one(ch.topic), token: maybe(ch.token) };
    case "email":
      return { ...ch, smtpPassword: maybe(ch.smtpPassword) };
    case "apprise":
      return { ...ch, urls: ch.urls.flatMap((u) => read(ch, u, reader, true)) };
  }
}

/** Whether the channel has a secret written in nutguard.conf itself (for doctor's permission check). */
export function hasInlineSecret(ch: ChannelConfig): boolean {
  const inline = (ref: SecretRef | undefined) => ref !== undefined && "value" in ref;
  switch (ch.type) {
    case "webhook":
      return inline(ch.token);
    case "slack":
    case "discord":
      return inline(ch.url);
    case "ntfy":
      return inline(ch.token);
    case "email":
      return inline(ch.smtpPassword);
    case "apprise":
      return ch.urls.some(inline);
  }
}
