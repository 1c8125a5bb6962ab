/**
 * `nutguard demo` as a user runs it (the built CLI): a drill on the built-in example configuration —
 * the example files, the timeline in order, the findings, exit code, temp files, Ctrl-C.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");

function startDemo(args: string[]) {
  const child = spawn(process.execPath, [MAIN, "demo", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
  exited.finally(() => clearTimeout(kill));
  return { child, exited, out: () => stdout, err: () => stderr };
}

function tempDirOf(stdout: string): string {
  const m = /The example configuration \(in (\/\S+)\):/.exec(stdout);
  if (!m) throw new Error(`no temp dir in output:\n${stdout}`);
  return m[1]!;
}

/** Each pattern found after the previous one. */
function expectInOrder(out: string, order: RegExp[]): void {
  let from = 0;
  for (const re of order) {
    const m = re.exec(out.slice(from));
    expect(m, `expected ${re} after offset ${from} in:\n${out}`).not.toBeNull();
    from += m!.index + m![0].length;
  }
}

describe("nutguard demo", () => {
  it("plays the example configuration's power failure through the drill: events, upssched, channel, SHUTDOWNCMD recorded; exit 0", async () => {
    const demo = startDemo(["--step-sec", "0"]);
    expect(await demo.exited).toBe(0);
    const out = demo.out();
    expectInOrder(out, [
      /upsmon\.conf +MONITOR demo@localhost 1 demo-monitor secret primary/,
      /upssched\.conf +CMDSCRIPT \/usr\/local\/bin\/ups-alert/,
      /nutguard\.conf +\[phone\]/,
      /t\+0s +MAINS-LOST +demo@localhost: mains lost \(charge 100%, runtime 1500 s\)/,
      /t\+\ds +ONBATT +demo@localhost: UPS demo@localhost on battery {2}→ syslog, wall, upssched/,
      /UPSSCHED +START-TIMER onbatt-5min 300 s/,
      /NOTIFY +phone \(ntfy\): ONBATT: .*\(recorded, not sent\)/,
      /t\+2m00s +BATTERY +demo@localhost: OB DISCHRG, charge 92%, runtime 1380 s/,
      /t\+5m0\ds +CMDSCRIPT +demo@localhost: \/usr\/local\/bin\/ups-alert onbatt-5min {2}\(timer fired; NOTIFYTYPE=ONBATT\) {2}\(recorded, not run\)/,
      /t\+22m00s +LB +demo@localhost: battery low \(LB\)/,
      /LOWBATT +demo@localhost: UPS demo@localhost battery is low/,
      /CMDSCRIPT +demo@localhost: \/usr\/local\/bin\/ups-alert battery-low {2}\(EXECUTE/,
      /DECISION +shutdown decided: demo@localhost critical \(oblb-primary\)/,
      /FSD +demo@localhost: UPS demo@localhost: forced shutdown in progress/,
      /SHUTDOWN +Auto logout and shutdown proceeding/,
      /t\+22m\d\ds +SHUTDOWNCMD +\/sbin\/shutdown -h \+0 {2}\(recorded, not run\)/,
      /Findings: none\. The example's plan works\./,
      /Simulated shutdown complete/,
    ]);
    expect(out).not.toContain("COMMBAD");
    expect(demo.err()).toBe("");
    expect(existsSync(tempDirOf(out))).toBe(false);
  }, 60_000);

  it("paces the timeline for a reader and stops cleanly on Ctrl-C (exit 130, temp files removed)", async () => {
    const demo = startDemo(["--step-sec", "5"]);
    const deadline = Date.now() + 30_000;
    while (!/MAINS-LOST/.test(demo.out()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    demo.child.kill("SIGINT");
    expect(await demo.exited).toBe(130);
    expect(demo.out()).toContain("Interrupted: stopping the demo.");
    // paced: the shutdown 22 simulated minutes later was not shown yet
    expect(demo.out()).not.toMatch(/SHUTDOWNCMD +\/sbin\/shutdown -h \+0 {2}\(recorded/);
    expect(demo.out()).not.toContain("Simulated shutdown complete");
    expect(existsSync(tempDirOf(demo.out()))).toBe(false);
  }, 60_000);

  it("rejects a bad option with usage and exit 2", async () => {
    const demo = startDemo(["--step-sec", "-1"]);
    expect(await demo.exited).toBe(2);
    expect(demo.err()).toContain("--step-sec needs a number from 0 to 60");
  });
});
