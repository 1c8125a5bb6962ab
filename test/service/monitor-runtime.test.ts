/**
 * The monitoring process's V8 settings (service/monitor-runtime.ts): which flags it sets for which V8
 * and command line (a table), and, in child processes of the Node running the tests (V8 flags are per
 * process), what they do there: on V8 11 (Node 20) a function the monitor calls a thousand times is
 * compiled by TurboFan with them and is not with V8's default tier-up; on V8 12+ TurboFan stays off.
 * Checked with V8's own optimization status bits (64: TurboFan).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EARLY_INTERRUPT_BUDGET, monitorRuntimeFlags } from "../../src/service/monitor-runtime.js";

const EARLY = [`--interrupt-budget=${EARLY_INTERRUPT_BUDGET}`, "--no-allocation-site-pretenuring"];
const MODULE = join(import.meta.dirname, "../../dist/service/monitor-runtime.js");
const TURBOFANNED = 64;

/**
 * In a fresh node: useMonitorRuntimeSettings(), then a poll-sized function called `calls` times (one
 * call at a time, as rounds call it); the flags it set and the function's optimization status.
 */
function statusIn(nodeFlags: string[], calls = 1000): { flags: string[]; status: number } {
  const script = `
    import { useMonitorRuntimeSettings } from ${JSON.stringify(MODULE)};
    const flags = useMonitorRuntimeSettings();
    function poll(o, now) {
      const status = o.vars["ups.status"];
      if (status !== o.last) { o.last = status; o.changes++; }
      o.seenMs = now;
      return status.length > 1 && o.changes < 10 ? o.changes : -1;
    }
    const o = { vars: { "ups.status": "OL" }, last: "", changes: 0, seenMs: 0 };
    let s = 0;
    for (let i = 0; i < ${calls}; i++) s += poll(o, i);
    %FinalizeOptimization();
    console.log(JSON.stringify({ flags, status: %GetOptimizationStatus(poll), s }));`;
  const out = execFileSync(
    process.execPath,
    ["--allow-natives-syntax", ...nodeFlags, "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(out) as { flags: string[]; status: number };
}

describe("the monitor's V8 settings", () => {
  it.each([
    ["V8 11 (Node 20)", [], 11, EARLY],
    ["V8 11, the units' flags", ["--max-semi-space-size=1", "--v8-pool-size=1"], 11, EARLY],
    ["V8 12 (Node 22)", [], 12, ["--no-opt"]],
    ["V8 13 (Node 24)", ["--max-semi-space-size=1"], 13, ["--no-opt"]],
    ["TurboFan off on the command line", ["--no-opt"], 11, []],
    ["TurboFan's default tier-up asked for", ["--opt"], 13, []],
    ["its own budget", ["--interrupt-budget=500"], 11, []],
    ["its own invocation count", ["--invocation-count-for-turbofan=10"], 13, []],
    ["its own top tier", ["--max-opt=2"], 13, []],
  ])("%s: no memory reducer for small heaps, and the early tier-up unless chosen", (_, argv, v8, more) => {
    expect(monitorRuntimeFlags(argv, v8)).toEqual(["--no-memory-reducer-for-small-heaps", ...more]);
  });

  const v8Major = Number.parseInt(process.versions.v8, 10);
  it(`on this Node (V8 ${v8Major}): ${v8Major < 12 ? "compiles a function called a thousand times (the steady poll path after minutes, not hours)" : "no TurboFan"}`, () => {
    const r = statusIn([], v8Major < 12 ? 1000 : 20_000);
    expect(r.flags).toEqual(monitorRuntimeFlags([], v8Major));
    expect(r.status & TURBOFANNED).toBe(v8Major < 12 ? TURBOFANNED : 0);
  });

  it("V8's default tier-up (--opt) has not compiled it after the same calls", () => {
    const r = statusIn(["--opt"]);
    expect(r.flags).toEqual(["--no-memory-reducer-for-small-heaps"]);
    expect(r.status & TURBOFANNED).toBe(0);
  });

  it("a process started with --no-opt keeps TurboFan off", () => {
    const r = statusIn(["--no-opt"], 20_000);
    expect(r.status & TURBOFANNED).toBe(0);
  });
});
