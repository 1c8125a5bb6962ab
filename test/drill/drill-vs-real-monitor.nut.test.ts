/**
 * The drill's timeline against what the real monitor does on real time, event for event. One UPS
 * profile (20 s of runtime, LB at 50 %: 10 s into the outage): the drill plays it on its twin on
 * simulated time; Debian's dummy-ups plays the very same sequence (the drill's own twinSequence() of
 * planScenario("outage")) on real time to a real `nutguard monitor -p` with the same settings. Both
 * must notify the same events with the same messages in the same order (the real monitor's order read
 * from its own log) and end in SHUTDOWNCMD.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrill } from "../../src/drill/drill.js";
import { planScenario, twinProfile, twinSequence } from "../../src/drill/scenario.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type NutguardMonitor, startNutguardMonitor } from "../helpers/nutguard-monitor.js";

const VARS = {
  "ups.mfr": "Acme",
  "battery.charge": "100",
  "battery.runtime": "20",
  "battery.charge.low": "50",
  "battery.runtime.low": "5",
};
const PREROLL_SEC = 8;

let stack: NutStack;
let monitor: NutguardMonitor | undefined;

beforeAll(async () => {
  const profile = twinProfile(VARS);
  const seq = twinSequence(profile, planScenario("outage", profile).steps, PREROLL_SEC);
  stack = await startNutStack({
    devices: {
      probe: {
        dev: `${Object.entries(VARS)
          .map(([k, v]) => `${k}: ${v}`)
          .join("\n")}\nups.status: OL\n`,
      },
      play: { seq, mode: "dummy-once" },
    },
  });
}, 60_000);

afterAll(async () => {
  await monitor?.stop();
  await stack?.stop();
});

describe("the drill's timeline and the real monitor's", () => {
  it("notify the same events in the same order and both end in SHUTDOWNCMD", async () => {
    const real = await startNutguardMonitor(stack, {
      role: "primary",
      system: `play@${stack.host}:${stack.port}`,
      pollFreqSec: 1,
    });
    monitor = real;
    await stack.waitFor(async () => real.shutdowns().length > 0, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const realSequence = [...real.events().map((l) => l.split(" ")[0]!), "SHUTDOWNCMD"];

    const conf = (await readFile(join(real.dir, "upsmon.conf"), "utf8")).replaceAll("play@", "probe@");
    const drillConf = join(real.dir, "drill-upsmon.conf");
    await writeFile(drillConf, conf);
    const report = await runDrill({
      configPath: drillConf,
      scenarios: ["outage"],
      execNotify: false,
      shutdownTakesSec: 0,
      log: createMemoryLogger(),
    });
    const NOTIFY = /^[A-Z_]+$/;
    const drillNotes = report.runs[0]!.timeline.filter(
      (e) => e.detail.includes("  → ") && NOTIFY.test(e.what),
    );
    const drillSequence = [
      ...drillNotes.map((e) => e.what),
      ...report.runs[0]!.timeline.filter((e) => e.what === "SHUTDOWNCMD").map((e) => e.what),
    ];

    // NOTIFYCMD runs are separate processes that append in the order they finish: that side is
    // compared as a set; the order is the monitor's own log (NOTIFYFLAG SYSLOG, written as each
    // notification is delivered), compared event for event with the drill's, message for message
    expect([...realSequence].sort()).toEqual(["FSD", "LOWBATT", "ONBATT", "SHUTDOWN", "SHUTDOWNCMD"]);
    expect(drillSequence).toEqual(["ONBATT", "LOWBATT", "FSD", "SHUTDOWN", "SHUTDOWNCMD"]);
    const probe = report.runs[0]!.timeline.find((e) => e.what === "ONBATT")!.ups!;
    const realNotices = real.notices().map((m) => m.replaceAll(`play@${stack.host}:${stack.port}`, probe));
    expect(realNotices).toEqual(drillNotes.map((e) => e.detail.replace(/ {2}→ .*$/, "")));
    expect(realNotices).toEqual([
      `UPS ${probe} on battery`,
      `UPS ${probe} battery is low`,
      `UPS ${probe}: forced shutdown in progress`,
      "Auto logout and shutdown proceeding",
    ]);
    // when: the drill's LOWBATT is within a poll of LB (10 s after the mains were lost)
    const lowbatt = report.runs[0]!.timeline.find((e) => e.what === "LOWBATT")!;
    expect(lowbatt.tSec).toBeGreaterThanOrEqual(10);
    expect(lowbatt.tSec).toBeLessThanOrEqual(11);
  }, 120_000);
});
