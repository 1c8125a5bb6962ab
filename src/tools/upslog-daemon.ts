/**
 * upslog's running part: resolves `*` systems with LIST UPS, opens the log targets (append; `-` is
 * stdout; several systems may share a file), writes the PID file, drops privileges, then polls every
 * `intervalSec`: one line per system per poll, written and flushed at once. Reconnects when a
 * connection is down (variables print `NA` meanwhile); above 30 s intervals it disconnects after each
 * poll (upsd drops clients idle for 60 s). SIGHUP reopens the files (rotation), SIGUSR1 logs at once,
 * SIGINT/SIGQUIT/SIGTERM end it cleanly.
 *
 * Must not: parse argv (upslog-options.ts does) or format lines (upslog-format.ts does).
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { constants as osConstants, hostname as osHostname } from "node:os";
import { dirname, join } from "node:path";
import type { NutClient } from "../client/client.js";
import type { UpsTarget } from "../protocol/upsname.js";
import type { Logger } from "../util/log.js";
import { parseUpsTarget } from "./admin-tool.js";
import { BROKEN_PIPE_EXIT, connectTo, describeError, fatal } from "./tool-support.js";
import { compileLogFormat, type LogFormatItem, logFormatVariables, renderLogLine } from "./upslog-format.js";
import type { UpslogTarget } from "./upslog-options.js";

export interface UpslogRunOptions {
  targets: UpslogTarget[];
  intervalSec: number;
  maxPolls: number;
  format: string;
  connectTimeoutMs: number;
  /** PID file path (already resolved), or undefined for none. */
  pidFile: string | undefined;
  /** Switch to this user after opening the files, when running as root. */
  user: string | undefined;
  log: Logger;
  /** Print the "logging status of ..." lines and connection warnings (false in the background child). */
  announce: boolean;
  /** Aborted when stdout's reader went away: stop cleanly and return 141, like a SIGPIPE death. */
  stop?: AbortSignal;
}

interface LogFile {
  path: string;
  fd: number | "stdout";
}

interface Monitored extends UpsTarget {
  /** As given, or `name@host:port` for an expanded `*`. */
  system: string;
  file: LogFile;
  client: NutClient | undefined;
}

/** NUT's writepid(): an absolute name as is, else `<NUT_PIDPATH or /run/nut>/<name>.pid`. */
export function pidFilePath(base: string, env: NodeJS.ProcessEnv): string {
  if (base.startsWith("/")) return base;
  return join(env.NUT_PIDPATH ?? "/run/nut", `${base}.pid`);
}

async function expandSystems(o: UpslogRunOptions, files: Map<string, LogFile>): Promise<Monitored[]> {
  const out: Monitored[] = [];
  for (const t of o.targets) {
    const target = parseUpsTarget(t.system);
    let file = files.get(t.logFile);
    if (!file) {
      file = { path: t.logFile, fd: "stdout" };
      files.set(t.logFile, file);
    }
    if (target.upsname !== "*") {
      out.push({ ...target, system: t.system, file, client: undefined });
      continue;
    }
    o.log.info(`Querying ${target.host}:${target.port} for currently served devices`);
    let client: NutClient;
    try {
      client = await connectTo(target, o.connectTimeoutMs);
    } catch (err) {
      throw fatal(`Error: ${describeError(err)}`);
    }
    try {
      const list = await client.listUps();
      if (list.length === 0) {
        o.log.warning(`Data server at ${target.host}:${target.port} does not currently serve any devices`);
      }
      for (const u of list) {
        const system = `${u.name}@${target.host}:${target.port}`;
        out.push({ upsname: u.name, host: target.host, port: target.port, system, file, client: undefined });
      }
    } catch (err) {
      throw fatal(`Error: ${describeError(err)}`);
    } finally {
      await client.close();
    }
  }
  if (out.length === 0) throw fatal("Queries failed to find anything");
  return out;
}

function openLogFile(file: LogFile): void {
  if (file.path === "-") {
    file.fd = "stdout";
    return;
  }
  try {
    file.fd = openSync(file.path, "a", 0o644);
  } catch (err) {
    throw fatal(`could not open logfile ${file.path}: ${(err as Error).message}`);
  }
}

function writeLine(file: LogFile, line: string): void {
  if (file.fd === "stdout") process.stdout.write(line);
  else writeSync(file.fd, line);
}

function writePidFile(path: string, log: Logger): void {
  const tmp = join(dirname(path), `.${process.pid}.upslog.pid.tmp`);
  try {
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    log.notice(`writepid: fopen ${path}: ${(err as Error).message}`);
  }
}

/** uid and primary gid of a user from /etc/passwd (getpwnam without a native addon). */
function lookupUser(user: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

function dropPrivileges(user: string | undefined): void {
  if (!user || typeof process.getuid !== "function" || process.getuid() !== 0) return;
  const ids = lookupUser(user);
  if (!ids) throw fatal(`user ${user} not found`);
  process.setgroups?.([ids.gid]);
  process.setgid?.(ids.gid);
  process.setuid?.(ids.uid);
}

/** NUT logs signals by number ("Signal 15: exiting"). */
function signalNumber(name: string): number | string {
  return osConstants.signals[name as NodeJS.Signals] ?? name;
}

export async function runUpslog(o: UpslogRunOptions): Promise<number> {
  const files = new Map<string, LogFile>();
  const systems = await expandSystems(o, files);
  for (const file of files.values()) openLogFile(file);
  const items: LogFormatItem[] = compileLogFormat(o.format);
  const varNames = logFormatVariables(items);
  const hostname = osHostname();

  for (const m of systems) {
    if (o.announce) {
      process.stdout.write(
        `logging status of ${m.system} to ${m.file.path === "-" ? "stdout" : m.file.path} (${o.intervalSec}s intervals)\n`,
      );
    }
    try {
      m.client = await connectTo(m, o.connectTimeoutMs);
    } catch (err) {
      if (o.announce) process.stderr.write(`Warning: initial connect failed: ${describeError(err)}\n`);
    }
  }
  if (o.pidFile) writePidFile(o.pidFile, o.log);
  dropPrivileges(o.user);

  let exitSignal: string | undefined;
  let reopen: string | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (sig === "SIGHUP") reopen = sig;
    else if (sig !== "SIGUSR1") exitSignal = sig;
    wake?.();
  };
  const signals: NodeJS.Signals[] = ["SIGHUP", "SIGUSR1", "SIGINT", "SIGQUIT", "SIGTERM"];
  for (const s of signals) process.on(s, onSignal);
  // e.g. `upslog -l - | head`: NUT dies of SIGPIPE; stop the same way, but cleanly (PID file, connections)
  const onStop = () => onSignal("SIGPIPE");
  if (o.stop?.aborted) onStop();
  o.stop?.addEventListener("abort", onStop);

  const pollOnce = async (m: Monitored): Promise<void> => {
    if (!m.client?.isOpen) {
      m.client = await connectTo(m, o.connectTimeoutMs).catch(() => undefined);
    }
    const client = m.client;
    const values = new Map<string, string>();
    if (client) {
      const got = await Promise.all(varNames.map((v) => client.getVar(m.upsname, v).catch(() => undefined)));
      varNames.forEach((v, i) => {
        const value = got[i];
        if (value !== undefined) values.set(v, value);
      });
    }
    const line = renderLogLine(items, {
      now: new Date(),
      hostname,
      upshost: m.system,
      pid: process.pid,
      values,
    });
    writeLine(m.file, `${line}\n`);
    if (o.intervalSec > 30 && m.client) {
      await m.client.close();
      m.client = undefined;
    }
  };

  let polls = 0;
  try {
    while (exitSignal === undefined) {
      const started = Date.now();
      if (reopen) {
        o.log.info(`Signal ${signalNumber(reopen)}: reopening log file`);
        for (const file of files.values()) {
          if (file.fd !== "stdout") closeSync(file.fd);
          openLogFile(file);
        }
        reopen = undefined;
      }
      for (const m of systems) await pollOnce(m);
      polls++;
      if (o.maxPolls > 0 && polls >= o.maxPolls) {
        o.log.info(`${o.maxPolls} loops have elapsed`);
        break;
      }
      const waitMs = Math.max(0, o.intervalSec * 1000 - (Date.now() - started));
      if (exitSignal === undefined && !reopen) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
    if (exitSignal) o.log.info(`Signal ${signalNumber(exitSignal)}: exiting`);
    return o.stop?.aborted ? BROKEN_PIPE_EXIT : 0;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    o.stop?.removeEventListener("abort", onStop);
    await Promise.all(systems.map((m) => m.client?.close()));
    for (const file of files.values()) if (file.fd !== "stdout") closeSync(file.fd);
    if (o.pidFile) {
      try {
        rmSync(o.pidFile, { force: true });
      } catch {
        // after dropping privileges the PID directory may not be writable; NUT leaves the file too
      }
    }
  }
}
