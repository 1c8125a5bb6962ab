/**
 * nutguard.conf's `[http]` section: where the HTTP surface listens and how it authenticates.
 * Keys: `listen = ADDR:PORT` (repeatable), `token` / `token_file`, `user`, `password` / `password_file`,
 * `tls_cert`, `tls_key`. Pure: section in, settings out (secret files are read by http/secrets.ts).
 *
 * The rule that protects a host: listening on anything but loopback needs authentication configured;
 * `checkExposure()` refuses otherwise, naming the setting.
 */
import { isIP } from "node:net";
import type { NgEntry, NgSection } from "../config/nutguard-conf.js";
import { ConfigError } from "../config/reader.js";

/** A secret given inline or as a file to read (util/secret-file.ts: the content minus one final newline). */
export type Secret = { value: string } | { file: string; line: number };

export interface ListenAddress {
  host: string;
  port: number;
  /** As written, for messages. */
  text: string;
  /** `file:line` of its `listen` setting (undefined for --http), for messages. */
  where?: string;
}

export interface HttpSettings {
  listen: ListenAddress[];
  token: Secret | undefined;
  user: string | undefined;
  password: Secret | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Where `listen` came from, for messages ("/etc/nut/nutguard.conf [http]" or "--http"). */
  origin: string;
  /** The nutguard.conf whose [http] section holds authentication. */
  confFile: string;
}

export const DEFAULT_HTTP_PORT = 9399;

export function emptyHttpSettings(confFile: string): HttpSettings {
  return {
    origin: `${confFile} [http]`,
    confFile,
    listen: [],
    token: undefined,
    user: undefined,
    password: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
  };
}

/** `ADDR:PORT`, `[v6]:PORT`, `:PORT` (loopback) or `PORT`; undefined with the reason when invalid. */
export function parseListen(text: string): ListenAddress | { error: string } {
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2] ?? "";
  } else if (/^\d+$/.test(text)) {
    host = "127.0.0.1";
    portText = text;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return { error: `"${text}" has no port (ADDR:PORT)` };
    host = text.slice(0, colon);
    if (host.includes(":")) return { error: `"${text}": write an IPv6 address in brackets, [ADDR]:PORT` };
    portText = text.slice(colon + 1);
  }
  if (host === "") host = "127.0.0.1";
  const port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) return { error: `"${text}": port must be a number from 0 to 65535` };
  return { host, port, text };
}

/** Whether an address only this host can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h.startsWith("::ffff:")) return isLoopback(h.slice(7));
  return false;
}

const KEYS = ["listen", "token", "token_file", "user", "password", "password_file", "tls_cert", "tls_key"];

function secret(section: NgSection, key: string): Secret | undefined {
  const inline = section.one(key);
  const file = section.one(`${key}_file`);
  if (inline && file) throw section.error(file, `give either "${key}" or "${key}_file", not both`);
  if (inline) {
    if (inline.value === "") throw section.error(inline, `"${key}" is empty`);
    return { value: inline.value };
  }
  if (file) return { file: file.value, line: file.line };
  return undefined;
}

function single(section: NgSection, key: string): NgEntry | undefined {
  const e = section.one(key);
  if (e && e.words.length !== 1) throw section.error(e, `"${key}" takes one value`);
  return e;
}

export function httpFromSection(section: NgSection): HttpSettings {
  section.rejectUnknown(KEYS);
  const s = emptyHttpSettings(section.file);
  for (const e of section.all("listen")) {
    if (e.words.length !== 1) throw section.error(e, `"listen" takes one ADDR:PORT per line`);
    const l = parseListen(e.value);
    if ("error" in l) throw section.error(e, `listen: ${l.error}`);
    s.listen.push({ ...l, where: `${section.file}:${e.line}` });
  }
  s.token = secret(section, "token");
  s.user = single(section, "user")?.value;
  s.password = secret(section, "password");
  if ((s.user === undefined) !== (s.password === undefined)) {
    throw section.error(
      section.one("user") ?? section.one("password") ?? section.one("password_file"),
      `"user" and "password" (or "password_file") go together`,
    );
  }
  const cert = single(section, "tls_cert");
  const key = single(section, "tls_key");
  if ((cert === undefined) !== (key === undefined)) {
    throw section.error(cert ?? key, `"tls_cert" and "tls_key" go together`);
  }
  s.tlsCert = cert?.value;
  s.tlsKey = key?.value;
  return s;
}

export function hasAuth(s: HttpSettings): boolean {
  return s.token !== undefined || s.user !== undefined;
}

/**
 * The refusal to listen beyond loopback without authentication, as a ConfigError-like message that
 * names the setting to add; undefined when the settings are safe.
 */
export function checkExposure(s: HttpSettings): string | undefined {
  if (hasAuth(s)) return undefined;
  const open = s.listen.find((l) => !isLoopback(l.host));
  if (!open) return undefined;
  return (
    `refusing to listen on ${open.text} (${s.origin}): it is not a loopback address and no authentication is configured; ` +
    `set "token" (or "token_file"), or "user" and "password" (or "password_file"), in [http] of ${s.confFile}`
  );
}

export { ConfigError };
