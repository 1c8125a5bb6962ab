/**
 * upslog's command line (NUT HEAD `clients/upslog.c`), as a pure function from argv to a plan:
 * `-s <ups> -l <file>` or repeatable `-m <ups>,<file>` (`-` = stdout, `*` = every UPS on the host),
 * `-i <sec>` (default 30), `-d <count>`, `-f <format>` (default NUT's), `-N`, `-F`/`-B`,
 * `-p <pidbase>`, `-u <user>`, and the legacy positional form `<ups> <file> <interval> [format...]`.
 * No I/O: errors come back as the text NUT prints.
 */

import { strtolPrefix as atoi } from "../protocol/upsname.js";
import { getopt } from "./getopt.js";
import { DEFAULT_LOG_FORMAT, UPSHOST_PREFIX } from "./upslog-format.js";

const OPTSTRING = "+hDs:l:i:d:Nf:u:Vp:FBm:W:A:";

export interface UpslogTarget {
  /** `ups@host[:port]` as given (may have `*` as the UPS name). */
  system: string;
  /** Log file path, or `-` for stdout. */
  logFile: string;
}

export interface UpslogPlan {
  kind: "run";
  targets: UpslogTarget[];
  intervalSec: number;
  /** Exit after this many polls (0 = never). */
  maxPolls: number;
  format: string;
  /** true: stay in the foreground; false: go to the background; undefined: NUT's default. */
  foreground: boolean | undefined;
  debugLevel: number;
  pidBase: string;
  user: string | undefined;
  connectTimeout: string | undefined;
  /** Lines to print on stderr before starting (e.g. an invalid -d). */
  warnings: string[];
}

export type UpslogCommand =
  | UpslogPlan
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "fail"; stderr: string };

const NO_UPS =
  "No UPS defined for monitoring - use -s <system> -l <logfile>, or use -m <ups,logfile>; consider -m '*,-' to view updates of all known local devices";

export function parseUpslogArgs(argv: readonly string[]): UpslogCommand {
  const { options, operands } = getopt(argv, OPTSTRING);
  const targets: UpslogTarget[] = [];
  const warnings: string[] = [];
  let system: string | undefined;
  let logFile: string | undefined;
  let intervalSec = 30;
  let maxPolls = 0;
  let format = DEFAULT_LOG_FORMAT;
  let prefixUpshost = false;
  let foreground: boolean | undefined;
  let debugLevel = 0;
  let pidBase = "upslog";
  let user: string | undefined;
  let connectTimeout: string | undefined;
  for (const opt of options) {
    const v = opt.value ?? "";
    switch (opt.letter) {
      case "h":
        return { kind: "help" };
      case "D":
        debugLevel++;
        break;
      case "m": {
        const parts = v.split(",");
        if (parts.length !== 2) {
          return {
            kind: "fail",
            stderr: "Argument '-m upsspec,logfile' requires exactly 2 components in the tuple\n",
          };
        }
        targets.push({ system: parts[0]!, logFile: parts[1]! });
        break;
      }
      case "s":
        system = v;
        break;
      case "l":
        logFile = v;
        break;
      case "i":
        intervalSec = atoi(v);
        break;
      case "d":
        if (/^\d+$/.test(v)) maxPolls = Number.parseInt(v, 10);
        else warnings.push("Invalid max loops");
        break;
      case "f":
        format = v;
        break;
      case "N":
        prefixUpshost = true;
        break;
      case "u":
        user = v;
        break;
      case "V":
        return { kind: "version" };
      case "W":
        connectTimeout = v;
        break;
      case "p":
        pidBase = v;
        break;
      case "F":
        foreground = true;
        break;
      case "B":
        foreground = false;
        break;
      case "A":
        break;
      default:
        return {
          kind: "fail",
          stderr: `upslog: ${opt.diagnostic ?? "invalid option"}\nError: unknown option -?. Try -h for help.\n`,
        };
    }
  }
  if (operands.length === 1 || operands.length === 2) return { kind: "help" };
  if (operands.length >= 3) {
    system = operands[0];
    logFile = operands[1];
    intervalSec = atoi(operands[2]!);
    if (operands.length >= 4)
      format = operands
        .slice(3)
        .map((w) => `${w} `)
        .join("");
  }
  if (system !== undefined || logFile !== undefined) {
    if (system === undefined) {
      return {
        kind: "fail",
        stderr:
          "No UPS defined for monitoring - use -s <system> when using -l <file>, or use -m <ups,logfile>; consider -m '*,-' to view updates of all known local devices\n",
      };
    }
    if (logFile === undefined) {
      return {
        kind: "fail",
        stderr:
          "No filename defined for logging - use -l <file> when using -s <system>, or use -m <ups,logfile>; consider -m '*,-' to view updates of all known local devices\n",
      };
    }
    targets.push({ system, logFile });
  }
  if (targets.length === 0) return { kind: "fail", stderr: `${NO_UPS}\n` };
  if (prefixUpshost) format = UPSHOST_PREFIX + format;
  return {
    kind: "run",
    targets,
    intervalSec,
    maxPolls,
    format,
    foreground,
    debugLevel,
    pidBase,
    user,
    connectTimeout,
    warnings,
  };
}

export const UPSLOG_HELP = `NUT read-only client program - UPS status logger (nutguard).

usage: upslog [OPTIONS]

  -f <format>	- Log format.  See below for details.
		- Use -f "<format>" so your shell doesn't break it up.
  -N		- Prefix "%UPSHOST%%t" before the format (default/custom):
		  useful when logging many systems into same target.
  -i <interval>	- Time between updates, in seconds
  -d <count>	- Exit after specified amount of updates
  -l <logfile>	- Log file name, or - for stdout (foreground by default)
  -D		- raise debugging level (and stay foreground by default)
  -F		- stay foregrounded even if logging into a file
  -B		- stay backgrounded even if logging to stdout or debugging
  -p <pidbase>	- Base name for PID file (defaults to "upslog")
             	- NOTE: PID file is written regardless of fore/back-grounding
  -s <ups>	- Monitor UPS <ups> - <upsname>@<host>[:<port>]
        	- Example: -s myups@server
        	- Specify '*' as upsname to query all devices on the host
  -m <tuple>	- Monitor UPS <ups,logfile>
		- Example: -m myups@server,/var/log/myups.log
		- NOTE: You can use '-' as logfile for stdout
		  and it would not imply foregrounding
		- Unlike one '-s ups -l file' spec, you can specify many tuples
		- Example: -m '*,-' to view updates of all known local devices
		- Example: -m '*@1.2.3.4,-' to view updates of all known remote
		  devices served by NUT data server with IP address 1.2.3.4
  -u <user>	- Switch to <user> if started as root

Common arguments:
  -V         - display the version of this software
  -W <secs>  - network timeout for initial connections (default: 10)
  -h         - display this help text

Some valid format string escapes:
	%% insert a single %
	%t insert a TAB character
	%TIME format% insert the time with strftime formatting
	%ETIME% insert the number of seconds since the epoch
	%HOST% insert the local hostname
	%UPSHOST% insert the host of the ups being monitored
	%PID% insert the pid of upslog
	%VAR varname% insert the value of ups variable varname

format string defaults to:
${DEFAULT_LOG_FORMAT}
`;
