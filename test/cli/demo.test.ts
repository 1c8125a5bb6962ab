/** `nutguard demo` as a user runs it (the built CLI): output, exit code, temp files, Ctrl-C. */
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
  const m = /touch (\/\S+)\/shutdown-ran/.exec(stdout);
  if (!m) throw new Error(`no temp dir in output:\n${stdout}`);
  return m[1]!;
}

describe("nutguard demo", () => {
  it("shows the status and each event through the power failure, runs the harmless SHUTDOWNCMD, exits 0", async () => {
    const demo = startDemo(["--step-sec", "1"]);
    expect(await demo.exited).toBe(0);
    const out = demo.out();
    const order = [
      /UPS +OL CHRG +charge 100%/,
      /UPS +OB DISCHRG +charge {2}78%/,
      /EVENT +ONBATT: UPS demo@127\.0\.0\.1:\d+ on battery/,
      /UPS +OB LB DISCHRG +charge {2}15% {2}runtime {3}3m00s/,
      /EVENT +LOWBATT: UPS demo@127\.0\.0\.1:\d+ battery is low/,
      /UPS +FSD OB LB DISCHRG/,
      /EVENT +FSD: UPS demo@127\.0\.0\.1:\d+: forced shutdown in progress/,
      /EVENT +SHUTDOWN: Auto logout and shutdown proceeding/,
      /ACTION SHUTDOWNCMD: touch /,
      /Simulated shutdown complete/,
    ];
    let from = 0;
    for (const re of order) {
      const rest = out.slice(from);
      const m = re.exec(rest);
      expect(m, `expected ${re} after offset ${from} in:\n${out}`).not.toBeNull();
      from += m!.index + m![0].length;
    }
    expect(out).not.toContain("COMMBAD");
    expect(demo.err()).toBe("");
    expect(existsSync(tempDirOf(out))).toBe(false);
  }, 60_000);

  it("stops cleanly on Ctrl-C before the shutdown (exit 130, temp files removed)", async () => {
    const demo = startDemo(["--step-sec", "5"]);
    const deadline = Date.now() + 20_000;
    while (!/UPS +OL/.test(demo.out()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    demo.child.kill("SIGINT");
    expect(await demo.exited).toBe(130);
    expect(demo.out()).toContain("Interrupted: stopping the demo.");
    expect(demo.out()).not.toContain("SHUTDOWNCMD:");
    expect(existsSync(tempDirOf(demo.out()))).toBe(false);
  }, 60_000);

  it("rejects a bad option with usage and exit 2", async () => {
    const demo = startDemo(["--step-sec", "0"]);
    expect(await demo.exited).toBe(2);
    expect(demo.err()).toContain("--step-sec needs a whole number from 1 to 60");
  });
});
