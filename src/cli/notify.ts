/**
 * `nutguard notify --test [EVENT] [--channel NAME]... [-C nutguard.conf] [-f upsmon.conf]`: sends one
 * test notification through the configured channels (nutguard.conf), the same rendering and transports
 * the monitor uses, one try each, and prints each channel's outcome. Exit status: 0 when every channel
 * delivered, 1 when one failed (each failure named with its reason), 2 on a usage or config error.
 * Thin: argv → notify/load.ts → notify/transports.ts → stdout/stderr and the exit code.
 */

import { hostname } from "node:os";
import { nutguardConfPathFor } from "../config/nutguard-conf.js";
import { parseUpsmonConf } from "../config/upsmon-conf.js";
import {
  findNotifyType,
  formatNotifyMessage,
  type NotifyType,
  STOCK_NOTIFY_MESSAGES,
  UPSLESS_NOTIFY_TYPES,
} from "../config/upsmon-notify-types.js";
import { defaultUpsmonConfPath } from "../monitor/config-file.js";
import { loadChannels } from "../notify/load.js";
import type { ReadyChannel } from "../notify/secrets.js";
import { renderNotification } from "../notify/template.js";
import { transportFor } from "../notify/transports.js";
import { readNutConfigFile } from "../util/config-file-read.js";
import { type Out, printedHelp, stderrLine, stdoutLine } from "./cli-output.js";

const USAGE = `Usage: nutguard notify --test [EVENT] [--channel NAME]... [-C FILE] [-f FILE]

Sends a test notification through the notification channels of nutguard.conf and
reports, for each channel, whether it was delivered.

  --test           send a test notification (the only action so far)
  EVENT            the notify type to send (default ONBATT): ONLINE, ONBATT, LOWBATT, FSD, ...
  --channel NAME   only this channel (repeatable); default: every channel
  -C FILE          nutguard.conf to read (default: beside upsmon.conf)
  -f FILE          upsmon.conf whose first MONITOR names the UPS in the message
                   (default: $NUT_CONFPATH/upsmon.conf or /etc/nut/upsmon.conf)
  -h, --help       show this help

Exit status: 0 when every channel delivered, 1 when one did not, 2 on a usage or config error.
`;

interface NotifyArgs {
  event: NotifyType;
  channels: string[];
  confPath: string | undefined;
  upsmonPath: string;
}

function usageError(err: Out, message: string): number {
  err(`nutguard notify: ${message}`);
  err(USAGE.trimEnd());
  return 2;
}

function parseArgs(argv: string[], err: Out): NotifyArgs | number {
  let test = false;
  let event: NotifyType | undefined;
  const channels: string[] = [];
  let confPath: string | undefined;
  let upsmonPath = defaultUpsmonConfPath();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = arg.includes("=") && arg.startsWith("--") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === "--test") test = true;
      else if (arg === "--channel" || arg.startsWith("--channel=")) channels.push(value());
      else if (arg === "-C") confPath = value();
      else if (arg === "-f") upsmonPath = value();
      else if (arg.startsWith("-")) return usageError(err, `unknown option ${arg}`);
      else {
        const type = findNotifyType(arg);
        if (type === undefined) return usageError(err, `unknown notify type "${arg}"`);
        if (event !== undefined) return usageError(err, "one EVENT only");
        event = type;
      }
    } catch (e) {
      return usageError(err, (e as Error).message);
    }
  }
  if (!test) return usageError(err, "nothing to do (--test sends a test notification)");
  return { event: event ?? "ONBATT", channels, confPath, upsmonPath };
}

/** The first MONITOR system of upsmon.conf, or a stand-in when it cannot be read. */
function testUps(upsmonPath: string): string {
  try {
    const parsed = parseUpsmonConf(readNutConfigFile(upsmonPath).text, upsmonPath);
    return parsed.config.monitors[0]?.system ?? "test@localhost";
  } catch {
    return "test@localhost";
  }
}

export async function run(argv: string[], out: Out = stdoutLine, err: Out = stderrLine): Promise<number> {
  if (printedHelp(argv, USAGE, out)) return 0;
  const args = parseArgs(argv, err);
  if (typeof args === "number") return args;
  const confPath = args.confPath ?? nutguardConfPathFor(args.upsmonPath);
  let all: ReadyChannel[];
  try {
    all = loadChannels(confPath);
  } catch (e) {
    err(`nutguard notify: ${(e as Error).message}`);
    return 2;
  }
  if (all.length === 0) {
    err(`nutguard notify: no notification channels in ${confPath} (a section with "type = ...")`);
    return 2;
  }
  const unknown = args.channels.filter((name) => !all.some((c) => c.name === name));
  if (unknown.length > 0) {
    err(
      `nutguard notify: no channel [${unknown.join("], [")}] in ${confPath} (channels: ${all.map((c) => c.name).join(", ")})`,
    );
    return 2;
  }
  const chosen = args.channels.length === 0 ? all : all.filter((c) => args.channels.includes(c.name));
  const ups = UPSLESS_NOTIFY_TYPES.has(args.event) ? null : testUps(args.upsmonPath);
  const facts = {
    event: args.event,
    ups,
    nutMessage: `TEST: ${formatNotifyMessage(STOCK_NOTIFY_MESSAGES[args.event], ups ?? undefined, "test")}`,
    status: null,
    charge: null,
    runtime: null,
    host: hostname(),
    time: new Date().toISOString(),
  };
  const results = await Promise.all(
    chosen.map(async (ch) => ({
      ch,
      result: await transportFor(ch)(renderNotification(facts, ch.template, ch.title)),
    })),
  );
  let failed = 0;
  for (const { ch, result } of results) {
    if (result.ok) out(`[${ch.name}] (${ch.type}): delivered`);
    else {
      failed++;
      err(
        `[${ch.name}] (${ch.type}): NOT delivered: ${result.reason}` +
          (result.transient ? " (a transient failure: the monitor would retry)" : ""),
      );
    }
  }
  out(
    `${chosen.length - failed} of ${chosen.length} channel${chosen.length === 1 ? "" : "s"} delivered the test ${args.event}`,
  );
  return failed === 0 ? 0 : 1;
}
