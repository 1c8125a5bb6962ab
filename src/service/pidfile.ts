/**
 * The daemon's PID file: `<dir>/nutguard-monitor.pid`, content "PID\n" (the format NUT's tools and
 * systemd's PIDFile= read), owned by root, holding the PID of the main process (the supervisor, or
 * the single `-p` process) - never the unprivileged child's.
 *
 * Node has no fcntl/flock, so liveness is proven without a lock:
 * - creation is exclusive and atomic: the content goes to a temp file first, which is then
 *   hard-linked to the final name (link(2) fails with EEXIST if the name exists, so two starting
 *   instances cannot both win, and a reader never sees a half-written file);
 * - an existing file only blocks start-up when the PID in it is alive, not a zombie, carries the
 *   daemon's process title, and started no later than the file was written (proc-identity.ts).
 *   Anything else is stale: it is replaced with a notice, not an error;
 * - the file is removed on clean exit, and only if it still names this process.
 *
 * Also the read side for `-c reload|stop|fsd`, which never modifies or deletes the file.
 * `nutguard server` keeps its own PID file the same way, with its own owner (title and name).
 */
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../util/log.js";
import { type Identity, identify, SUPERVISOR_TITLE } from "./proc-identity.js";

export const PID_FILE_NAME = "nutguard-monitor.pid";

/** Whose PID file it is: the process title a live owner carries, and its name for messages. */
export interface PidFileOwner {
  title: string;
  name: string;
}
/** The monitor daemon (main process: supervisor or -p). */
export const MONITOR_OWNER: PidFileOwner = { title: SUPERVISOR_TITLE, name: "nutguard monitor" };

export function pidFilePath(dir: string): string {
  return join(dir, PID_FILE_NAME);
}

export type PidFileState =
  | { kind: "absent" }
  | { kind: "unreadable"; reason: string }
  | { kind: "invalid"; content: string }
  | { kind: "live"; pid: number }
  | { kind: "stale"; pid: number; identity: Exclude<Identity, { kind: "ours" }> };

/** Parses "PID\n" like NUT's parsepidfile(): leading decimal number; PIDs < 2 are invalid. */
export function parsePid(content: string): number | undefined {
  const m = /^\s*(\d{1,10})\s*$/.exec(content.split("\n")[0] ?? "");
  const pid = m ? Number(m[1]) : Number.NaN;
  return Number.isSafeInteger(pid) && pid >= 2 && pid <= 4194304 ? pid : undefined;
}

export function inspectPidFile(path: string, owner: PidFileOwner = MONITOR_OWNER): PidFileState {
  let content: string;
  let mtimeMs: number;
  try {
    content = readFileSync(path, "utf8");
    mtimeMs = statSync(path).mtimeMs;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "absent" };
    return { kind: "unreadable", reason: `${path}: ${(err as Error).message}` };
  }
  const pid = parsePid(content);
  if (pid === undefined) return { kind: "invalid", content: content.slice(0, 40) };
  const identity = identify(pid, mtimeMs, owner.title);
  if (identity.kind === "ours") return { kind: "live", pid };
  return { kind: "stale", pid, identity };
}

export function describeStale(state: Extract<PidFileState, { kind: "stale" }>): string {
  const id = state.identity;
  switch (id.kind) {
    case "gone":
      return `PID ${state.pid} is not running`;
    case "zombie":
      return `PID ${state.pid} is a zombie`;
    case "other-program":
      return `PID ${state.pid} is another program (${id.info.argv0 || "no command line"})`;
    case "newer-than-file":
      return `PID ${state.pid} was reused by a process started after the file was written`;
  }
}

export class AlreadyRunningError extends Error {
  constructor(
    readonly path: string,
    readonly pid: number,
    name = MONITOR_OWNER.name,
  ) {
    super(
      `Fatal error: A previous ${name} instance is already running (PID ${pid}, ${path})! ` +
        "Either stop the previous instance first, or use the 'reload' command.",
    );
    this.name = "AlreadyRunningError";
  }
}

export interface HeldPidFile {
  path: string;
  pid: number;
  /** Removes the file if it still names this PID. Safe to call more than once. */
  release(): void;
}

/**
 * Creates the PID file for `pid` (default: this process), replacing a stale one with a notice.
 * Throws AlreadyRunningError when a live instance holds it, or an Error naming the path when the
 * file cannot be written.
 */
export function acquirePidFile(
  path: string,
  log: Logger,
  pid = process.pid,
  owner: PidFileOwner = MONITOR_OWNER,
): HeldPidFile {
  const tmp = `${path}.${pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 2) throw err;
      }
      const state = inspectPidFile(path, owner);
      if (state.kind === "live") throw new AlreadyRunningError(path, state.pid, owner.name);
      if (state.kind === "stale") log.notice(`Replacing stale PID file ${path}: ${describeStale(state)}`);
      else if (state.kind === "invalid") log.notice(`Replacing unparsable PID file ${path}`);
      else if (state.kind === "unreadable") throw new Error(state.reason);
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  let released = false;
  return {
    path,
    pid,
    release() {
      if (released) return;
      released = true;
      try {
        if (parsePid(readFileSync(path, "utf8")) === pid) unlinkSync(path);
      } catch {
        // gone already (e.g. systemd removed it): nothing to do
      }
    },
  };
}
