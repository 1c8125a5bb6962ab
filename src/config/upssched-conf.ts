/**
 * upssched.conf (NUT's timer helper's file, clients.md §5.2) for the monitor's built-in upssched.
 * Pure: text in, typed config and warnings out. Same tokenizer and file:line errors as every config.
 *
 * Directives: `CMDSCRIPT <path> [args…]` (before any AT), `PIPEFN`, `LOCKFN` (NUT's pipe and lock:
 * accepted and unused here — the built-in timers need neither), `DEBUG_MIN <n>`, and
 * `AT <notifytype> <upsname|*> <action> [args]` with START-TIMER, START-TIMER-SHARED, CANCEL-TIMER,
 * CANCEL-TIMER-MATCHED, EXECUTE. Directive and action names are case-sensitive as in NUT; the notify
 * type matches case-insensitively at run time.
 * - An AT line before CMDSCRIPT is an error (NUT: "CMDSCRIPT must be set before any ATs in the config
 *   file!"). An AT before PIPEFN/LOCKFN is only a warning: NUT's upssched would refuse the file, and
 *   the file must keep working for NUT after `takeover --undo`.
 * - A wrong AT line (unknown action, missing timer name or seconds, a negative or non-numeric
 *   delay) is an error naming file:line, where NUT logs a line per event and goes on.
 * - Any other line is a warning, in NUT's words ("upssched.conf: invalid directive ...").
 */

import { ConfigError, readConfigLines } from "./reader.js";
import { findNotifyType } from "./upsmon-notify-types.js";

export type UpsschedAction =
  | { kind: "start-timer"; name: string; seconds: number; shared: boolean }
  | { kind: "cancel-timer"; name: string; command: string | undefined; matched: boolean }
  | { kind: "execute"; command: string };

export interface UpsschedRule {
  /** The notify type as written (matched case-insensitively). */
  type: string;
  /** The UPS as in MONITOR, or "*". */
  ups: string;
  action: UpsschedAction;
  line: number;
}

export interface UpsschedConfig {
  file: string;
  /** CMDSCRIPT's words: the program, then its own arguments; the timer or command name is appended. */
  cmdScript: string[];
  rules: UpsschedRule[];
  warnings: string[];
}

function seconds(file: string, line: number, text: string | undefined, action: string): number {
  if (text === undefined)
    throw new ConfigError(file, line, `${action} needs a timer name and a number of seconds`);
  if (!/^\d+$/.test(text)) {
    throw new ConfigError(
      file,
      line,
      `${action}: "${text}" is not a number of seconds (a whole number, 0 or more)`,
    );
  }
  return Number(text);
}

function actionOf(file: string, line: number, words: string[]): UpsschedAction {
  const [, , , action, arg1, arg2, ...extra] = words as [string, string, string, string, string?, string?];
  if (extra.length > 0) throw new ConfigError(file, line, `too many words for ${action}`);
  switch (action) {
    case "START-TIMER":
    case "START-TIMER-SHARED":
      if (arg1 === undefined)
        throw new ConfigError(file, line, `${action} needs a timer name and a number of seconds`);
      return {
        kind: "start-timer",
        name: arg1,
        seconds: seconds(file, line, arg2, action),
        shared: action === "START-TIMER-SHARED",
      };
    case "CANCEL-TIMER":
    case "CANCEL-TIMER-MATCHED":
      if (arg1 === undefined) throw new ConfigError(file, line, `${action} needs a timer name`);
      return { kind: "cancel-timer", name: arg1, command: arg2, matched: action === "CANCEL-TIMER-MATCHED" };
    case "EXECUTE":
      if (arg1 === undefined || arg1 === "")
        throw new ConfigError(file, line, "Empty EXECUTE command argument");
      if (arg2 !== undefined) throw new ConfigError(file, line, "too many words for EXECUTE");
      return { kind: "execute", command: arg1 };
    default:
      throw new ConfigError(
        file,
        line,
        `Invalid command: ${action} (known: START-TIMER, START-TIMER-SHARED, CANCEL-TIMER, CANCEL-TIMER-MATCHED, EXECUTE)`,
      );
  }
}

export function parseUpsschedConf(text: string, file = "upssched.conf"): UpsschedConfig {
  let cmdScript: string[] | undefined;
  let pipe = false;
  let lock = false;
  let warnedNutNeeds = false;
  const rules: UpsschedRule[] = [];
  const warnings: string[] = [];
  for (const { words, line } of readConfigLines(text, file)) {
    const [directive] = words as [string];
    if (directive === "CMDSCRIPT" && words.length >= 2) {
      cmdScript = words.slice(1);
    } else if (directive === "PIPEFN" && words.length >= 2) pipe = true;
    else if (directive === "LOCKFN" && words.length >= 2) lock = true;
    else if (directive === "DEBUG_MIN" && words.length >= 2) {
      // NUT's minimum debug level for upssched: no meaning for the built-in timers.
    } else if (directive === "AT" && words.length >= 5) {
      if (cmdScript === undefined)
        throw new ConfigError(file, line, "CMDSCRIPT must be set before any ATs in the config file!");
      if ((!pipe || !lock) && !warnedNutNeeds) {
        warnedNutNeeds = true;
        warnings.push(
          `${file}:${line}: ${!pipe ? "PIPEFN" : "LOCKFN"} must be set before any ATs in the config file! (NUT's upssched refuses this file; nutguard's built-in timers do not need it)`,
        );
      }
      const [, type, ups] = words as [string, string, string];
      if (findNotifyType(type) === undefined)
        warnings.push(`${file}:${line}: AT ${type}: not a notify type upsmon sends`);
      rules.push({ type, ups, action: actionOf(file, line, words), line });
    } else {
      warnings.push(`${file}:${line}: upssched.conf: invalid directive ${words.join(" ")}`);
    }
  }
  return { file, cmdScript: cmdScript ?? [], rules, warnings };
}

/** Whether upsmon.conf's NOTIFYCMD runs NUT's upssched (its program's base name is `upssched`). */
export function notifyCmdIsUpssched(notifyCmd: readonly string[] | undefined): boolean {
  const program = notifyCmd?.[0];
  return program !== undefined && program.replace(/^.*\//, "") === "upssched";
}
