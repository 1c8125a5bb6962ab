/**
 * The server side of NUT protocol 1.3 for one connection: (model, session, words, nowMs) →
 * replies, with upsd's exact reply lines and error order (protocol.md §4–§8, transcripts §13).
 * Commands are a table; each handler checks its arguments in upsd's order.
 *
 * Pure: no sockets, files, timers or clocks. It mutates only the session and the shared model it is
 * given; closing the socket or starting TLS is the listener's job, requested through the result.
 */

import { type UserRight, userMay } from "../config/upsd-users.js";
import { escapeValue } from "../protocol/encoder.js";
import {
  NUT_VERSION,
  type ServerModel,
  type SessionState,
  type TrackingResult,
  type UpsEntry,
  VER_REPLY,
} from "./model.js";
import type { SimVar } from "./simulation.js";

export interface SessionOutput {
  /** Reply lines without their LF, in order. */
  replies: string[];
  /** Close the connection after sending the replies (LOGOUT). */
  close: boolean;
  /** Start the TLS handshake after sending the replies (STARTTLS accepted). */
  startTls: boolean;
  /** Lines for the server log (upsd's notices: logins, FSD, SET, INSTCMD). */
  notices: string[];
}

/** upsd builds each reply in a 513-byte buffer: longer lines are cut. */
const MAX_REPLY_LENGTH = 512;

const HELP_REPLY = "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS";
const NO_DESC = "Description unavailable";

interface Ctx {
  model: ServerModel;
  s: SessionState;
  nowMs: number;
  out: SessionOutput;
}

/** What a handler answers: one line, or the lines of a list. */
type Reply = string | string[];

type Handler = (ctx: Ctx, args: string[]) => Reply;

interface CommandSpec {
  handler: Handler;
  /** FLAG_USER: USERNAME and PASSWORD must have been sent. */
  needsAuth: boolean;
  /** The handler wants exactly this many arguments (else ERR INVALID-ARGUMENT). */
  exactArgs?: number;
}

const err = (code: string) => `ERR ${code}`;
const q = (value: string) => `"${escapeValue(value)}"`;
const isErr = (x: unknown): x is string => typeof x === "string";

const COMMANDS: Record<string, CommandSpec> = {
  VER: { needsAuth: false, exactArgs: 0, handler: () => VER_REPLY },
  NETVER: { needsAuth: false, exactArgs: 0, handler: () => "1.3" },
  PROTVER: { needsAuth: false, exactArgs: 0, handler: () => "1.3" },
  HELP: { needsAuth: false, exactArgs: 0, handler: () => HELP_REPLY },
  // upsd's net_starttls() ignores any arguments
  STARTTLS: { needsAuth: false, handler: startTls },
  LOGOUT: {
    needsAuth: false,
    exactArgs: 0,
    handler: (c) => {
      c.out.close = true;
      return "OK Goodbye";
    },
  },
  USERNAME: { needsAuth: false, exactArgs: 1, handler: (c, a) => setCredential(c, "username", a[0]!) },
  PASSWORD: { needsAuth: false, exactArgs: 1, handler: (c, a) => setCredential(c, "password", a[0]!) },
  GET: { needsAuth: false, handler: get },
  LIST: { needsAuth: false, handler: list },
  SET: { needsAuth: true, handler: set },
  INSTCMD: { needsAuth: true, handler: instcmd },
  LOGIN: { needsAuth: true, exactArgs: 1, handler: login },
  PRIMARY: { needsAuth: true, exactArgs: 1, handler: (c, a) => primary(c, a[0]!, "PRIMARY") },
  MASTER: { needsAuth: true, exactArgs: 1, handler: (c, a) => primary(c, a[0]!, "MASTER") },
  FSD: { needsAuth: true, exactArgs: 1, handler: fsd },
};

/** Handle one request line (already split into words). An empty line gets ERR UNKNOWN-COMMAND. */
export function handleRequest(
  model: ServerModel,
  s: SessionState,
  words: string[],
  nowMs: number,
): SessionOutput {
  const ctx: Ctx = { model, s, nowMs, out: { replies: [], close: false, startTls: false, notices: [] } };
  const spec = words.length > 0 ? COMMANDS[words[0]!.toUpperCase()] : undefined;
  let result: Reply;
  if (!spec) result = err("UNKNOWN-COMMAND");
  // The NUT protocol carries ASCII only: upsd drops every byte above 0x7F and would act on what is
  // left (`ups.st\xe4atus` reads ups.status, a value loses letters); refuse the request instead.
  else if (words.some(hasNonAscii)) result = err("INVALID-ARGUMENT");
  else if (spec.needsAuth && s.username === undefined) result = err("USERNAME-REQUIRED");
  else if (spec.needsAuth && s.password === undefined) result = err("PASSWORD-REQUIRED");
  else if (spec.exactArgs !== undefined && words.length - 1 !== spec.exactArgs)
    result = err("INVALID-ARGUMENT");
  else result = spec.handler(ctx, words.slice(1));
  for (const line of typeof result === "string" ? [result] : result) {
    ctx.out.replies.push(line.length > MAX_REPLY_LENGTH ? line.slice(0, MAX_REPLY_LENGTH) : line);
  }
  return ctx.out;
}

function hasNonAscii(word: string): boolean {
  return /[^\x00-\x7f]/.test(word);
}

function may(c: Ctx, right: UserRight): boolean {
  return userMay(c.model.users, c.s.username ?? "", c.s.password ?? "", right);
}

/** Look up a UPS: the entry, or the ERR line (UNKNOWN-UPS; DRIVER-NOT-CONNECTED when `needsDriver`). */
function findUps(c: Ctx, name: string, needsDriver: boolean): UpsEntry | string {
  const ups = c.model.findUps(name);
  if (!ups) return err("UNKNOWN-UPS");
  if (needsDriver && !ups.sim.connected) return err("DRIVER-NOT-CONNECTED");
  return ups;
}

/** Look up a variable of a UPS with a running driver: the pair, or the ERR line. */
function findVar(c: Ctx, upsName: string, name: string): { ups: UpsEntry; v: SimVar } | string {
  const ups = findUps(c, upsName, true);
  if (isErr(ups)) return ups;
  const v = ups.sim.getVar(name);
  return v ? { ups, v } : err("VAR-NOT-SUPPORTED");
}

function statusValue(ups: UpsEntry, varName: string, value: string): string {
  return ups.fsd && varName.toLowerCase() === "ups.status" ? `FSD ${value}` : value;
}

function startTls(c: Ctx): Reply {
  if (c.s.tls) return err("ALREADY-SSL-MODE");
  if (!c.model.tlsConfigured) return err("FEATURE-NOT-CONFIGURED");
  c.out.startTls = true;
  return "OK STARTTLS";
}

function setCredential(c: Ctx, which: "username" | "password", value: string): Reply {
  if (c.s[which] !== undefined)
    return err(which === "username" ? "ALREADY-SET-USERNAME" : "ALREADY-SET-PASSWORD");
  c.s[which] = value;
  return "OK";
}

function get(c: Ctx, a: string[]): Reply {
  const sub = a[0]?.toUpperCase();
  if (sub === "TRACKING") {
    if (a.length === 1) return c.s.tracking ? "ON" : "OFF";
    if (!c.s.tracking) return err("FEATURE-NOT-CONFIGURED");
    return c.model.trackingResult(a[1]!, c.nowMs);
  }
  if (a.length < 2) return err("INVALID-ARGUMENT");
  const upsName = a[1]!;
  if (sub === "NUMLOGINS") {
    const ups = findUps(c, upsName, false);
    return isErr(ups) ? ups : `NUMLOGINS ${upsName} ${c.model.loggedIn(upsName).length}`;
  }
  if (sub === "UPSDESC") {
    const ups = findUps(c, upsName, false);
    return isErr(ups) ? ups : `UPSDESC ${upsName} ${q(ups.desc ?? "Unavailable")}`;
  }
  if (a.length < 3) return err("INVALID-ARGUMENT");
  const name = a[2]!;
  switch (sub) {
    case "VAR":
      return getVar(c, upsName, name);
    case "TYPE": {
      const found = findVar(c, upsName, name);
      if (isErr(found)) return found;
      const v = found.v;
      const flags = [...(v.rw ? ["RW"] : []), v.stringMax !== undefined ? `STRING:${v.stringMax}` : "NUMBER"];
      return `TYPE ${upsName} ${name} ${flags.join(" ")}`;
    }
    case "DESC":
    case "CMDDESC": {
      const ups = findUps(c, upsName, false);
      if (isErr(ups)) return ups;
      const table = sub === "DESC" ? c.model.descriptions.vars : c.model.descriptions.cmds;
      return `${sub} ${upsName} ${name} "${table.get(name.toLowerCase()) ?? NO_DESC}"`;
    }
    default:
      return err("INVALID-ARGUMENT");
  }
}

function getVar(c: Ctx, upsName: string, name: string): Reply {
  const lower = name.toLowerCase();
  if (lower.startsWith("server.")) {
    if (lower === "server.info") return `VAR ${upsName} ${name} ${q(VER_REPLY)}`;
    if (lower === "server.version") return `VAR ${upsName} ${name} ${q(NUT_VERSION)}`;
    return err("VAR-NOT-SUPPORTED");
  }
  const found = findVar(c, upsName, name);
  return isErr(found) ? found : `VAR ${upsName} ${name} ${q(statusValue(found.ups, name, found.v.value))}`;
}

function list(c: Ctx, a: string[]): Reply {
  const sub = a[0]?.toUpperCase();
  if (sub === undefined) return err("INVALID-ARGUMENT");
  if (sub === "UPS")
    return framed(
      ["UPS"],
      c.model.upsList.map((u) => `UPS ${u.name} ${q(u.desc ?? NO_DESC)}`),
    );
  if (a.length < 2) return err("INVALID-ARGUMENT");
  const upsName = a[1]!;
  const query = [sub, upsName];
  switch (sub) {
    case "VAR":
    case "RW": {
      const ups = findUps(c, upsName, true);
      if (isErr(ups)) return ups;
      const vars = ups.sim.listVars().filter((v) => sub === "VAR" || v.rw);
      return framed(
        query,
        vars.map((v) => `${sub} ${upsName} ${v.name} ${q(statusValue(ups, v.name, v.value))}`),
      );
    }
    case "CMD": {
      const ups = findUps(c, upsName, true);
      return isErr(ups)
        ? ups
        : framed(
            query,
            ups.sim.listCommands().map((cmd) => `CMD ${upsName} ${cmd}`),
          );
    }
    case "CLIENT": {
      const ups = findUps(c, upsName, false);
      if (isErr(ups)) return ups;
      return framed(
        query,
        c.model.loggedIn(upsName).map((s) => `CLIENT ${upsName} ${s.address}`),
      );
    }
    case "ENUM":
    case "RANGE": {
      if (a.length < 3) return err("INVALID-ARGUMENT");
      // dummy-ups defines no enumerations or ranges: an existing variable gives an empty list.
      const found = findVar(c, upsName, a[2]!);
      return isErr(found) ? found : framed([...query, a[2]!], []);
    }
    default:
      return err("INVALID-ARGUMENT");
  }
}

function framed(query: string[], items: string[]): string[] {
  const head = query.join(" ");
  return [`BEGIN LIST ${head}`, ...items, `END LIST ${head}`];
}

/** OK, or with TRACKING on, OK TRACKING <id> whose result is `result` (SUCCESS unless the driver said otherwise). */
function okOrTracked(c: Ctx, result: TrackingResult = "SUCCESS"): Reply {
  return c.s.tracking ? `OK TRACKING ${c.model.track(result, c.nowMs)}` : "OK";
}

function set(c: Ctx, a: string[]): Reply {
  const sub = a[0]?.toUpperCase();
  if (sub === "TRACKING") {
    const value = a[1]?.toUpperCase();
    if (value !== "ON" && value !== "OFF") return err("INVALID-ARGUMENT");
    c.s.tracking = value === "ON";
    return "OK";
  }
  if (sub !== "VAR" || a.length < 4) return err("INVALID-ARGUMENT");
  const [, upsName, varName, value] = a as [string, string, string, string];
  const ups = findUps(c, upsName, true);
  if (isErr(ups)) return ups;
  if (!may(c, "SET")) return err("ACCESS-DENIED");
  const result = ups.sim.setVar(varName, value);
  if (result !== "OK") return err(result);
  c.out.notices.push(`set ${varName} on ${ups.name} to ${value} (from ${c.s.username}@${c.s.address})`);
  return okOrTracked(c);
}

function instcmd(c: Ctx, a: string[]): Reply {
  if (a.length < 2) return err("INVALID-ARGUMENT");
  const [upsName, cmd] = a as [string, string];
  const ups = findUps(c, upsName, true);
  if (isErr(ups)) return ups;
  if (!ups.sim.hasCommand(cmd)) return err("CMD-NOT-SUPPORTED");
  if (!may(c, { instcmd: cmd })) return err("ACCESS-DENIED");
  const result = ups.sim.instcmd(cmd);
  const param = a.length === 3 ? ` with value "${a[2]}"` : "";
  c.out.notices.push(`Instant command: ${c.s.username}@${c.s.address} did ${cmd}${param} on ${ups.name}`);
  // dummy-ups answers every command it registered as unknown: upsd still says OK
  return okOrTracked(c, result === "OK" ? "SUCCESS" : "ERR UNKNOWN");
}

function login(c: Ctx, a: string[]): Reply {
  if (c.s.loginUps !== undefined) return err("ALREADY-LOGGED-IN");
  const ups = findUps(c, a[0]!, false);
  if (isErr(ups)) return ups;
  if (!may(c, "LOGIN")) return err("ACCESS-DENIED");
  c.s.loginUps = ups.name;
  c.out.notices.push(`User ${c.s.username}@${c.s.address} logged into UPS [${ups.name}]`);
  return "OK";
}

function primary(c: Ctx, upsName: string, word: "PRIMARY" | "MASTER"): Reply {
  const ups = findUps(c, upsName, false);
  if (isErr(ups)) return ups;
  return may(c, "PRIMARY") ? `OK ${word}-GRANTED` : err("ACCESS-DENIED");
}

function fsd(c: Ctx, a: string[]): Reply {
  const ups = findUps(c, a[0]!, false);
  if (isErr(ups)) return ups;
  if (!may(c, "FSD")) return err("ACCESS-DENIED");
  ups.fsd = true;
  c.out.notices.push(`Client ${c.s.username}@${c.s.address} set FSD on UPS [${ups.name}]`);
  return "OK FSD-SET";
}
