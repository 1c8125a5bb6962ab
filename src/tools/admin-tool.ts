/**
 * The frame upscmd and upsrw share (NUT parses them the same way): the common options
 * (`-u -p -w -t -W -D -A -V -h`), help on unknown options or a missing `<ups>` (exit 0),
 * `<ups>` parsing and connecting, and turning a ToolExit or an unexpected error into NUT-style
 * stderr output and an exit code (never a stack trace).
 *
 * Must not: know what the tool does with the connection.
 */
import type { NutClient } from "../client/client.js";
import { splitName, type UpsTarget } from "../protocol/upsname.js";
import { DEFAULT_TRACKING_TIMEOUT_SEC } from "./admin-request.js";
import { getopt, type ParsedOption } from "./getopt.js";
import {
  connectTimeoutMs,
  connectTo,
  describeError,
  fatal,
  guardStdout,
  ToolExit,
  versionBanner,
} from "./tool-support.js";

/** Runs a tool's body; with `ownStdoutGuard` the body handles a closed stdout itself (upslog). */
export async function runAdminTool(
  body: () => Promise<number>,
  o: { ownStdoutGuard?: boolean } = {},
): Promise<number> {
  try {
    if (!o.ownStdoutGuard) guardStdout();
    return await body();
  } catch (err) {
    if (err instanceof ToolExit) {
      process.stderr.write(err.stderr);
      return err.code;
    }
    process.stderr.write(`Error: ${describeError(err)}\n`);
    return 1;
  }
}

function parseTrackingTimeout(text: string): number {
  if (!/^\s*\+?\d+$/.test(text)) {
    throw fatal(
      "Could not convert the provided value for timeout ('-t' option) to unsigned int: Invalid argument",
    );
  }
  return Number.parseInt(text, 10);
}

export interface AdminToolSpec {
  prog: string;
  optstring: string;
  help: string;
  /** Handles the tool's own option letters; returns false for letters it does not know. */
  onOption(opt: ParsedOption): boolean;
}

export interface AdminInvocation {
  operands: string[];
  user: string | undefined;
  pass: string | undefined;
  /** `-w`: the tracking timeout (`-t`, default 10 s); undefined without -w. */
  trackTimeoutSec: number | undefined;
  timeoutMs: number;
}

/** Parses argv; resolves to an exit code when the tool is done (help, version). */
export function parseAdminArgs(argv: readonly string[], spec: AdminToolSpec): AdminInvocation | number {
  const { options, operands } = getopt(argv, spec.optstring);
  const inv: AdminInvocation = {
    operands,
    user: undefined,
    pass: undefined,
    trackTimeoutSec: undefined,
    timeoutMs: 0,
  };
  let track = false;
  let trackTimeoutSec = DEFAULT_TRACKING_TIMEOUT_SEC;
  let timeoutOption: string | undefined;
  for (const opt of options) {
    if (spec.onOption(opt)) continue;
    switch (opt.letter) {
      case "u":
        inv.user = opt.value;
        break;
      case "p":
        inv.pass = opt.value;
        break;
      case "t":
        trackTimeoutSec = parseTrackingTimeout(opt.value!);
        break;
      case "w":
        track = true;
        break;
      case "W":
        timeoutOption = opt.value;
        break;
      case "D":
      case "A":
        break;
      case "V":
        process.stdout.write(versionBanner(spec.prog));
        return 0;
      default:
        if (opt.diagnostic) process.stderr.write(`${spec.prog}: ${opt.diagnostic}\n`);
        process.stdout.write(spec.help);
        return 0;
    }
  }
  inv.timeoutMs = connectTimeoutMs(timeoutOption, process.env);
  inv.trackTimeoutSec = track ? trackTimeoutSec : undefined;
  if (operands.length < 1) {
    process.stdout.write(spec.help);
    return 0;
  }
  return inv;
}

/** Splits `<ups>`; an invalid one ends the tool with libupsclient's diagnostic and NUT's message. */
export function parseUpsTarget(spec: string): UpsTarget {
  const target = splitName(spec);
  if (!target.ok) {
    throw fatal(
      `${target.diagnostic}\nError: invalid UPS definition.  Required format: upsname[@hostname[:port]]`,
    );
  }
  return target.value;
}

/** Splits `<ups>` and connects; failures end the tool with NUT's messages. */
export async function connectToUps(
  spec: string,
  timeoutMs: number,
): Promise<{ client: NutClient; upsname: string }> {
  const target = parseUpsTarget(spec);
  try {
    return { client: await connectTo(target, timeoutMs), upsname: target.upsname };
  } catch (err) {
    throw fatal(`Error: ${describeError(err)}`);
  }
}
