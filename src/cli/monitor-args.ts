/**
 * `nutguard monitor` argv → options, with upsmon's flags and getopt rules (HEAD's option string
 * `DFBhic:P:f:pu:VK46W:`: clustered flags like `-DD`, values attached or separate), plus `--check`.
 * Pure: no I/O, no process state.
 */
import { type ControlCommand, parseControlCommand } from "../service/control.js";

export interface MonitorArgs {
  /** `-f`: configuration file (undefined: $NUT_CONFPATH/upsmon.conf or /etc/nut/upsmon.conf). */
  configFile: string | undefined;
  /** Count of `-D`. */
  debugLevel: number;
  foreground: boolean;
  background: boolean;
  /** `-u`: account for the unprivileged process (RUN_AS_USER overrides it, as in upsmon). */
  user: string | undefined;
  /** `-p`: one privileged process, no privilege separation. */
  singleProcess: boolean;
  /** `-c`: signal the running daemon. */
  command: ControlCommand | undefined;
  /** `-P`: the PID to signal instead of the PID file's. */
  pid: number | undefined;
  /** `-K`: check POWERDOWNFLAG. */
  checkPowerDownFlag: boolean;
  /** `--check`: print what was understood and exit. */
  check: boolean;
  help: boolean;
  version: boolean;
  addressFamily: 4 | 6 | undefined;
  /** `-W`: connect timeout in seconds. */
  connectTimeoutSec: number | undefined;
  /** `--http ADDR:PORT` values as written (repeatable): serve metrics, API and status page there. */
  http: string[];
  /** `-C`: nutguard.conf (default: beside upsmon.conf). */
  nutguardConf: string | undefined;
}

export const MONITOR_USAGE = `usage: nutguard monitor [OPTIONS]

  -c <cmd>	send command to running process
		commands:
		 - fsd: shutdown all primary-mode UPSes (use with caution)
		 - reload: reread configuration
		 - stop: stop monitoring and exit
  -P <pid>	send the signal above to specified PID (bypassing PID file)
  -f <file>	configuration file (default: $NUT_CONFPATH/upsmon.conf or /etc/nut/upsmon.conf)
  -D		raise debugging level (and stay foreground by default)
  -F		stay foregrounded even if no debugging is enabled
  -B		stay backgrounded even if debugging is bumped
  -h		display this help
  -K		checks POWERDOWNFLAG, sets exit code to 0 if set
  -p		always run privileged (disable privileged parent)
  -u <user>	run child as user <user> (ignored when using -p)
  -4		IPv4 only
  -6		IPv6 only
  -W <secs>	connection timeout (default 10)
  -V		display the version
  --check	print the configuration as understood (UPSes, roles, power values, settings) and exit
  --http <addr:port>  serve metrics, JSON API and status page there (repeatable; also [http] listen)
  -C <file>	nutguard.conf (default: nutguard.conf beside upsmon.conf)
`;

const WITH_VALUE = new Set(["c", "P", "f", "u", "W", "C"]);
const FLAGS = new Set(["D", "F", "B", "h", "i", "p", "V", "K", "4", "6"]);

export function parseMonitorArgs(argv: readonly string[]): MonitorArgs | { error: string } {
  const a: MonitorArgs = {
    configFile: undefined,
    debugLevel: 0,
    foreground: false,
    background: false,
    user: undefined,
    singleProcess: false,
    command: undefined,
    pid: undefined,
    checkPowerDownFlag: false,
    check: false,
    help: false,
    version: false,
    addressFamily: undefined,
    connectTimeoutSec: undefined,
    http: [],
    nutguardConf: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--check") {
      a.check = true;
      continue;
    }
    if (arg === "--http" || arg.startsWith("--http=")) {
      const value = arg.startsWith("--http=") ? arg.slice(7) : argv[++i];
      if (value === undefined) return { error: "option '--http' requires an argument ADDR:PORT" };
      a.http.push(value);
      continue;
    }
    if (arg === "--help") {
      a.help = true;
      continue;
    }
    if (arg === "--") {
      if (i + 1 < argv.length) return { error: `unexpected argument '${argv[i + 1]}'` };
      break;
    }
    if (!arg.startsWith("-") || arg === "-") return { error: `unexpected argument '${arg}'` };
    if (arg.startsWith("--")) return { error: `unknown option '${arg}'` };
    for (let j = 1; j < arg.length; j++) {
      const opt = arg[j]!;
      if (WITH_VALUE.has(opt)) {
        let value = arg.slice(j + 1);
        if (value === "") {
          const next = argv[++i];
          if (next === undefined) return { error: `option requires an argument -- '${opt}'` };
          value = next;
        }
        const err = applyValue(a, opt, value);
        if (err) return { error: err };
        break;
      }
      if (!FLAGS.has(opt)) return { error: `invalid option -- '${opt}'` };
      applyFlag(a, opt);
    }
  }
  return a;
}

function applyFlag(a: MonitorArgs, opt: string): void {
  if (opt === "D") a.debugLevel++;
  else if (opt === "F") a.foreground = true;
  else if (opt === "B") a.background = true;
  else if (opt === "h" || opt === "i") a.help = true;
  else if (opt === "p") a.singleProcess = true;
  else if (opt === "V") a.version = true;
  else if (opt === "K") a.checkPowerDownFlag = true;
  else if (opt === "4") a.addressFamily = 4;
  else if (opt === "6") a.addressFamily = 6;
}

function applyValue(a: MonitorArgs, opt: string, value: string): string | undefined {
  switch (opt) {
    case "c": {
      const command = parseControlCommand(value); // upsmon's prefix match: `-c r` is reload
      if (!command) return `Invalid command '${value}' (use fsd, stop or reload)`;
      a.command = command;
      return undefined;
    }
    case "P": {
      const pid = /^\d+$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
      if (!(pid > 0)) return `Invalid PID '${value}'`;
      a.pid = pid;
      return undefined;
    }
    case "f":
      a.configFile = value;
      return undefined;
    case "C":
      a.nutguardConf = value;
      return undefined;
    case "u":
      a.user = value;
      return undefined;
    case "W": {
      const sec = Number(value);
      if (!(Number.isFinite(sec) && sec > 0)) return `Invalid connection timeout '${value}'`;
      a.connectTimeoutSec = sec;
      return undefined;
    }
  }
  return `invalid option -- '${opt}'`;
}
