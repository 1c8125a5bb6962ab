// The drop-in for NUT's own nut-monitor.service, per release (table-driven), and version parsing.
import { describe, expect, it } from "vitest";
import {
  parseNutVersion,
  planNutUnitRepair,
  REPAIR_DROP_IN,
  type RepairFacts,
} from "../../src/service/nut-unit-repair.js";

const v = (text: string) => parseNutVersion(text)!;
/** The stock units as Debian ships them (service-integration.md §3.1, §8.5). */
const DEBIAN_11: RepairFacts = {
  version: v("2.7.4"),
  loaded: true,
  type: "forking",
  execStart: ["/sbin/upsmon"],
};
const DEBIAN_12: RepairFacts = {
  version: v("2.8.0"),
  loaded: true,
  type: "simple",
  execStart: ["/sbin/upsmon", "-F"],
};
const DEBIAN_13: RepairFacts = {
  version: v("2.8.1"),
  loaded: true,
  type: "simple",
  execStart: ["/usr/sbin/upsmon", "-F"],
};

const PRE_START =
  "ExecStartPre=-/bin/sh -c 'p=$$(cat /run/nut/upsmon.pid 2>/dev/null); " +
  '[ -n "$$p" ] && [ "$$(cat /proc/$$p/comm 2>/dev/null)" = upsmon ] || echo -1 > /run/nut/upsmon.pid\'';

describe("parseNutVersion", () => {
  it.each([
    ["Network UPS Tools upsmon 2.8.0", "2.8.0", [2, 8, 0]],
    ["2.7.4-13", "2.7.4-13", [2, 7, 4]],
    ["2.8.1-5+deb13u1", "2.8.1-5+deb13u1", [2, 8, 1]],
    ["1:2.8.0-7ubuntu1", "2.8.0-7ubuntu1", [2, 8, 0]],
    ["2.8.2.1842-master", "2.8.2.1842-master", [2, 8, 2]],
  ])("%s", (text, shown, [major, minor, patch]) => {
    expect(parseNutVersion(text)).toEqual({ major, minor, patch, text: shown });
  });
  it.each(["", "upsmon", "2.8", "version unknown"])("%j is no version", (text) => {
    expect(parseNutVersion(text)).toBeUndefined();
  });
});

describe("the drop-in per NUT release", () => {
  it.each([
    [
      "Debian 11, NUT 2.7.4 (Type=forking)",
      DEBIAN_11,
      "2.7",
      ["ExecReload=/sbin/upsmon -c reload"],
      ["NUT_QUIET"],
    ],
    ["Debian 12, NUT 2.8.0", DEBIAN_12, "2.8.0", [], ["ExecReload", "NUT_QUIET"]],
    [
      "Debian 13, NUT 2.8.1",
      DEBIAN_13,
      "2.8.1+",
      ["Environment=NUT_QUIET_INIT_UPSNOTIFY=true"],
      ["ExecReload"],
    ],
    [
      "a newer release is treated like 2.8.1",
      { ...DEBIAN_13, version: v("2.8.5") },
      "2.8.1+",
      ["Environment=NUT_QUIET_INIT_UPSNOTIFY=true"],
      ["ExecReload"],
    ],
  ] as [string, RepairFacts, string, string[], string[]][])("%s", (_name, facts, release, has, hasNot) => {
    const plan = planNutUnitRepair(facts);
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.path).toBe(REPAIR_DROP_IN);
    expect(plan.release).toBe(release);
    const lines = plan.content.split("\n");
    expect(lines).toContain("[Service]");
    expect(lines).toContain("PIDFile=");
    expect(lines).toContain(PRE_START);
    for (const line of has) expect(lines).toContain(line);
    for (const word of hasNot) expect(plan.content).not.toContain(word);
    // never a new ExecStart=, Type= or anything that changes how upsmon itself runs
    expect(plan.content).not.toMatch(/^(ExecStart|Type|User|Restart)=/m);
    expect(plan.content).toMatch(/^# Written by 'nutguard doctor --fix --units'/);
  });

  it.each([
    ["the unit is not installed", { ...DEBIAN_12, loaded: false }, "is not installed"],
    ["the release is unknown", { ...DEBIAN_12, version: undefined }, "cannot tell which NUT release"],
    ["NUT older than 2.7", { ...DEBIAN_11, version: v("2.6.5") }, "older than 2.7"],
    ["a 2.7 unit changed to Type=simple", { ...DEBIAN_11, type: "simple" }, "has Type=simple"],
    ["no ExecStart=", { ...DEBIAN_12, execStart: [] }, "has no ExecStart="],
  ] as [string, RepairFacts, string][])("refuses when %s", (_name, facts, reason) => {
    const plan = planNutUnitRepair(facts);
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.reason).toContain(reason);
  });
});
