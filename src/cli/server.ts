/**
 * `nutguard server`: an upsd-compatible server with simulated UPSes (dummy-ups .dev/.seq files).
 * Flags like upsd: -F (foreground; nutguard always runs in the foreground), -D (more debug),
 * -c reload|stop (signal the running server named in the PID file), -h, -V.
 * Thin: parse argv, start the server library, map signals, set the exit code.
 */
import { join } from "node:path";
import { startServer } from "../server/server.js";
import {
  AlreadyRunningError,
  acquirePidFile,
  describeStale,
  type HeldPidFile,
  inspectPidFile,
  type PidFileOwner,
} from "../service/pidfile.js";
import { createStderrLogger } from "../util/log.js";
import { NUTGUARD_VERSION } from "../util/version.js";

/** The server's process title: its PID file counts as live only while a process with it runs. */
const SERVER_OWNER: PidFileOwner = { title: "nutguard-server", name: "nutguard server" };

const USAGE = `Usage: nutguard server [OPTIONS]

Network UPS Tools compatible server (upsd) with simulated UPSes (dummy-ups files).
Reads upsd.conf, ups.conf and upsd.users from $NUT_CONFPATH (default /etc/nut).

  -c <command>  send <command> to the running server: reload, stop
  -D            raise debugging level (repeat for more)
  -F            stay in the foreground (the default: nutguard server never forks)
  -h            display this help
  -V            display the version
`;

function confPath(): string {
  return process.env.NUT_CONFPATH ?? "/etc/nut";
}

function pidFile(): string {
  const dir = process.env.NUT_ALTPIDPATH ?? process.env.NUT_STATEPATH ?? "/run/nut";
  return join(dir, "nutguard-server.pid");
}

function signalRunning(command: string): number {
  const signal = command === "reload" ? "SIGHUP" : command === "stop" ? "SIGTERM" : undefined;
  if (!signal) {
    process.stderr.write(`Error: unknown command '${command}' for -c (reload, stop)\n`);
    return 1;
  }
  const file = pidFile();
  // never signal a PID the file names unless it is a running nutguard server (pidfile.ts)
  const state = inspectPidFile(file, SERVER_OWNER);
  if (state.kind !== "live") {
    const why =
      state.kind === "stale"
        ? `PID file ${file} is stale: ${describeStale(state)}`
        : state.kind === "invalid"
          ? `PID file ${file} does not hold a PID`
          : state.kind === "unreadable"
            ? state.reason
            : `can't open PID file ${file}: is nutguard server running?`;
    process.stderr.write(`Error: ${why}\n`);
    return 1;
  }
  const pid = state.pid;
  try {
    process.kill(pid, signal);
  } catch (err) {
    process.stderr.write(`Error: can't send ${signal} to PID ${pid}: ${(err as Error).message}\n`);
    return 1;
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  let debugLevel = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === "-V" || arg === "--version") {
      process.stdout.write(`Network UPS Tools upsd 2.8.0 compatible (nutguard server ${NUTGUARD_VERSION})\n`);
      return 0;
    }
    if (arg === "-c") {
      const command = argv[i + 1];
      if (command === undefined) {
        process.stderr.write("Error: -c needs a command (reload, stop)\n");
        return 1;
      }
      return signalRunning(command);
    }
    if (/^-D+$/.test(arg)) debugLevel += arg.length - 1;
    else if (/^-F+$/.test(arg)) continue;
    else {
      process.stderr.write(`Error: unknown option ${arg}\n\n${USAGE}`);
      return 1;
    }
  }

  const log = createStderrLogger({ debugLevel });
  process.title = SERVER_OWNER.title;
  // like upsd: refuse to start beside a running instance, and name this process in the PID file once
  // it serves; a missing or unwritable PID directory (a non-root demo without /run/nut) only means
  // running without a PID file
  const pidPath = pidFile();
  const before = inspectPidFile(pidPath, SERVER_OWNER);
  if (before.kind === "live") {
    log.error(new AlreadyRunningError(pidPath, before.pid, SERVER_OWNER.name).message);
    return 1;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ confPath: confPath(), log });
  } catch (err) {
    log.error(`Fatal error: ${(err as Error).message}`);
    return 1;
  }
  let held: HeldPidFile | undefined;
  try {
    held = acquirePidFile(pidPath, log, process.pid, SERVER_OWNER);
  } catch (err) {
    if (err instanceof AlreadyRunningError) {
      log.error(err.message);
      await server.close();
      return 1;
    }
    log.debug(`no PID file: ${(err as Error).message}`);
  }

  return new Promise<number>((resolveExit) => {
    const stop = (signal: string) => {
      log.notice(`Signal ${signal}: exiting`);
      process.off("SIGHUP", reload);
      void server.close().then(() => {
        held?.release();
        resolveExit(0);
      });
    };
    const reload = () => {
      try {
        server.reload();
      } catch (err) {
        log.error(`reload failed, keeping the old configuration: ${(err as Error).message}`);
      }
    };
    process.on("SIGHUP", reload);
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
