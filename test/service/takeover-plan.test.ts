// nutguard takeover's planning core: the steps from each starting state (table-driven), the record,
// and reading nutguard's status for "logged in to every UPS".
import { describe, expect, it } from "vitest";
import {
  parseTakeoverRecord,
  planTakeover,
  planUndo,
  type Step,
  type TakeoverFacts,
  type TakeoverRecord,
  type UnitState,
  upsNotReady,
} from "../../src/service/takeover-plan.js";

const unit = (loadState: string, activeState: string, unitFileState: string): UnitState => ({
  loadState,
  activeState,
  unitFileState,
});
const NUT_RUNNING = unit("loaded", "active", "enabled");
const NUT_TAKEN = unit("masked", "inactive", "masked");
const NO_NUTGUARD = unit("not-found", "inactive", "");
const NUTGUARD_IDLE = unit("loaded", "inactive", "disabled");
const NUTGUARD_RUNNING = unit("loaded", "active", "enabled");
const RECORD: TakeoverRecord = {
  version: 1,
  nutMonitor: { unitFileState: "enabled", wasActive: true },
  installedNutguardUnit: true,
};

function facts(
  nut: UnitState,
  nutguard: UnitState,
  record?: TakeoverRecord,
  nutMode = "standalone",
): TakeoverFacts {
  return { nut, nutguard, record, nutMode };
}

/** Steps as short words: "record", "install", "systemctl start nutguard-monitor.service", ... */
const words = (steps: Step[]) =>
  steps.map((s) =>
    s.kind === "systemctl" ? `systemctl ${s.args.join(" ")}` : s.kind === "write-record" ? "record" : s.kind,
  );

describe("planTakeover", () => {
  it.each([
    [
      "first takeover, no nutguard unit yet: record, install, start ours, wait, then stop+disable+mask NUT's",
      facts(NUT_RUNNING, NO_NUTGUARD),
      [
        "record",
        "install-unit",
        "systemctl enable nutguard-monitor.service",
        "systemctl start nutguard-monitor.service",
        "wait-nutguard-ready",
        "systemctl stop nut-monitor.service",
        "systemctl disable nut-monitor.service",
        "systemctl mask nut-monitor.service",
        "remove-stale-upsmon-pid",
      ],
    ],
    [
      "packaged unit present, NUT's monitor failed (the classic bug) and disabled",
      facts(unit("loaded", "failed", "disabled"), NUTGUARD_IDLE),
      [
        "record",
        "systemctl enable nutguard-monitor.service",
        "systemctl start nutguard-monitor.service",
        "wait-nutguard-ready",
        "systemctl mask nut-monitor.service",
        "remove-stale-upsmon-pid",
      ],
    ],
    [
      "interrupted after the mask: finish without a new record",
      facts(NUT_TAKEN, NUTGUARD_IDLE, RECORD),
      [
        "systemctl enable nutguard-monitor.service",
        "systemctl start nutguard-monitor.service",
        "wait-nutguard-ready",
        "remove-stale-upsmon-pid",
      ],
    ],
    [
      "done already: only check it is ready",
      facts(NUT_TAKEN, NUTGUARD_RUNNING, RECORD),
      ["wait-nutguard-ready", "remove-stale-upsmon-pid"],
    ],
  ])("%s", (_name, f, expected) => {
    const plan = planTakeover(f, []);
    if (!plan.ok) throw new Error(plan.reasons.join("; "));
    expect(words(plan.steps)).toEqual(expected);
  });

  it("records NUT's monitor as it was before anything changes", () => {
    const plan = planTakeover(facts(NUT_RUNNING, NO_NUTGUARD), []);
    expect(plan.ok && plan.steps[0]).toEqual({ kind: "write-record", record: RECORD });
  });

  it("says when there is nothing left to do", () => {
    const plan = planTakeover(facts(NUT_TAKEN, NUTGUARD_RUNNING, RECORD), []);
    expect(plan.ok && plan.notes.join("\n")).toContain("already taken over");
  });

  it.each([
    ["no NUT monitor unit", facts(unit("not-found", "inactive", ""), NO_NUTGUARD), "is not installed here"],
    ["NUT's monitor masked by someone else", facts(NUT_TAKEN, NO_NUTGUARD), "is masked already"],
    ["MODE=none", facts(NUT_RUNNING, NO_NUTGUARD, undefined, "none"), "MODE=none"],
  ])("refuses: %s", (_name, f, reason) => {
    const plan = planTakeover(f, []);
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.reasons.join("\n")).toContain(reason);
  });

  it("refuses with the config's reasons, and changes nothing", () => {
    const plan = planTakeover(facts(NUT_RUNNING, NO_NUTGUARD), ["CERTIDENT names a client certificate"]);
    expect(plan).toEqual({ ok: false, reasons: ["CERTIDENT names a client certificate"] });
  });
});

describe("planUndo", () => {
  it.each([
    [
      "after a takeover: NUT's back (unmask, enable, start, wait) before ours stops",
      facts(NUT_TAKEN, NUTGUARD_RUNNING, RECORD),
      [
        "systemctl unmask nut-monitor.service",
        "systemctl enable nut-monitor.service",
        "systemctl start nut-monitor.service",
        "wait-nut-active",
        "systemctl stop nutguard-monitor.service",
        "systemctl disable nutguard-monitor.service",
        "remove-record",
      ],
    ],
    [
      "NUT's monitor was disabled and stopped before: it stays so",
      facts(NUT_TAKEN, NUTGUARD_RUNNING, {
        ...RECORD,
        nutMonitor: { unitFileState: "disabled", wasActive: false },
      }),
      [
        "systemctl unmask nut-monitor.service",
        "systemctl stop nutguard-monitor.service",
        "systemctl disable nutguard-monitor.service",
        "remove-record",
      ],
    ],
    [
      "enabled only until reboot before",
      facts(NUT_TAKEN, NUTGUARD_IDLE, {
        ...RECORD,
        nutMonitor: { unitFileState: "enabled-runtime", wasActive: false },
      }),
      [
        "systemctl unmask nut-monitor.service",
        "systemctl enable --runtime nut-monitor.service",
        "remove-record",
      ],
    ],
    [
      "interrupted undo (NUT's already back): finish",
      facts(NUT_RUNNING, NUTGUARD_RUNNING, RECORD),
      [
        "systemctl stop nutguard-monitor.service",
        "systemctl disable nutguard-monitor.service",
        "remove-record",
      ],
    ],
    ["nothing recorded: nothing to do", facts(NUT_RUNNING, NUTGUARD_IDLE), []],
  ])("%s", (_name, f, expected) => {
    const plan = planUndo(f);
    if (!plan.ok) throw new Error(plan.reasons.join("; "));
    expect(words(plan.steps)).toEqual(expected);
  });
});

describe("the record file", () => {
  it("reads back what was written", () => {
    expect(parseTakeoverRecord(JSON.stringify(RECORD))).toEqual(RECORD);
  });
  it.each([
    ["", "not JSON"],
    ["{", "not JSON"],
    ['{"version":2}', "not a takeover record"],
    [
      '{"version":1,"nutMonitor":{"unitFileState":"enabled"},"installedNutguardUnit":true}',
      "not a takeover record",
    ],
  ])("%j: %s", (text, why) => {
    expect(parseTakeoverRecord(text)).toContain(why);
  });
});

describe("upsNotReady (nutguard's StatusText)", () => {
  it.each([
    ["dummy@127.0.0.1: OL", ["dummy@127.0.0.1"], []],
    ["dummy@127.0.0.1: OB LB", ["dummy@127.0.0.1"], []],
    ["dummy@127.0.0.1: waiting", ["dummy@127.0.0.1"], ["dummy@127.0.0.1"]],
    ["dummy@127.0.0.1: ? (no comm)", ["dummy@127.0.0.1"], ["dummy@127.0.0.1"]],
    ["a@h: OL; b@h:3493: waiting", ["a@h", "b@h:3493"], ["b@h:3493"]],
    ["", ["a@h"], ["a@h"]],
    ["a@h: OL", ["a@h", "b@h"], ["b@h"]],
  ])("%j", (status, systems, pending) => {
    expect(upsNotReady(status, systems)).toEqual(pending);
  });
});
