/** Per-process figures for the benchmarks, read from /proc. */
import { readdirSync, readFileSync } from "node:fs";

/** CPU time of every thread of a process, in seconds, with nanosecond resolution (schedstat of each task in /proc/PID/task). */
export function schedCpuSec(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
  }
  return ns / 1e9;
}

export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * A process's anonymous (private, written) memory in kB (smaps_rollup): its own heap and stacks, without
 * the file pages RSS also counts (Node's binary is ~40 MB of them, shared with every Node process, and how
 * many are mapped varies with the page cache from run to run).
 */
export function anonKb(pid: number): number {
  const m = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

/** User and system CPU of a process (all threads), in seconds (clock ticks of 10 ms: for long windows). */
export function userSysSec(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
}
