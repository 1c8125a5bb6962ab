import { describe, expect, it } from "vitest";
import { parseNutguardConf } from "../../src/config/nutguard-conf.js";
import {
  type Thresholds,
  thresholdsFor,
  thresholdsFromConf,
  unknownThresholdUpses,
} from "../../src/config/thresholds.js";
import {
  missingVariableWarnings,
  type ThresholdView,
  thresholdCriticalRule,
  thresholdVerdict,
} from "../../src/monitor/threshold-rules.js";
import { type Round, simulate } from "./timeline.js";

const settings = (text: string) => thresholdsFromConf(parseNutguardConf(text, "/etc/nut/nutguard.conf"));

describe("[thresholds] and [thresholds:<ups>]", () => {
  it("per UPS overrides key by key; 0 turns one off", () => {
    const s = settings(
      "[thresholds]\ncharge = 30\nruntime = 300\n[thresholds:rack@localhost]\nruntime = 600\nonbattery = 120\n[thresholds:nas@localhost]\ncharge = 0\n",
    );
    expect(thresholdsFor(s, "rack@localhost")).toEqual({ charge: 30, runtime: 600, onbattery: 120 });
    expect(thresholdsFor(s, "nas@localhost")).toEqual({ runtime: 300 });
    expect(thresholdsFor(s, "other@localhost")).toEqual({ charge: 30, runtime: 300 });
    expect(thresholdsFor(thresholdsFromConf(undefined), "x")).toEqual({});
  });

  it.each([
    ["[thresholds]\ncharge = 101\n", ':2: charge must be a whole number from 0 to 100, not "101"'],
    ["[thresholds]\nruntime = 5m\n", ':2: runtime must be a whole number from 0 to 86400, not "5m"'],
    [
      "[thresholds:ups@h]\nonbattery = -1\n",
      ':2: onbattery must be a whole number from 0 to 86400, not "-1"',
    ],
    ["[thresholds]\nvoltage = 200\n", ':2: unknown setting "voltage" in [thresholds]'],
    ["[thresholds]\ncharge = 20\ncharge = 30\n", ':3: "charge" given twice in [thresholds]'],
  ])("refuses %j", (text, error) => {
    expect(() => settings(text)).toThrow(`/etc/nut/nutguard.conf${error}`);
  });

  it("a [thresholds:<ups>] naming no MONITOR'd UPS is reported with its line", () => {
    const s = settings(
      "[thresholds:rack@localhost]\ncharge = 20\n[thresholds:typo@localhost]\ncharge = 20\n",
    );
    expect(unknownThresholdUpses(s, ["rack@localhost"])).toEqual([
      "/etc/nut/nutguard.conf:3: [thresholds:typo@localhost] names no UPS of upsmon.conf's MONITOR lines (rack@localhost): ignored",
    ]);
  });
});

const T0 = 1_000_000;
const view = (v: Partial<ThresholdView>): ThresholdView => ({
  communicating: true,
  onBattery: true,
  charge: 80,
  runtime: 1200,
  onBatterySinceMs: T0,
  ...v,
});

describe("threshold rules (evaluated after upsmon's, first match wins)", () => {
  it.each<{
    name: string;
    t: Thresholds;
    v: Partial<ThresholdView>;
    nowMs?: number;
    want: string | undefined;
  }>([
    { name: "nothing configured: off", t: {}, v: { charge: 1, runtime: 1 }, want: undefined },
    {
      name: "charge at the threshold",
      t: { charge: 30 },
      v: { charge: 30 },
      want: "charge-threshold: battery.charge 30 % is at or below the threshold of 30 %",
    },
    { name: "charge above it", t: { charge: 30 }, v: { charge: 31 }, want: undefined },
    {
      name: "charge low but on line power (charging)",
      t: { charge: 30 },
      v: { charge: 10, onBattery: false },
      want: undefined,
    },
    { name: "charge not reported", t: { charge: 30 }, v: { charge: undefined }, want: undefined },
    {
      name: "stale readings (not communicating)",
      t: { charge: 30 },
      v: { charge: 10, communicating: false },
      want: undefined,
    },
    {
      name: "runtime at the threshold",
      t: { runtime: 300 },
      v: { runtime: 300 },
      want: "runtime-threshold: battery.runtime 300 s is at or below the threshold of 300 s",
    },
    { name: "runtime above it", t: { runtime: 300 }, v: { runtime: 301 }, want: undefined },
    {
      name: "on battery not yet long enough",
      t: { onbattery: 120 },
      v: {},
      nowMs: T0 + 119_999,
      want: undefined,
    },
    {
      name: "on battery long enough",
      t: { onbattery: 120 },
      v: {},
      nowMs: T0 + 120_000,
      want: "onbattery-threshold: on battery for 120 s, the threshold is 120 s",
    },
    {
      name: "back on line resets it",
      t: { onbattery: 120 },
      v: { onBattery: false, onBatterySinceMs: undefined },
      nowMs: T0 + 500_000,
      want: undefined,
    },
    {
      name: "charge wins over runtime and time (table order)",
      t: { charge: 90, runtime: 2000, onbattery: 1 },
      v: {},
      nowMs: T0 + 10_000,
      want: "charge-threshold: battery.charge 80 % is at or below the threshold of 90 %",
    },
    {
      name: "runtime wins over time",
      t: { runtime: 2000, onbattery: 1 },
      v: {},
      nowMs: T0 + 10_000,
      want: "runtime-threshold: battery.runtime 1200 s is at or below the threshold of 2000 s",
    },
  ])("$name", ({ t, v, nowMs, want }) => {
    const verdict = thresholdVerdict(t, view(v), nowMs ?? T0);
    expect(verdict === undefined ? undefined : `${verdict.id}: ${verdict.why}`).toBe(want);
  });

  it("a UPS that does not report a threshold's variable is named once per threshold", () => {
    expect(
      missingVariableWarnings(
        "rack@localhost",
        { charge: 20, runtime: 300, onbattery: 60 },
        { "battery.charge": "100" },
      ),
    ).toEqual([
      "UPS [rack@localhost] does not report battery.runtime: the runtime threshold (runtime = 300) from nutguard.conf cannot apply to it",
    ]);
    expect(missingVariableWarnings("rack@localhost", { onbattery: 60 }, {})).toEqual([]);
  });
});

describe("threshold timelines through the engine (after upsmon's rules)", () => {
  const rule = (t: Thresholds) => thresholdCriticalRule(() => t);
  const ob = (charge: number, runtime: number, status = "OB DISCHRG") => ({
    status,
    vars: { "ups.status": status, "battery.charge": String(charge), "battery.runtime": String(runtime) },
  });
  const ol = (charge: number) => ({
    status: "OL CHRG",
    vars: { "battery.charge": String(charge), "battery.runtime": "3000" },
  });
  const logs = ["nutguard.conf", "Giving up on the primary"];

  it.each<{ name: string; conf?: string; t: Thresholds; rounds: Round[]; want: string[] }>([
    {
      name: "charge: a primary shuts down when charge reaches the threshold on battery",
      t: { charge: 40 },
      rounds: [
        [0, ol(100)],
        [5, ob(60, 900)],
        [10, ob(45, 700)],
        [15, ob(40, 650)],
        [20, ob(30, 500)],
      ],
      want: [
        "5 ONBATT u",
        "15 log: UPS [u]: battery.charge 40 % is at or below the threshold of 40 % (nutguard.conf) - declaring a critical state",
        "15 SHUTDOWN-DECISION u:charge-threshold",
      ],
    },
    {
      name: "charge: low while charging on line power is no reason",
      t: { charge: 40 },
      rounds: [
        [0, ol(20)],
        [5, ol(25)],
        [10, ol(30)],
      ],
      want: [],
    },
    {
      name: "runtime: shuts down at the threshold",
      t: { runtime: 600 },
      rounds: [
        [0, ol(100)],
        [5, ob(80, 900)],
        [10, ob(70, 601)],
        [15, ob(65, 600)],
      ],
      want: [
        "5 ONBATT u",
        "15 log: UPS [u]: battery.runtime 600 s is at or below the threshold of 600 s (nutguard.conf) - declaring a critical state",
        "15 SHUTDOWN-DECISION u:runtime-threshold",
      ],
    },
    {
      name: "onbattery: counted from the OB that started the episode; a return to line resets it",
      t: { onbattery: 30 },
      rounds: [
        [0, ol(100)],
        [5, ob(90, 2000)],
        [20, ob(85, 1800)],
        [25, ol(85)],
        [30, ob(84, 1700)],
        [55, ob(80, 1500)],
        [60, ob(79, 1450)],
      ],
      want: [
        "5 ONBATT u",
        "25 ONLINE u",
        "30 ONBATT u",
        "60 log: UPS [u]: on battery for 30 s, the threshold is 30 s (nutguard.conf) - declaring a critical state",
        "60 SHUTDOWN-DECISION u:onbattery-threshold",
      ],
    },
    {
      name: "upsmon's rules come first: OB LB on a primary is oblb-primary, not a threshold",
      t: { charge: 50 },
      rounds: [
        [0, ol(100)],
        [5, ob(30, 100, "OB LB DISCHRG")],
      ],
      want: ["5 ONBATT u", "5 LOWBATT u", "5 SHUTDOWN-DECISION u:oblb-primary"],
    },
    {
      name: "FSD from the primary: the secondary shuts down for fsd even with a threshold set",
      conf: "MONITOR u 1 mon pass secondary\n",
      t: { runtime: 60 },
      rounds: [
        [0, ol(100)],
        [5, ob(50, 900)],
        [10, ob(50, 900, "FSD OB DISCHRG")],
      ],
      want: ["5 ONBATT u", "10 FSD u", "10 SHUTDOWN-DECISION u:fsd"],
    },
    {
      name: "secondary: OB LB still waits HOSTSYNC for the primary while no threshold is reached",
      conf: "MONITOR u 1 mon pass secondary\nHOSTSYNC 15\n",
      t: { runtime: 60 },
      rounds: [
        [0, ol(100)],
        [5, ob(20, 300, "OB LB DISCHRG")],
        [10, ob(18, 280, "OB LB DISCHRG")],
        [21, ob(15, 250, "OB LB DISCHRG")],
      ],
      want: [
        "5 ONBATT u",
        "5 LOWBATT u",
        "21 log: Giving up on the primary for UPS [u] after 16 sec since last comms",
        "21 SHUTDOWN-DECISION u:hostsync-expired",
      ],
    },
    {
      name: "secondary: a threshold is the host's own policy and does not wait for the primary",
      conf: "MONITOR u 1 mon pass secondary\nHOSTSYNC 15\n",
      t: { runtime: 300 },
      rounds: [
        [0, ol(100)],
        [5, ob(20, 300, "OB LB DISCHRG")],
      ],
      want: [
        "5 ONBATT u",
        "5 LOWBATT u",
        "5 log: UPS [u]: battery.runtime 300 s is at or below the threshold of 300 s (nutguard.conf) - declaring a critical state",
        "5 SHUTDOWN-DECISION u:runtime-threshold",
      ],
    },
    {
      name: "not communicating: the last readings do not count (DEADTIME decides, as upsmon)",
      t: { charge: 90 },
      rounds: [
        [0, ol(100)],
        [5, { fail: "DRIVER-NOT-CONNECTED" }],
        [10, { fail: "DRIVER-NOT-CONNECTED" }],
      ],
      want: ["5 COMMBAD u"],
    },
  ])("$name", ({ conf, t, rounds, want }) => {
    expect(simulate(rounds, { conf, extraRule: rule(t), logsMatching: logs })).toEqual(want);
  });
});
