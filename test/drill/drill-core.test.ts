/** The drill's pure parts as tables: time offsets, twin profiles and LB timing, scenario plans, shell words, the journal. */
import { describe, expect, it } from "vitest";
import { parseDrillArgs } from "../../src/cli/drill.js";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import type { HostFacts, ScenarioRun } from "../../src/drill/drill-types.js";
import { shellProgram, shutdownSecondsFromJournal } from "../../src/drill/facts.js";
import { findings } from "../../src/drill/findings.js";
import {
  lowBatteryAtSec,
  planScenario,
  runtimeAtLowBattery,
  twinProfile,
  twinSequence,
} from "../../src/drill/scenario.js";
import { formatOffset } from "../../src/drill/timeline.js";

describe("formatOffset", () => {
  it.each([
    [0, "t+0s"],
    [59, "t+59s"],
    [850, "t+14m10s"],
    [865, "t+14m25s"],
    [3723, "t+1h02m03s"],
    [-8, "t-8s"],
  ])("%d s → %s", (sec, text) => expect(formatOffset(sec)).toBe(text));
});

describe("twin profiles", () => {
  it.each([
    ["nothing reported: plain 1200 s, LB at 1080 s", {}, 1200, 1080, "plain"],
    [
      "runtime and charge: LB by charge 10 %",
      { "battery.charge": "100", "battery.runtime": "1320", "battery.charge.low": "10" },
      1320,
      1188,
      "real",
    ],
    [
      "LB by runtime.low first",
      {
        "battery.charge": "100",
        "battery.runtime": "600",
        "battery.runtime.low": "300",
        "battery.charge.low": "5",
      },
      600,
      300,
      "real",
    ],
    ["half charged without runtime: plain runtime scaled", { "battery.charge": "50" }, 600, 480, "real"],
    [
      "already below the low mark: LB at once",
      { "battery.charge": "8", "battery.runtime": "100" },
      100,
      0,
      "real",
    ],
  ])("%s", (_name, vars, runtime, lb, source) => {
    const p = twinProfile(vars as Record<string, string>);
    expect(p.runtimeSec).toBe(runtime);
    expect(lowBatteryAtSec(p)).toBe(lb);
    expect(runtimeAtLowBattery(p)).toBe(runtime - lb);
    expect(p.source).toBe(source);
  });
  it("copies identity but never driver.* or the status", () => {
    const p = twinProfile({
      "ups.model": "X 1",
      "driver.name": "usbhid-ups",
      "ups.status": "OB",
      "battery.charge": "90",
    });
    expect(p.vars).toEqual({ "ups.model": "X 1" });
  });
});

describe("scenario plans", () => {
  const p = twinProfile({ "battery.charge": "100", "battery.runtime": "1320", "battery.charge.low": "10" });
  it("outage: mains lost at 0, LB at 1188 s, empty at 1320 s", () => {
    const plan = planScenario("outage", p);
    expect(plan.steps[0]).toMatchObject({
      atSec: 0,
      kind: "vars",
      status: "OB DISCHRG",
      label: "mains lost",
    });
    expect(plan.steps.find((s) => s.kind === "vars" && s.status.includes("LB"))).toMatchObject({
      atSec: 1188,
      runtimeSec: 132,
      charge: 10,
    });
    expect(plan.steps.at(-1)).toEqual({ atSec: 1320, kind: "exhausted" });
    expect(plan.shutdownExpected).toBe(true);
  });
  it("comm-loss and primary-fsd strike a minute in; flapping expects no shutdown", () => {
    expect(planScenario("comm-loss", p).steps.find((s) => s.kind === "driver-gone")!.atSec).toBe(60);
    expect(planScenario("primary-fsd", p).steps.find((s) => s.kind === "fsd")!.atSec).toBe(60);
    const flap = planScenario("flapping", p);
    expect(flap.shutdownExpected).toBe(false);
    expect(flap.steps.filter((s) => s.kind === "vars" && s.status.startsWith("OB"))).toHaveLength(5);
  });
});

describe("shellProgram (SHUTDOWNCMD's program)", () => {
  it.each([
    ["/sbin/shutdown -h +0", "/sbin/shutdown"],
    ["shutdown -h now", "shutdown"],
    ['"/opt/my tools/off" now', "/opt/my tools/off"],
    ["$HOME/bin/off", undefined],
    ["sudo /sbin/poweroff", undefined],
  ])("%s → %s", (line, program) => expect(shellProgram(line)).toBe(program));
});

describe("shutdown time from the last boot's journal", () => {
  it("from the first Stopping after Startup finished to the last line", () => {
    const j = [
      "1000.0 host systemd[1]: Starting foo...",
      "1010.0 host systemd[1]: Startup finished in 10s.",
      "5000.5 host systemd[1]: Stopping nut-monitor.service...",
      "5010.0 host systemd[1]: Stopped target Basic System.",
      "5042.2 host systemd[1]: Shutting down.",
    ].join("\n");
    expect(shutdownSecondsFromJournal(j)).toBe(42);
    expect(shutdownSecondsFromJournal("")).toBeUndefined();
    expect(shutdownSecondsFromJournal("1010.0 host systemd[1]: Startup finished in 10s.")).toBeUndefined();
  });
});

describe("nutguard drill arguments", () => {
  it.each([
    [["--scenario", "all"], { scenarios: ["outage", "comm-loss", "primary-fsd", "flapping"] }],
    [
      ["-f", "/x/upsmon.conf", "--ups", "rack", "--shutdown-takes", "90", "--json", "--exec-notify"],
      { configPath: "/x/upsmon.conf", ups: "rack", shutdownTakesSec: 90, json: true, execNotify: true },
    ],
    [
      ["--scenario", "meteor"],
      { error: "unknown scenario meteor (outage, comm-loss, primary-fsd, flapping, all)" },
    ],
    [["--shutdown-takes", "soon"], { error: "--shutdown-takes needs whole seconds (0 to 86400)" }],
    [["-x"], { error: "unknown option -x" }],
  ])("%j", (argv, expected) =>
    expect(parseDrillArgs(argv as string[], { NUT_CONFPATH: "/etc/nut" })).toMatchObject(expected),
  );
  it("defaults: $NUT_CONFPATH/upsmon.conf, the outage", () => {
    expect(parseDrillArgs([], { NUT_CONFPATH: "/cfg" })).toMatchObject({
      configPath: "/cfg/upsmon.conf",
      scenarios: ["outage"],
    });
  });
});

describe("findings from the scenario outcomes", () => {
  const { config } = parseUpsmonConf('MONITOR u@h 1 a b primary\nSHUTDOWNCMD "/bin/true"\n', "upsmon.conf");
  const facts: HostFacts = {
    shutdownCmd: { program: "/bin/true", path: "/bin/true", user: "root", problem: undefined },
    notifyCmd: undefined,
    powerDownFlagDir: undefined,
    localAddresses: ["127.0.0.1"],
    shutdownTakes: { sec: 60, source: "option" },
  };
  const run = (
    scenario: ScenarioRun["scenario"],
    shutdownAtSec: number | undefined,
    shutdownExpected: boolean,
  ): ScenarioRun => ({
    scenario,
    timeline: [],
    shutdownAtSec,
    shutdownExpected,
    simulatedSec: 0,
    wallMs: 0,
    notifyCalls: [],
    shutdownCommand: undefined,
    powerDownFlag: undefined,
  });
  it.each([
    ["expected and happened", run("outage", 1190, true), []],
    ["expected, never happened", run("comm-loss", undefined, true), ["no-shutdown"]],
    ["blips, no shutdown", run("flapping", undefined, false), []],
    ["blips shut the host down", run("flapping", 200, false), ["shutdown-on-blips"]],
  ])("%s", (_name, r, expected) => {
    const found = findings({ config, probes: [], profiles: new Map(), facts, runs: [r] });
    expect(found.map((f) => f.id)).toEqual(expected);
  });
});

describe("a twin reports only the battery variables its UPS reports", () => {
  it.each([
    ["both reported", { "battery.charge": "90", "battery.runtime": "600" }, []],
    ["no runtime", { "battery.charge": "90" }, ["battery.runtime"]],
    ["neither", { "ups.model": "X" }, ["battery.charge", "battery.runtime"]],
  ] as [string, Record<string, string>, string[]][])("%s", (_name, vars, missing) => {
    const p = twinProfile(vars);
    expect(p.missing).toEqual(missing);
    const seq = twinSequence(p, planScenario("outage", p).steps, 10);
    for (const name of ["battery.charge", "battery.runtime"])
      expect(seq.includes(`\n${name}: `) || seq.startsWith(`${name}: `)).toBe(!missing.includes(name));
    expect(seq).toContain("ups.status: OB LB DISCHRG");
  });
  it("upsd unreachable: the plain profile reports both", () => {
    expect(twinProfile(undefined).missing).toBeUndefined();
  });
});

describe("findings from nutguard.conf", () => {
  const conf = (extra: string) =>
    parseUpsmonConf(`MONITOR u@h 1 a b primary\nSHUTDOWNCMD "/bin/true"\n${extra}`, "upsmon.conf").config;
  const facts = (cmdScript?: HostFacts["cmdScript"]): HostFacts => ({
    shutdownCmd: { program: "/bin/true", path: "/bin/true", user: "root", problem: undefined },
    notifyCmd: undefined,
    powerDownFlagDir: undefined,
    localAddresses: ["127.0.0.1"],
    shutdownTakes: { sec: 60, source: "option" },
    ...(cmdScript ? { cmdScript } : {}),
  });
  const profile = (vars: Record<string, string>) => new Map([["u@h", twinProfile(vars)]]);
  const full = { "battery.charge": "100", "battery.runtime": "1320" };
  const silent = "NOTIFYFLAG ONBATT IGNORE\nNOTIFYFLAG LOWBATT IGNORE\n";
  const script = (problem: "not-found" | "not-executable" | undefined) => ({
    program: "/etc/nut/cmd",
    path: problem === "not-found" ? undefined : "/etc/nut/cmd",
    user: "nut",
    problem,
  });
  it.each([
    ["a runtime threshold, runtime reported", "", full, { runtime: 300 }, [], undefined, []],
    [
      "a runtime threshold, no runtime",
      "",
      { "battery.charge": "100" },
      { runtime: 300 },
      [],
      undefined,
      ["threshold-never-fires"],
    ],
    [
      "charge and runtime thresholds, neither reported",
      "",
      { "ups.model": "X" },
      { charge: 20, runtime: 300 },
      [],
      undefined,
      ["threshold-never-fires", "threshold-never-fires"],
    ],
    ["onbattery needs no variable", "", { "ups.model": "X" }, { onbattery: 60 }, [], undefined, []],
    ["NOTIFYFLAG silent, no channel", silent, full, {}, [], undefined, ["nobody-told"]],
    ["NOTIFYFLAG silent, a channel carries both", silent, full, {}, ["ONBATT", "LOWBATT"], undefined, []],
    [
      "NOTIFYFLAG silent, a channel carries ONBATT only",
      silent,
      full,
      {},
      ["ONBATT"],
      undefined,
      ["nobody-told"],
    ],
    ["CMDSCRIPT fine", "", full, {}, [], script(undefined), []],
    ["CMDSCRIPT missing", "", full, {}, [], script("not-found"), ["cmdscript-not-found"]],
    ["CMDSCRIPT not executable", "", full, {}, [], script("not-executable"), ["cmdscript-not-executable"]],
  ] as const)("%s", (_name, extra, vars, thresholds, carried, cmdScript, expected) => {
    const found = findings({
      config: conf(extra),
      probes: [],
      profiles: profile(vars),
      facts: facts(cmdScript),
      runs: [],
      channelsFor: (t) => ((carried as readonly string[]).includes(t) ? ["ops"] : []),
      thresholdsOf: () => thresholds,
    });
    expect(found.map((f) => f.id)).toEqual(expected);
  });

  it("nobody-told names the UPSes a channel's ups = filter leaves out", () => {
    const found = findings({
      config: conf(`${silent}MONITOR v@h 1 a b primary\n`),
      probes: [],
      profiles: profile(full),
      facts: facts(),
      runs: [],
      channelsFor: (_t, ups) => (ups === "u@h" ? ["ops"] : []),
    });
    expect(found.map((f) => [f.id, f.message])).toEqual([
      [
        "nobody-told",
        "nobody is told about ONBATT or LOWBATT for v@h: no NOTIFYFLAG delivers it (SYSLOG, WALL, or EXEC with a NOTIFYCMD) and no channel carries it",
      ],
    ]);
  });
});
