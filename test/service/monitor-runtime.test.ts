/**
 * The monitoring process's V8 setting (service/monitor-runtime.ts): after it, TurboFan no longer
 * optimizes a hot function; a process started with --opt keeps TurboFan. Checked in child processes
 * (V8 flags are per process) with V8's own optimization status bits (64: TurboFan code).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const MODULE = join(import.meta.dirname, "../../dist/service/monitor-runtime.js");
const TURBOFANNED = 64;

/** Runs a hot function in a fresh node after useMonitorRuntimeSettings(); its status and the call's result. */
function statusIn(nodeFlags: string[]): { applied: boolean; status: number } {
  const script = `
    import { useMonitorRuntimeSettings } from ${JSON.stringify(MODULE)};
    const applied = useMonitorRuntimeSettings();
    function hot(x) { return x * 2 + 1; }
    let s = 0;
    for (let i = 0; i < 3e7; i++) s += hot(i);
    console.log(JSON.stringify({ applied, status: %GetOptimizationStatus(hot), s: s > 0 }));`;
  const out = execFileSync(
    process.execPath,
    ["--allow-natives-syntax", ...nodeFlags, "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  return JSON.parse(out) as { applied: boolean; status: number };
}

describe("the monitor's V8 setting", () => {
  it("leaves hot code to the interpreter and baseline tiers (no TurboFan)", () => {
    const r = statusIn([]);
    expect(r.applied).toBe(true);
    expect(r.status & TURBOFANNED).toBe(0);
  });

  it("a process started with --opt keeps TurboFan (for A/B measurements)", () => {
    const r = statusIn(["--opt"]);
    expect(r.applied).toBe(false);
    expect(r.status & TURBOFANNED).toBe(TURBOFANNED);
  });
});
