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
import { startHttpReceiver } from "../helpers/http-receiver.js";
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

/**
 * The drill of the real monitor's own upsmon.conf (and nutguard.conf beside it), pointed at the static
 * "probe" UPS; its notifications (the timeline entries NOTIFYFLAG delivered) and the real monitor's
 * notices with the UPS renamed as in the drill.
 */
async function drillBeside(real: NutguardMonitor, realName: string) {
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
  const run = report.runs[0]!;
  const probe = run.timeline.find((e) => e.what === "ONBATT")!.ups!;
  const drillNotes = run.timeline.filter((e) => e.detail.includes("  → ") && /^[A-Z_]+$/.test(e.what));
  return {
    run,
    probe,
    drillNotes,
    drillMessages: drillNotes.map((e) => e.detail.replace(/ {2}→ .*$/, "")),
    realNotices: real.notices().map((m) => m.replaceAll(realName, probe)),
  };
}

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

    const { run, probe, drillNotes, drillMessages, realNotices } = await drillBeside(
      real,
      `play@${stack.host}:${stack.port}`,
    );
    const drillSequence = [
      ...drillNotes.map((e) => e.what),
      ...run.timeline.filter((e) => e.what === "SHUTDOWNCMD").map((e) => e.what),
    ];

    // NOTIFYCMD runs are separate processes that append in the order they finish: that side is
    // compared as a set; the order is the monitor's own log (NOTIFYFLAG SYSLOG, written as each
    // notification is delivered), compared event for event with the drill's, message for message
    expect([...realSequence].sort()).toEqual(["FSD", "LOWBATT", "ONBATT", "SHUTDOWN", "SHUTDOWNCMD"]);
    expect(drillSequence).toEqual(["ONBATT", "LOWBATT", "FSD", "SHUTDOWN", "SHUTDOWNCMD"]);
    expect(realNotices).toEqual(drillMessages);
    expect(realNotices).toEqual([
      `UPS ${probe} on battery`,
      `UPS ${probe} battery is low`,
      `UPS ${probe}: forced shutdown in progress`,
      "Auto logout and shutdown proceeding",
    ]);
    // when: the drill's LOWBATT is within a poll of LB (10 s after the mains were lost)
    const lowbatt = run.timeline.find((e) => e.what === "LOWBATT")!;
    expect(lowbatt.tSec).toBeGreaterThanOrEqual(10);
    expect(lowbatt.tSec).toBeLessThanOrEqual(11);
  }, 120_000);
});

describe("the drill's timeline and the real monitor's, with nutguard.conf", () => {
  it("a runtime threshold and a channel: the same critical reason, the same notifications in order, the same deliveries", async () => {
    // 60 s of battery, LB at 20 % (48 s in); the runtime threshold of 35 s is crossed at the 30 s update
    const vars = { ...VARS, "battery.runtime": "60", "battery.charge.low": "20" };
    const profile = twinProfile(vars);
    const seq = twinSequence(profile, planScenario("outage", profile).steps, PREROLL_SEC);
    const own = await startNutStack({
      devices: {
        probe: {
          dev: `${Object.entries(vars)
            .map(([k, v]) => `${k}: ${v}`)
            .join("\n")}\nups.status: OL\n`,
        },
        play: { seq, mode: "dummy-once" },
      },
    });
    const receiver = await startHttpReceiver();
    let real: NutguardMonitor | undefined;
    try {
      real = await startNutguardMonitor(own, {
        role: "primary",
        system: `play@${own.host}:${own.port}`,
        pollFreqSec: 1,
        files: {
          "nutguard.conf": `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\nevents = ONBATT LOWBATT FSD\n[thresholds]\nruntime = 35\n`,
        },
      });
      const r = real;
      await own.waitFor(async () => r.shutdowns().length > 0, 90_000);
      await receiver.waitFor(2);
      await new Promise((res) => setTimeout(res, 500));
      const realLog = await readFile(r.log, "utf8");

      const realName = `play@${own.host}:${own.port}`;
      const { run, drillNotes, drillMessages, realNotices } = await drillBeside(r, realName);

      // the same rule decided, at the same update of the battery (30 s after the mains were lost)
      expect(run.timeline.find((e) => e.what === "DECISION")!.detail).toContain(
        "critical (runtime-threshold)",
      );
      expect(realLog).toContain(
        `UPS [${realName}]: battery.runtime 30 s is at or below the threshold of 35 s (nutguard.conf) - declaring a critical state`,
      );
      const decided = run.timeline.find((e) => e.what === "DECISION")!.tSec;
      expect(decided).toBeGreaterThanOrEqual(30);
      expect(decided).toBeLessThanOrEqual(31);
      // the same notifications, message for message, in order; no LOWBATT on either side
      expect(realNotices).toEqual(drillMessages);
      expect(drillNotes.map((e) => e.what)).toEqual(["ONBATT", "FSD", "SHUTDOWN"]);
      // the channel: what the real monitor delivered is what the drill recorded
      const delivered = receiver.requests.map((q) => (JSON.parse(q.body) as { event: string }).event);
      expect(delivered).toEqual(["ONBATT", "FSD"]);
      expect(run.timeline.filter((e) => e.what === "NOTIFY").map((e) => e.detail.split(": ")[1])).toEqual(
        delivered,
      );
    } finally {
      await real?.stop();
      await receiver.close();
      await own.stop();
    }
  }, 180_000);
});
