/**
 * `nutguard upssched -l`: lists the timers of the monitor's built-in upssched, in NUT 2.8.5's
 * `upssched -l` format (timers.ts formatTimerList). Reads the state file the monitor writes in its
 * runtime directory (`$NUT_PIDPATH` | `$RUNTIME_DIRECTORY` | /run/nutguard, file upssched-timers.json);
 * a file whose writer no longer runs is reported as stale. Exit status: 0 listed, 1 nothing to list
 * (the built-in upssched is not running, or the file is stale or unreadable), 2 usage.
 * Thin: argv → file → stdout.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readProcInfo } from "../service/proc-identity.js";
import { resolvePidDir } from "../service/runtime-dir.js";
import { TIMER_STATE_FILE, type TimerState } from "../upssched/runner.js";
import { formatTimerList } from "../upssched/timers.js";
import { type Out, printedHelp, stderrLine, stdoutLine } from "./cli-output.js";

const USAGE = `Usage: nutguard upssched -l

nutguard's monitor runs upssched.conf's timers itself when upsmon.conf's NOTIFYCMD names upssched
(no upssched process, pipe or lock file). This command shows them.

  -l          list the running timers, as NUT 2.8.5's upssched -l:
              name <TAB> due (epoch s) <TAB> seconds left <TAB> NOTIFYTYPEs <TAB> UPSNAMEs <TAB> messages
  -h, --help  show this help
`;

export async function run(argv: string[], out: Out = stdoutLine, err: Out = stderrLine): Promise<number> {
  if (printedHelp(argv, USAGE, out)) return 0;
  if (argv.length !== 1 || argv[0] !== "-l") {
    err(USAGE.trimEnd());
    return 2;
  }
  const path = join(resolvePidDir().dir, TIMER_STATE_FILE);
  let state: TimerState;
  try {
    state = JSON.parse(readFileSync(path, "utf8")) as TimerState;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      err(`nutguard upssched: no timers: the monitor's built-in upssched is not running (no ${path})`);
    } else {
      err(`nutguard upssched: cannot read ${path}: ${(e as Error).message}`);
    }
    return 1;
  }
  if (!Number.isInteger(state.pid) || !Array.isArray(state.timers)) {
    err(`nutguard upssched: ${path} is not a timer list written by nutguard`);
    return 1;
  }
  const writer = readProcInfo(state.pid);
  if (writer === undefined || writer.state === "Z") {
    err(`nutguard upssched: ${path} is stale: the monitor that wrote it (PID ${state.pid}) is gone`);
    return 1;
  }
  for (const line of formatTimerList(state.timers, Date.now())) out(line);
  return 0;
}
