/**
 * Secrets of notification channels: `<key>_file = PATH` read here with the one rule of
 * util/secret-file.ts (the file's content minus one trailing newline; apprise's `urls_file` one URL a
 * line), so a channel becomes a `ReadyChannel` with plain strings. The only file reading of src/notify/.
 */
import { ConfigError } from "../config/reader.js";
import { readSecretFile, readSecretListFile, type SecretFileReader } from "../util/secret-file.js";
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

export type SecretReader = SecretFileReader;

/** The `*_file` key of each secret, for messages ("token_file …"). */
type SecretKey = "url" | "token" | "topic" | "smtp_password";

function one(ch: ChannelConfig, key: SecretKey, ref: SecretRef, reader?: SecretReader): string {
  if ("value" in ref) return ref.value;
  return readSecretFile({ confFile: ch.file, line: ref.line, key, file: ref.file }, reader);
}

/** The channel with every secret read. Throws ConfigError (file:line of the `*_file` key). */
export function resolveChannel(ch: ChannelConfig, reader?: SecretReader): ReadyChannel {
  const maybe = (key: SecretKey, ref: SecretRef | undefined) =>
    ref === undefined ? undefined : one(ch, key, ref, reader);
  const url = (ref: SecretRef) => {
    const text = one(ch, "url", ref, reader);
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
      return { ...ch, url: url(ch.url), token: maybe("token", ch.token) };
    case "slack":
    case "discord":
      return { ...ch, url: url(ch.url) };
    case "ntfy":
      return { ...ch, topic: one(ch, "topic", ch.topic, reader), token: maybe("token", ch.token) };
    case "email":
      return { ...ch, smtpPassword: maybe("smtp_password", ch.smtpPassword) };
    case "apprise":
      return {
        ...ch,
        urls: ch.urls.flatMap((u) =>
          "value" in u
            ? [u.value]
            : readSecretListFile({ confFile: ch.file, line: u.line, key: "urls", file: u.file }, reader),
        ),
      };
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
