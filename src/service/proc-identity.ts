/**
 * Is PID n a live nutguard monitor? Reads /proc only; never signals anything.
 *
 * nutguard's daemon sets its process title (`process.title`), which Linux shows as the first
 * word of /proc/PID/cmdline. A PID counts as ours when the process is alive, not a zombie, its title
 * is one of ours, and it started no later than the PID file was written (a PID reused by a newer
 * process fails that test even if it happens to be another nutguard).
 */
import { readFileSync } from "node:fs";

/** Titles of the processes whose PID may be in the PID file: the supervisor, or the `-p` single process. */
export const SUPERVISOR_TITLE = "nutguard-monitor";
/** Title of the unprivileged monitor child (never in the PID file). */
export const MONITOR_CHILD_TITLE = "nutguard-monitor-child";

/** Linux's USER_HZ (the unit of /proc/PID/stat start times); 100 on every mainstream architecture. */
const CLOCK_TICKS_PER_SEC = 100;

export interface ProcInfo {
  pid: number;
  /** One-letter state from /proc/PID/stat (R, S, D, Z, ...). */
  state: string;
  /** Parent PID from /proc/PID/stat. */
  ppid: number;
  /** The kernel's command name from /proc/PID/stat (as /proc/PID/comm: at most 15 characters). */
  comm: string;
  /** First NUL-separated word of /proc/PID/cmdline ("" for zombies and kernel threads). */
  argv0: string;
  /** When the process started, in ms since the epoch. */
  startedAtMs: number;
}

let bootTimeMs: number | undefined;
function bootTime(): number {
  if (bootTimeMs === undefined) {
    const m = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    bootTimeMs = m ? Number(m[1]) * 1000 : 0;
  }
  return bootTimeMs;
}

/** Reads what /proc says about PID, or undefined when there is no such process. */
export function readProcInfo(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ..." - comm may contain spaces and parentheses, so split after the last ')'.
  const close = stat.lastIndexOf(")");
  const rest = stat.slice(close + 2).split(" ");
  const state = rest[0] ?? "?";
  const startTicks = Number(rest[19]); // field 22 overall
  let argv0 = "";
  try {
    argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
  } catch {
    // raced with exit
  }
  return {
    pid,
    state,
    ppid: Number(rest[1]),
    comm: stat.slice(stat.indexOf("(") + 1, close),
    argv0: argv0.trim(),
    startedAtMs: bootTime() + (startTicks * 1000) / CLOCK_TICKS_PER_SEC,
  };
}

export type Identity =
  | { kind: "ours"; info: ProcInfo }
  | { kind: "gone" }
  | { kind: "zombie"; info: ProcInfo }
  | { kind: "other-program"; info: ProcInfo }
  | { kind: "newer-than-file"; info: ProcInfo };

/**
 * Classifies PID against the PID file that named it. `writtenAtMs` is the file's mtime; a process
 * that started more than `slackMs` after it cannot have written it.
 */
export function identify(
  pid: number,
  writtenAtMs: number,
  title: string = SUPERVISOR_TITLE,
  slackMs = 2000,
): Identity {
  const info = readProcInfo(pid);
  if (!info) return { kind: "gone" };
  if (info.state === "Z" || info.state === "X") return { kind: "zombie", info };
  if (info.argv0 !== title) return { kind: "other-program", info };
  if (info.startedAtMs > writtenAtMs + slackMs) return { kind: "newer-than-file", info };
  return { kind: "ours", info };
}
