/**
 * Notification channels from nutguard.conf: every section with `type = ...` (docs/nutguard-conf.md)
 * becomes one typed `ChannelConfig`. Pure: sections in, objects out; unknown keys, bad values and
 * missing required keys are ConfigErrors naming file:line. Secrets stay references (`SecretRef`):
 * reading a `*_file` is the I/O shell's job (notify/secrets.ts).
 */
import type { NgEntry, NgSection, NutguardConfFile } from "../config/nutguard-conf.js";
import { sectionsOf } from "../config/nutguard-conf.js";
import { findNotifyType, type NotifyType } from "../config/upsmon-notify-types.js";
import { parseTemplate, type Template } from "./template.js";

export const CHANNEL_TYPES = ["webhook", "ntfy", "email", "slack", "discord", "apprise"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** The events a person must hear about: the default of `events =`. */
export const DEFAULT_CHANNEL_EVENTS: readonly NotifyType[] = [
  "ONBATT",
  "ONLINE",
  "LOWBATT",
  "FSD",
  "SHUTDOWN",
  "COMMBAD",
  "COMMOK",
  "NOCOMM",
  "REPLBATT",
  "NOPARENT",
];

/** A secret given inline or as `<key>_file = PATH` (read by util/secret-file.ts: the content minus one final newline). */
export type SecretRef = { value: string } | { file: string; line: number };

export const DEFAULT_TIMEOUT_SEC = 10;

interface ChannelCommon {
  name: string;
  file: string;
  line: number;
  /** Notify types sent by this channel. */
  events: ReadonlySet<NotifyType>;
  /** Only these UPSes (as in MONITOR, or the name before `@`); undefined = every UPS. Host-wide events always pass. */
  ups: readonly string[] | undefined;
  /** The message text; undefined = the default (NUT's message plus what is known of the UPS). */
  template: Template | undefined;
  /** Title (ntfy Title, e-mail Subject, apprise -t); undefined = the default. */
  title: Template | undefined;
  /** ONBATT held this long; an ONLINE within it drops both (apcupsd's ONBATTERYDELAY). */
  delaySec: number;
  /** One delivery attempt may take this long. */
  timeoutSec: number;
}

export type ChannelConfig = ChannelCommon &
  (
    | { type: "webhook"; url: SecretRef; token: SecretRef | undefined }
    | { type: "slack" | "discord"; url: SecretRef }
    | {
        type: "ntfy";
        server: string;
        topic: SecretRef;
        token: SecretRef | undefined;
        priority: NtfyPriority | undefined;
      }
    | {
        type: "email";
        smtpHost: string;
        smtpPort: number;
        smtpSecurity: SmtpSecurity;
        smtpUser: string | undefined;
        smtpPassword: SecretRef | undefined;
        smtpCaFile: string | undefined;
        from: string;
        to: readonly string[];
      }
    | { type: "apprise"; urls: readonly SecretRef[]; command: string }
  );

export type SmtpSecurity = "starttls" | "tls" | "none";
export type NtfyPriority = 1 | 2 | 3 | 4 | 5;

const COMMON_KEYS = ["type", "events", "ups", "template", "title", "delay", "timeout"];
const TYPE_KEYS: Record<ChannelType, string[]> = {
  webhook: ["url", "url_file", "token", "token_file"],
  slack: ["url", "url_file"],
  discord: ["url", "url_file"],
  ntfy: ["server", "topic", "topic_file", "token", "token_file", "priority"],
  email: [
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_user",
    "smtp_password",
    "smtp_password_file",
    "smtp_ca_file",
    "from",
    "to",
  ],
  apprise: ["urls", "urls_file", "command"],
};

const NTFY_PRIORITY_NAMES: Record<string, NtfyPriority> = {
  min: 1,
  low: 2,
  default: 3,
  high: 4,
  urgent: 5,
  max: 5,
};

/** Every notification channel of the file, in file order. */
export function channelsFromConf(conf: NutguardConfFile): ChannelConfig[] {
  return sectionsOf(conf, "channel").map(channelFromSection);
}

export function channelFromSection(s: NgSection): ChannelConfig {
  const typeEntry = s.one("type");
  const type = typeEntry?.value.toLowerCase();
  if (!CHANNEL_TYPES.includes(type as ChannelType)) {
    throw s.error(
      typeEntry,
      `unknown channel type "${typeEntry?.value ?? ""}" (known: ${CHANNEL_TYPES.join(", ")})`,
    );
  }
  const t = type as ChannelType;
  s.rejectUnknown([...COMMON_KEYS, ...TYPE_KEYS[t]]);
  const common: ChannelCommon = {
    name: s.name,
    file: s.file,
    line: s.line,
    events: eventsOf(s),
    ups: upsFilterOf(s),
    template: templateOf(s, "template"),
    title: templateOf(s, "title"),
    delaySec: secondsOf(s, "delay", 0, 0),
    timeoutSec: secondsOf(s, "timeout", DEFAULT_TIMEOUT_SEC, 1),
  };
  switch (t) {
    case "webhook":
      return { ...common, type: t, url: httpUrlSecret(s, "url"), token: secretOf(s, "token") };
    case "slack":
    case "discord":
      return { ...common, type: t, url: httpUrlSecret(s, "url") };
    case "ntfy":
      return {
        ...common,
        type: t,
        server: httpUrl(s, s.one("server"), "https://ntfy.sh").replace(/\/+$/, ""),
        topic: requiredSecret(s, "topic"),
        token: secretOf(s, "token"),
        priority: priorityOf(s),
      };
    case "email":
      return emailChannel(s, common);
    case "apprise":
      return appriseChannel(s, common);
  }
}

function emailChannel(s: NgSection, common: ChannelCommon): ChannelConfig {
  const host = s.one("smtp_host");
  if (host === undefined) throw s.error(undefined, `[${s.name}] (email) needs "smtp_host ="`);
  const secEntry = s.one("smtp_security");
  const security = (secEntry?.value.toLowerCase() ?? "starttls") as SmtpSecurity;
  if (!["starttls", "tls", "none"].includes(security)) {
    throw s.error(secEntry, `smtp_security must be starttls, tls or none, not "${secEntry?.value}"`);
  }
  const portEntry = s.one("smtp_port");
  const port = portEntry === undefined ? (security === "tls" ? 465 : 587) : integerOf(s, portEntry, 1, 65535);
  const from = s.one("from");
  if (from === undefined) throw s.error(undefined, `[${s.name}] (email) needs "from ="`);
  const to = s.all("to").flatMap((e) => e.words);
  if (to.length === 0) throw s.error(undefined, `[${s.name}] (email) needs "to =" (one or more addresses)`);
  for (const address of [from.value, ...to]) {
    if (!/^[^\s@]+@[^\s@]+$/.test(address.replace(/^.*<(.*)>$/, "$1"))) {
      throw s.error(address === from.value ? from : s.all("to")[0], `"${address}" is not an e-mail address`);
    }
  }
  const user = s.one("smtp_user")?.value;
  const password = secretOf(s, "smtp_password");
  if ((user === undefined) !== (password === undefined)) {
    throw s.error(
      s.one("smtp_user") ?? s.one("smtp_password") ?? s.one("smtp_password_file"),
      "smtp_user and smtp_password go together",
    );
  }
  return {
    ...common,
    type: "email",
    smtpHost: host.value,
    smtpPort: port,
    smtpSecurity: security,
    smtpUser: user,
    smtpPassword: password,
    smtpCaFile: s.one("smtp_ca_file")?.value,
    from: from.value,
    to,
  };
}

function appriseChannel(s: NgSection, common: ChannelCommon): ChannelConfig {
  const urls: SecretRef[] = s.all("urls").flatMap((e) => e.words.map((value) => ({ value })));
  for (const e of s.all("urls_file")) urls.push({ file: e.value, line: e.line });
  if (urls.length === 0) throw s.error(undefined, `[${s.name}] (apprise) needs "urls =" or "urls_file ="`);
  return { ...common, type: "apprise", urls, command: s.one("command")?.value ?? "apprise" };
}

function eventsOf(s: NgSection): ReadonlySet<NotifyType> {
  const entries = s.all("events");
  if (entries.length === 0) return new Set(DEFAULT_CHANNEL_EVENTS);
  const out = new Set<NotifyType>();
  for (const e of entries) {
    for (const word of e.words) {
      const type = findNotifyType(word);
      if (type === undefined) throw s.error(e, `unknown notify type "${word}" in events`);
      out.add(type);
    }
  }
  return out;
}

function upsFilterOf(s: NgSection): readonly string[] | undefined {
  const entries = s.all("ups");
  if (entries.length === 0) return undefined;
  return entries.flatMap((e) => e.words);
}

function templateOf(s: NgSection, key: string): Template | undefined {
  const e = s.one(key);
  if (e === undefined) return undefined;
  try {
    return parseTemplate(e.value);
  } catch (err) {
    throw s.error(e, `${key}: ${(err as Error).message}`);
  }
}

function integerOf(s: NgSection, e: NgEntry, min: number, max: number): number {
  if (!/^\d+$/.test(e.value) || Number(e.value) < min || Number(e.value) > max) {
    throw s.error(e, `${e.key} must be a whole number from ${min} to ${max}, not "${e.value}"`);
  }
  return Number(e.value);
}

function secondsOf(s: NgSection, key: string, fallback: number, min: number): number {
  const e = s.one(key);
  return e === undefined ? fallback : integerOf(s, e, min, 86_400);
}

function priorityOf(s: NgSection): NtfyPriority | undefined {
  const e = s.one("priority");
  if (e === undefined) return undefined;
  const named = NTFY_PRIORITY_NAMES[e.value.toLowerCase()];
  if (named !== undefined) return named;
  return integerOf(s, e, 1, 5) as NtfyPriority;
}

/** `key` inline or `key_file`; both is an error. */
export function secretOf(s: NgSection, key: string): SecretRef | undefined {
  const inline = s.one(key);
  const file = s.one(`${key}_file`);
  if (inline !== undefined && file !== undefined) {
    throw s.error(file, `give ${key} or ${key}_file, not both`);
  }
  if (inline !== undefined) return { value: inline.value };
  if (file !== undefined) return { file: file.value, line: file.line };
  return undefined;
}

function requiredSecret(s: NgSection, key: string): SecretRef {
  const ref = secretOf(s, key);
  if (ref === undefined) throw s.error(undefined, `[${s.name}] needs "${key} =" or "${key}_file ="`);
  return ref;
}

function httpUrl(s: NgSection, e: NgEntry | undefined, fallback?: string): string {
  const text = e?.value ?? fallback;
  if (text === undefined) throw s.error(undefined, `[${s.name}] needs "url ="`);
  if (!isHttpUrl(text)) throw s.error(e, `"${text}" is not an http:// or https:// URL`);
  return text;
}

function httpUrlSecret(s: NgSection, key: string): SecretRef {
  const ref = requiredSecret(s, key);
  if ("value" in ref) httpUrl(s, s.one(key));
  return ref;
}

export function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
