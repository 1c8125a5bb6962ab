/**
 * upslog's format language (NUT `clients/upslog.c` `compile_format()`), compiled once and rendered
 * per poll. Pure: rendering takes the time, host names, PID and the variables already fetched.
 *
 * - `%%` → `%`; `%t` → TAB (NUT 2.8.5+);
 * - `%<cmd>[ <arg>]%`: `<cmd>` matched case-insensitively by prefix against HOST, UPSHOST, PID,
 *   TIME, VAR, ETIME, in that order; unknown → `INVALID`;
 * - a `%` with no closing `%` → `INVALID`, and the text after it stays literal;
 * - `%TIME <fmt>%` is strftime on local time with `@` standing for `%`;
 * - `%VAR <name>%` is the value, `NA` when it could not be read, `INVALID` for a name without a dot.
 */
import { strftime } from "./strftime.js";

export const DEFAULT_LOG_FORMAT =
  "%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% " +
  "[%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%";

/** What `-N` puts in front of the format. */
export const UPSHOST_PREFIX = "%UPSHOST%%t";

export type LogFormatItem =
  | { kind: "literal"; text: string }
  | { kind: "host" }
  | { kind: "upshost" }
  | { kind: "pid" }
  | { kind: "time"; format: string }
  | { kind: "var"; name: string }
  | { kind: "etime" };

const COMMANDS: ReadonlyArray<readonly [string, (arg: string | undefined) => LogFormatItem]> = [
  ["HOST", () => ({ kind: "host" })],
  ["UPSHOST", () => ({ kind: "upshost" })],
  ["PID", () => ({ kind: "pid" })],
  ["TIME", (arg) => ({ kind: "time", format: (arg ?? "").replaceAll("@", "%") })],
  ["VAR", (arg) => (arg?.includes(".") ? { kind: "var", name: arg as string } : invalid())],
  ["ETIME", () => ({ kind: "etime" })],
];

function invalid(): LogFormatItem {
  return { kind: "literal", text: "INVALID" };
}

export function compileLogFormat(format: string): LogFormatItem[] {
  const items: LogFormatItem[] = [];
  const literal = (text: string): void => {
    const last = items[items.length - 1];
    if (last?.kind === "literal") last.text += text;
    else items.push({ kind: "literal", text });
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== "%") {
      literal(ch);
      continue;
    }
    const next = format[i + 1];
    if (next === "%" || next === "t") {
      literal(next === "%" ? "%" : "\t");
      i++;
      continue;
    }
    const close = format.indexOf("%", i + 1);
    if (close < 0) {
      literal("INVALID");
      continue;
    }
    const body = format.slice(i + 1, close);
    const space = body.indexOf(" ");
    const cmd = space < 0 ? body : body.slice(0, space);
    const arg = space < 0 ? undefined : body.slice(space + 1);
    const entry = COMMANDS.find(([name]) => cmd.slice(0, name.length).toUpperCase() === name);
    const item = entry ? entry[1](arg) : invalid();
    if (item.kind === "literal") literal(item.text);
    else items.push(item);
    i = close;
  }
  return items;
}

/** The variables a compiled format reads, in order, without duplicates. */
export function logFormatVariables(items: readonly LogFormatItem[]): string[] {
  const names = items.flatMap((it) => (it.kind === "var" ? [it.name] : []));
  return [...new Set(names)];
}

export interface LogLineContext {
  now: Date;
  hostname: string;
  /** The monitored system as given (`ups@host[:port]`). */
  upshost: string;
  pid: number;
  /** Values read for this line; a missing entry prints `NA`. */
  values: ReadonlyMap<string, string>;
}

/** One log line, without the trailing newline. */
export function renderLogLine(items: readonly LogFormatItem[], ctx: LogLineContext): string {
  let out = "";
  for (const it of items) {
    switch (it.kind) {
      case "literal":
        out += it.text;
        break;
      case "host":
        out += ctx.hostname;
        break;
      case "upshost":
        out += ctx.upshost;
        break;
      case "pid":
        out += String(ctx.pid);
        break;
      case "time":
        out += strftime(it.format, ctx.now);
        break;
      case "etime":
        out += String(Math.floor(ctx.now.getTime() / 1000));
        break;
      case "var":
        out += ctx.values.get(it.name) ?? "NA";
        break;
    }
  }
  return out;
}
