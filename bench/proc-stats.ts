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
