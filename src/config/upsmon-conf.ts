/**
 * upsmon.conf → a typed `UpsmonConfig`, with upsmon's defaults, its messages and its tolerance:
 * a bad line is reported with file and line and skipped, the rest still loads. Two cases are fatal,
 * as in upsmon: the old MONITOR form without a username, and (checked separately, at start-up and
 * on reload) a power configuration that can never reach MINSUPPLIES.
 *
 * Pure: takes the file's text and name, returns data and messages. It must not read files, log,
 * or exit; the caller decides what to do with the messages (see cli/monitor.ts, monitor/daemon.ts).
 */

import { tokenizeText } from "../protocol/tokenizer.js";
import { splitName } from "../protocol/upsname.js";
import {
  type ConfigMessage,
  type ConfigMessageLevel,
  defaultUpsmonConfig,
  type MonitorRole,
  type ParseResult,
  type UpsmonConfig,
} from "./upsmon-config.js";
import { findNotifyType, type NotifyFlags } from "./upsmon-notify-types.js";

export {
  type CertHost,
  type ConfigMessage,
  type ConfigMessageLevel,
  defaultUpsmonConfig,
  impossiblePowerMessage,
  type MonitorEntry,
  type MonitorRole,
  type ParseResult,
  totalPowerValue,
  type UpsmonConfig,
} from "./upsmon-config.js";

/** C's atoi(): optional leading space and sign, then digits; anything else gives 0. */
export function cAtoi(text: string): number {
  const m = /^[ \t\n\r\v\f]*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number.parseInt(m[1]!, 10);
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/** NUT's str_to_int(): the whole word must be an integer. */
function strictInt(text: string): number | undefined {
  return /^[ \t]*[+-]?\d+$/.test(text) ? Number.parseInt(text, 10) : undefined;
}

/**
 * Split `upsname[@host[:port]]` with libupsclient's upscli_splitname (protocol/upsname.ts), as upsmon
 * does for MONITOR: the host defaults to localhost and the port to 3493; IPv6 hosts are `[addr]:port`.
 * A name it refuses is upsmon's "unable to split" error, with libupsclient's diagnostic after it.
 */
export function splitUpsSystem(system: string): { upsName: string; host: string; port: number } | string {
  const split = splitName(system);
  if (!split.ok) return `Error: unable to split UPS name [${system}] (${split.diagnostic})`;
  const { upsname, host, port } = split.value;
  return { upsName: upsname, host, port };
}

/** Single-quote wrap for SHUTDOWNCMD's extra tokens (NUT HEAD: `'arg'`). */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function parseFlags(value: string): { flags: NotifyFlags; bad: string[] } {
  const flags: NotifyFlags = { syslog: false, wall: false, exec: false, ignore: false };
  const bad: string[] = [];
  for (const name of value.split("+")) {
    if (name === "SYSLOG") flags.syslog = true;
    else if (name === "WALL") flags.wall = true;
    else if (name === "EXEC") flags.exec = true;
    else if (name === "IGNORE") flags.ignore = true;
    else bad.push(name);
  }
  return { flags, bad };
}

function boolish01(value: string): boolean {
  return cAtoi(value) === 1;
}

/** Parse upsmon.conf text. `file` is only used in messages. */
export function parseUpsmonConf(text: string, file: string): ParseResult {
  const config = defaultUpsmonConfig(file);
  const messages: ConfigMessage[] = [];
  let errorCount = 0;
  const say = (level: ConfigMessageLevel, message: string) => messages.push({ level, message });

  for (const line of tokenizeText(text)) {
    if (line.kind === "error") {
      say("err", `Parse error: ${file}:${line.lineNumber}: ${line.message}`);
      errorCount++;
      continue;
    }
    const words = line.words;
    if (words.length === 0) continue;
    const where = `${file} line ${line.lineNumber}`;
    const outcome = applyDirective(config, words, line.lineNumber, where, say);
    if (outcome === "fatal") {
      say("err", "Unable to use old-style MONITOR line without a username");
      say("err", "Convert it and add a username to upsd.users - see the documentation");
      say("err", "Fatal error: unusable configuration");
      return { config, messages, errorCount, fatal: `${where}: old-style MONITOR line without a username` };
    }
    if (outcome === "invalid") {
      errorCount++;
      say("warning", `${where}: invalid directive ${words.join(" ")}`);
    }
  }
  if (errorCount > 0) say("err", `Encountered ${errorCount} config errors, those entries were ignored`);
  if (config.powerDownFlag === undefined) {
    say("warning", `No POWERDOWNFLAG value was configured in ${file}!`);
  }
  return { config, messages, errorCount, fatal: undefined };
}

type Say = (level: ConfigMessageLevel, message: string) => void;

/** Directives that take one argument and only store it (upsmon's parse_conf_arg(), in table form). */
const ONE_ARGUMENT_SETTINGS: Record<string, (config: UpsmonConfig, arg: string) => void> = {
  OFFDURATION: (c, a) => {
    c.offDurationSec = cAtoi(a);
  },
  OVERDURATION: (c, a) => {
    c.overDurationSec = cAtoi(a);
  },
  OBLBDURATION: (c, a) => {
    c.oblbDurationSec = Math.max(0, cAtoi(a));
  },
  HOSTSYNC: (c, a) => {
    c.hostSyncSec = cAtoi(a);
  },
  DEADTIME: (c, a) => {
    c.deadTimeSec = cAtoi(a);
  },
  RBWARNTIME: (c, a) => {
    c.rbWarnTimeSec = cAtoi(a);
  },
  NOCOMMWARNTIME: (c, a) => {
    c.noCommWarnTimeSec = cAtoi(a);
  },
  RUN_AS_USER: (c, a) => {
    c.runAsUser = a;
  },
  CERTPATH: (c, a) => {
    c.certPath = a;
  },
  CERTFILE: (c, a) => {
    c.certFile = a;
  },
  CERTVERIFY: (c, a) => {
    c.certVerify = boolish01(a);
  },
  FORCESSL: (c, a) => {
    c.forceSsl = boolish01(a);
  },
  ALARMCRITICAL: (c, a) => {
    c.alarmCritical = boolish01(a);
  },
  NUTGUARD_CALCOMMLOST_CRITICAL: (c, a) => {
    c.calCommLostCritical = boolish01(a);
  },
};

/** Apply one directive to `config`. Mirrors upsmon's parse_conf_arg() argument-count rules. */
function applyDirective(
  config: UpsmonConfig,
  words: string[],
  lineNumber: number,
  where: string,
  say: Say,
): "ok" | "invalid" | "fatal" {
  const [keyword, a1, a2, a3, a4] = words;
  if (words.length < 2 || keyword === undefined || a1 === undefined) return "invalid";
  switch (keyword) {
    case "NOTIFYCMD":
      config.notifyCmd = words.slice(1);
      if (a1.includes(" ")) {
        say(
          "warning",
          `NOTIFYCMD: command '${a1}' contains spaces, be sure to pass any arguments as separately quoted tokens!`,
        );
      }
      return "ok";
    case "SHUTDOWNCMD":
      config.shutdownCmd = [a1, ...words.slice(2).map(shellQuote)].join(" ");
      return "ok";
    case "SHUTDOWNEXIT": {
      const v = a1.toLowerCase();
      if (v === "on" || v === "yes" || v === "true") config.shutdownExitSec = 0;
      else if (v === "off" || v === "no" || v === "false") config.shutdownExitSec = -1;
      else {
        const n = strictInt(a1);
        if (n === undefined) {
          say("warning", `${where}: SHUTDOWNEXIT value not recognized, defaulting to 'yes'`);
          config.shutdownExitSec = 0;
        } else config.shutdownExitSec = n;
      }
      return "ok";
    }
    case "POWERDOWNFLAG":
      config.powerDownFlag = a1;
      say("info", `Using power down flag file ${a1}`);
      return "ok";
    case "POLLFREQ":
    case "POLLFREQALERT":
    case "MINSUPPLIES":
    case "FINALDELAY":
    case "POLLFAIL_LOG_THROTTLE_MAX": {
      const n = cAtoi(a1);
      if (n < 0 || n === 2147483647) {
        say("warning", `${where}: Ignoring invalid ${keyword} value: ${n}`);
        return "ok";
      }
      if (keyword === "POLLFREQ") config.pollFreqSec = n;
      else if (keyword === "POLLFREQALERT") config.pollFreqAlertSec = n;
      else if (keyword === "MINSUPPLIES") config.minSupplies = n;
      else if (keyword === "FINALDELAY") config.finalDelaySec = n;
      else config.pollFailLogThrottleMax = n;
      return "ok";
    }
  }
  // own keys only: a line "constructor x" must be an unknown directive, not Object.prototype's
  const setOne = Object.hasOwn(ONE_ARGUMENT_SETTINGS, keyword) ? ONE_ARGUMENT_SETTINGS[keyword] : undefined;
  if (setOne) {
    setOne(config, a1);
    return "ok";
  }
  if (keyword.toUpperCase() === "DEBUG_MIN") {
    const n = strictInt(a1);
    if (n !== undefined && n >= 0) config.debugMin = n;
    else say("info", "WARNING : Invalid DEBUG_MIN value found in upsmon.conf global settings");
    return "ok";
  }
  if (a2 === undefined) return "invalid";
  switch (keyword) {
    case "NOTIFYMSG": {
      const type = findNotifyType(a1);
      if (type === undefined) say("warning", `${where}: '${a1}' is not a valid notify event name`);
      else config.notifyMessages[type] = a2;
      return "ok";
    }
    case "NOTIFYFLAG": {
      const type = findNotifyType(a1);
      if (type === undefined) {
        say("warning", `${where}: Warning: invalid notify type [${a1}]`);
        return "ok";
      }
      const { flags, bad } = parseFlags(a2);
      for (const b of bad) say("warning", `${where}: Invalid notify flag: [${b}]`);
      config.notifyFlags[type] = flags;
      return "ok";
    }
    case "CERTIDENT":
      config.certIdent = { name: a1, password: a2 };
      return "ok";
  }
  if (a3 === undefined || a4 === undefined) return "invalid";
  if (keyword === "CERTHOST") {
    config.certHosts.push({ host: a1, certName: a2, certVerify: boolish01(a3), forceSsl: boolish01(a4) });
    return "ok";
  }
  if (keyword === "MONITOR") {
    if (words.length === 5) return "fatal";
    addMonitor(config, words, lineNumber, where, say);
    return "ok";
  }
  return "invalid";
}

function addMonitor(
  config: UpsmonConfig,
  words: string[],
  lineNumber: number,
  where: string,
  say: Say,
): void {
  const [, system, powerText, username, password, type] = words as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const powerValue = cAtoi(powerText);
  if (powerValue < 0) {
    say("warning", `${where}: UPS [${system}]: ignoring invalid power value [${powerText}]`);
    return;
  }
  if (config.monitors.some((m) => m.system === system)) {
    say("warning", `${where}: Warning: ignoring duplicate UPS [${system}]`);
    return;
  }
  const split = splitUpsSystem(system);
  if (typeof split === "string") {
    say("err", `${where}: ${split}`);
    return;
  }
  // the NUT protocol carries ASCII only (upsd and NUT's upsmon drop other bytes): refuse, not lose
  const notAscii = [system, username, password].some((w) => /[^\x00-\x7f]/.test(w));
  if (notAscii) {
    say(
      "err",
      `${where}: UPS [${system}]: the name, user or password has characters outside ASCII, which the NUT protocol cannot carry`,
    );
    return;
  }
  const lowerType = type.toLowerCase();
  const role: MonitorRole = lowerType === "primary" || lowerType === "master" ? "primary" : "secondary";
  if (role === "secondary" && lowerType !== "secondary" && lowerType !== "slave") {
    // upsmon silently demotes any other word to secondary; nutguard does the same but says so.
    say("warning", `${where}: MONITOR type [${type}] is not primary/master/secondary/slave: using secondary`);
  }
  config.monitors.push({ system, ...split, powerValue, username, password, role, line: lineNumber });
  say(
    "info",
    powerValue > 0
      ? `UPS: ${system} (${role}) (power value ${powerValue})`
      : `UPS: ${system} (monitoring only)`,
  );
}
