/**
 * The drill on a production-like host: Debian's upsd and dummy-ups serve a UPS that a real
 * `nutguard monitor -p` watches as primary. `nutguard drill -f <that monitor's upsmon.conf>` plays a
 * 20-minute outage beside it. The real UPS's variables and NUMLOGINS are as before, the real monitor
 * saw nothing and still runs, SHUTDOWNCMD's marker file never appears, POWERDOWNFLAG is not written.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/client.js";
import { runOurs } from "../cli/run-tool.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type NutguardMonitor, startNutguardMonitor } from "../helpers/nutguard-monitor.js";
import { RACK_UPS_DEV } from "./rack-ups.js";

let stack: NutStack;
let monitor: NutguardMonitor;

async function varsOf(): Promise<Record<string, string>> {
  const c = await NutClient.connect({ host: stack.host, port: stack.port });
  try {
    return Object.fromEntries((await c.listVar("rack")).map((v) => [v.name, v.value]));
  } finally {
    await c.close();
  }
}

beforeAll(async () => {
  stack = await startNutStack({ devices: { rack: { dev: RACK_UPS_DEV } } });
  monitor = await startNutguardMonitor(stack, { role: "primary", pollFreqSec: 1 });
  await stack.waitFor(async () => (await stack.query("GET NUMLOGINS rack")) === "NUMLOGINS rack 1");
}, 60_000);

afterAll(async () => {
  await monitor?.stop();
  await stack?.stop();
});

describe("nutguard drill beside the real monitor", () => {
  it("plays a 20-minute outage on the twin and leaves the real UPS, upsd and monitor untouched", async () => {
    const before = await varsOf();
    const eventsBefore = monitor.events();
    const confPath = join(monitor.dir, "upsmon.conf");
    const r = await runOurs(
      "drill",
      ["-f", confPath, "--json", "--shutdown-takes", "60", "--state-dir", monitor.dir],
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    // the monitor's NOTIFYCMD stand-in sits in a 0700 directory: the default RUN_AS_USER cannot run it
    expect(report.findings.map((f: { id: string }) => f.id)).toEqual(["notifycmd-not-executable"]);
    expect(r.code).toBe(1);
    expect(report.ups).toEqual([{ system: `rack@127.0.0.1:${stack.port}`, source: "real" }]);
    const run = report.runs[0];
    // LB at 90 % of 1320 s (19m48s); SHUTDOWNCMD recorded within a poll of it (FINALDELAY 0)
    expect(run.timeline.find((e: { what: string }) => e.what === "LOWBATT").t).toMatch(/^t\+19m4[89]s$/);
    expect(run.shutdownAtSec).toBeGreaterThanOrEqual(1188);
    expect(run.shutdownAtSec).toBeLessThan(1200);
    expect(run.shutdownCommand).toBe(`${join(monitor.dir, "shutdown-cmd")}`);
    // the figure the README quotes: simulated minutes per wall second (not asserted)
    console.log(`drill: ${run.simulatedSec} s simulated in ${(run.wallMs / 1000).toFixed(2)} s of wall time`);

    expect(await varsOf()).toEqual(before);
    expect(await stack.query("GET NUMLOGINS rack")).toBe("NUMLOGINS rack 1");
    expect(await stack.query("GET VAR rack ups.status")).toBe('VAR rack ups.status "OL"');
    expect(monitor.shutdowns()).toEqual([]);
    expect(existsSync(monitor.flagPath)).toBe(false);
    expect(monitor.events()).toEqual(eventsBefore);
    const exitedEarly = await Promise.race([
      monitor.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 200)),
    ]);
    expect(exitedEarly).toBe(false);
  }, 180_000);
});
