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
 */
import { setFlagsFromString } from "node:v8";

const KEEP = new Set(["--opt", "--turbofan"]);

export function useMonitorRuntimeSettings(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => KEEP.has(a))) return false;
  setFlagsFromString("--no-opt");
  return true;
}
