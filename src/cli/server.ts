/**
 * `nutguard server`: an upsd-compatible server with simulated UPSes (dummy-ups .dev/.seq files).
 * Flags like upsd: -F (foreground; nutguard always runs in the foreground), -D (more debug),
 * -c reload|stop (signal the running server named in the PID file), -h, -V.
 * Thin: parse argv, start the server library, map signals, set the exit code.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../server/server.js";
import { createStderrLogger } from "../util/log.js";

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
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
  } catch {
    process.stderr.write(`Error: can't open PID file ${file}: is nutguard server running?\n`);
    return 1;
  }
  try {
    process.kill(pid, signal);
  } catch (err) {
    process.stderr.write(`Error: can't send ${signal} to PID ${pid}: ${(err as Error).message}\n`);
    return 1;
  }
  return 0;
}

function writePidFile(file: string): boolean {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${process.pid}\n`);
    renameSync(tmp, file);
    return true;
  } catch {
    return false;
  }
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
      process.stdout.write("Network UPS Tools upsd 2.8.0 compatible (nutguard server 0.1.0)\n");
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
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ confPath: confPath(), log });
  } catch (err) {
    log.error(`Fatal error: ${(err as Error).message}`);
    return 1;
  }
  const pid = pidFile();
  const wrotePid = writePidFile(pid);
  if (!wrotePid) log.debug(`could not write ${pid}`);

  return new Promise<number>((resolveExit) => {
    const stop = (signal: string) => {
      log.notice(`Signal ${signal}: exiting`);
      process.off("SIGHUP", reload);
      void server.close().then(() => {
        if (wrotePid) rmSync(pid, { force: true });
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
