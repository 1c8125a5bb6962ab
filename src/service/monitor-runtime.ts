/**
 * The V8 settings of a monitoring process (`-p`, and the unprivileged child of split mode): on Node 20
 * the steady poll path compiled early, on later Nodes no TurboFan; and no memory reducer for small
 * heaps. Set at run time, before the monitor's modules load (none of these flags is allowed in
 * NODE_OPTIONS). A process started with its own choice of tier-up keeps it (A/B measurements).
 *
 * Early tier-up (V8 11, Node 20). A monitor runs the same few dozen functions once or twice per UPS per
 * poll interval and sleeps between rounds. With V8's default tier-up that code is not compiled for
 * 10–20 minutes or more at one UPS polled once a second, and until then the interpreter runs a poll
 * cycle at about 1.6× the CPU of a Node process that only writes one request a second. With an interrupt
 * budget 34 times smaller TurboFan compiles the steady path within the first minutes (about 60
 * functions, each once, 0.4–3 ms each on a compile thread) and a cycle then costs 1.2–1.3× that floor
 * (bench/README.md, "Issue 16, fifteenth pass"; at 100 UPSes a round costs about 45 % less CPU, the
 * same pass). What it costs is memory: compiled code and the compiler's, 2–6 MB of RSS; the units keep
 * the compiler to one thread (`--v8-pool-size=1`), which saves about 4 MB more than it would take with
 * Node's four. And no
 * allocation-site pretenuring: at 100 UPSes compiled code otherwise allocated some of the round's
 * objects straight in the old generation, which grew until a full collection (none in 28 minutes) and
 * took RSS past 60 MB; without it the heap stays flat.
 *
 * No TurboFan (V8 12+, Node 22 and 24). The .deb's units run Node 24 `--jitless`, with no compiler at all
 * (RSS at 100 UPSes, sixth pass); a Node 24 started without it compiles with Maglev and Sparkplug but not
 * TurboFan, as measured there (an early TurboFan tier-up on Node 24 took RSS to 59.5 MB at one UPS,
 * fifteenth pass). The second pass turned TurboFan off on every Node: at 100 UPSes it kept recompiling
 * the poll path of that time on its worker threads.
 *
 * No memory reducer for small heaps: V8 starts it once the old generation has grown a little (a
 * monitor's start-up does that), and it then wakes the process every 8 s to decide whether to run a
 * memory-reducing collection. A monitor between polls allocates almost nothing and collects young
 * objects rarely, so V8's allocation-rate estimate stays at its start-up value: the reducer reports
 * "high alloc" at every wake (`--trace-memory-reducer`) and never collects, on Node 20 and 24 alike,
 * for as long as the monitor runs (seen over 16 minutes). At POLLFREQ 1 those wakes were a third of a
 * wake-up per cycle on top of the poll's own (bench/README.md, tenth pass). The flag only keeps V8
 * from starting the reducer for a small heap; collections when the heap reaches its limits are
 * unchanged (RSS at 100 UPSes: the same pass).
 */
import { setFlagsFromString } from "node:v8";

/**
 * V8 11's interrupt budget for the monitor (bytes of bytecode run between tier-up checks; V8's
 * default 67,584): a poll path function is then compiled after a few dozen polls, not thousands.
 */
export const EARLY_INTERRUPT_BUDGET = 2000;
/** The first V8 major that gets no TurboFan instead of the early tier-up. */
const NO_TURBOFAN_FROM_V8 = 12;

/** Flags on the command line that mean the tier-up was chosen there. */
const CHOSEN = /^--(no-)?(opt|turbofan|interrupt-budget|invocation-count-for-turbofan|max-opt)(=|$)/;

/** The V8 flags `useMonitorRuntimeSettings` sets for a V8 of major version `v8Major`, given `execArgv`. */
export function monitorRuntimeFlags(execArgv: readonly string[], v8Major: number): string[] {
  const flags = ["--no-memory-reducer-for-small-heaps"];
  if (execArgv.some((a) => CHOSEN.test(a))) return flags;
  if (v8Major >= NO_TURBOFAN_FROM_V8) flags.push("--no-opt");
  else flags.push(`--interrupt-budget=${EARLY_INTERRUPT_BUDGET}`, "--no-allocation-site-pretenuring");
  return flags;
}

/** Applies the monitoring process's V8 settings; returns the flags it set. */
export function useMonitorRuntimeSettings(execArgv: readonly string[] = process.execArgv): string[] {
  const flags = monitorRuntimeFlags(execArgv, Number.parseInt(process.versions.v8, 10));
  for (const f of flags) setFlagsFromString(f);
  return flags;
}
