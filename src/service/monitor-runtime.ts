/**
 * The V8 setting of a monitoring process (`-p`, and the unprivileged child of split mode): no TurboFan.
 *
 * A monitor runs the same few hundred functions once per UPS per poll interval and sleeps between
 * rounds. Measured at 100 UPSes (bench/scale-cpu.ts, bench/README.md), TurboFan kept recompiling that
 * code on V8's worker threads in steady state (about 40 % of the process's CPU in `perf` samples,
 * a minute after start), so the monitor costs less CPU per round and ~10 MB less RSS with its code left
 * in the interpreter and the baseline compiler (Node 24 still has Maglev, its fast mid-tier). The flag
 * is set at run time, before the monitor's modules load (`--no-opt` is not allowed in NODE_OPTIONS);
 * a process started with `--opt`/`--turbofan` keeps TurboFan (A/B measurements). The monitor units
 * start Node 24+ `--jitless` as well (units/, service/install.ts): no compiler at all, less RSS.
 *
 * And no memory reducer for small heaps: V8 starts it once the old generation has grown a little (a
 * monitor's start-up does that), and it then wakes the process every 8 s to decide whether to run a
 * memory-reducing collection. A monitor between polls allocates almost nothing and collects young
 * objects rarely, so V8's allocation-rate estimate stays at its start-up value: the reducer reports
 * "high alloc" at every wake (`--trace-memory-reducer`) and never collects, on Node 20 and 24 alike,
 * for as long as the monitor runs (seen over 16 minutes). At POLLFREQ 1 those wakes were a third of a
 * wake-up per cycle on top of the poll's own (bench/README.md, tenth pass). The flag only keeps V8
 * from starting the reducer for a small heap; collections when the heap reaches its limits are
 * unchanged (RSS at 100 UPSes: the same pass). Set at run time as well (not allowed in NODE_OPTIONS),
 * before the monitor's modules load.
 */
import { setFlagsFromString } from "node:v8";

const KEEP = new Set(["--opt", "--turbofan"]);

/** Applies the monitoring process's V8 settings; true when TurboFan was turned off (not started with --opt). */
export function useMonitorRuntimeSettings(execArgv: readonly string[] = process.execArgv): boolean {
  setFlagsFromString("--no-memory-reducer-for-small-heaps");
  if (execArgv.some((a) => KEEP.has(a))) return false;
  setFlagsFromString("--no-opt");
  return true;
}
