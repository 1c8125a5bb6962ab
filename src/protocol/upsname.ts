/**
 * Parsing `upsname[@hostname[:port]]` and `hostname[:port]` exactly like libupsclient's
 * `upscli_splitname()` / `upscli_splitaddr()` (NUT HEAD), including the diagnostic line they print
 * on stderr before the tool's own `Error: invalid UPS definition.` message.
 *
 * Pure: no I/O, no name resolution. Callers print `diagnostic` and their own error.
 */

import { NUT_DEFAULT_PORT } from "./defaults.js";

export interface UpsAddress {
  host: string;
  port: number;
}

export interface UpsTarget extends UpsAddress {
  upsname: string;
}

export type SplitResult<T> = { ok: true; value: T } | { ok: false; diagnostic: string };

/** NUT keeps these in a 512-byte buffer (SMALLBUF); longer input is cut like snprintf would. */
const SMALLBUF = 512;

export function splitAddr(text: string): SplitResult<UpsAddress> {
  const tmp = text.slice(0, SMALLBUF - 1);
  if (tmp === "") return { ok: false, diagnostic: "upscli_splitaddr: can't parse empty string" };
  let host: string;
  let portText: string | undefined;
  if (tmp.startsWith("[")) {
    const close = tmp.indexOf("]");
    if (close < 0) {
      return { ok: false, diagnostic: "upscli_splitaddr: missing closing bracket in [domain literal]" };
    }
    host = tmp.slice(1, close);
    const rest = tmp.slice(close + 1);
    if (!rest.startsWith(":")) return { ok: true, value: { host, port: NUT_DEFAULT_PORT } };
    portText = rest.slice(1);
  } else {
    const colon = tmp.indexOf(":");
    // strtok_r(tmp, ":") skips leading separators and stops at the next one
    host = tmp.replace(/^:+/, "").split(":")[0] ?? "";
    if (colon < 0) return { ok: true, value: { host, port: NUT_DEFAULT_PORT } };
    portText = tmp.slice(colon + 1);
  }
  const port = strtolPrefix(portText);
  if (portText === "" || port < 1 || port > 65535) {
    return { ok: false, diagnostic: "upscli_splitaddr: no port number specified after ':' separator" };
  }
  return { ok: true, value: { host, port } };
}

export function splitName(text: string | undefined): SplitResult<UpsTarget> {
  if (text === undefined || text === "") {
    return { ok: false, diagnostic: "upscli_splitname: can't parse empty string" };
  }
  const tmp = text.slice(0, SMALLBUF - 1);
  const at = tmp.indexOf("@");
  if (at === 0) return { ok: false, diagnostic: "upscli_splitname: got empty upsname string" };
  if (at < 0) {
    if (tmp.includes(":")) {
      return { ok: false, diagnostic: "upscli_splitname: port specified, but not a hostname" };
    }
    return { ok: true, value: { upsname: tmp, host: "localhost", port: NUT_DEFAULT_PORT } };
  }
  const upsname = tmp.slice(0, at);
  const rest = tmp.slice(at + 1);
  if (rest === "") {
    return {
      ok: false,
      diagnostic: "upscli_splitname: got the @ separator and then an empty hostname[:port] string",
    };
  }
  const addr = splitAddr(rest);
  return addr.ok ? { ok: true, value: { upsname, ...addr.value } } : addr;
}

/** C `strtol(s, NULL, 10)`: leading blanks, optional sign, then digits; 0 when there are none. */
export function strtolPrefix(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}
