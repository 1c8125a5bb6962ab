import { describe, expect, it } from "vitest";
import { parseNutguardConf } from "../../src/config/nutguard-conf.js";
import { ConfigError } from "../../src/config/reader.js";
import { notifyCmdIsUpssched, parseUpsschedConf } from "../../src/config/upssched-conf.js";
import { upsschedSettingsFromConf } from "../../src/config/upssched-section.js";

const HEAD =
  'CMDSCRIPT "/usr/local/bin/upssched-cmd" --from-nut\nPIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\n';

describe("upssched.conf", () => {
  it("reads CMDSCRIPT with its arguments and every AT action, in file order", () => {
    const c = parseUpsschedConf(
      `${HEAD}DEBUG_MIN 2\nAT ONBATT * START-TIMER onbatt 300\nAT onbatt ups@h START-TIMER-SHARED grouped 1\nAT ONLINE * CANCEL-TIMER onbatt online\nAT ONLINE ups@h CANCEL-TIMER-MATCHED grouped\nAT COMMBAD * EXECUTE commbad\n`,
      "/etc/nut/upssched.conf",
    );
    expect(c.cmdScript).toEqual(["/usr/local/bin/upssched-cmd", "--from-nut"]);
    expect(c.warnings).toEqual([]);
    expect(c.rules).toEqual([
      {
        type: "ONBATT",
        ups: "*",
        action: { kind: "start-timer", name: "onbatt", seconds: 300, shared: false },
        line: 5,
      },
      {
        type: "onbatt",
        ups: "ups@h",
        action: { kind: "start-timer", name: "grouped", seconds: 1, shared: true },
        line: 6,
      },
      {
        type: "ONLINE",
        ups: "*",
        action: { kind: "cancel-timer", name: "onbatt", command: "online", matched: false },
        line: 7,
      },
      {
        type: "ONLINE",
        ups: "ups@h",
        action: { kind: "cancel-timer", name: "grouped", command: undefined, matched: true },
        line: 8,
      },
      { type: "COMMBAD", ups: "*", action: { kind: "execute", command: "commbad" }, line: 9 },
    ]);
  });

  it.each([
    ["AT ONBATT * START-TIMER onbatt 30\n", ":1: CMDSCRIPT must be set before any ATs in the config file!"],
    [`${HEAD}AT ONBATT * START-TIMER onbatt\n`, ":4: START-TIMER needs a timer name and a number of seconds"],
    [`${HEAD}AT ONBATT * START-TIMER onbatt -5\n`, ':4: START-TIMER: "-5" is not a number of seconds'],
    [`${HEAD}AT ONBATT * START-TIMER onbatt soon\n`, ':4: START-TIMER: "soon" is not a number of seconds'],
    [`${HEAD}AT ONBATT * STOP-TIMER onbatt 5\n`, ":4: Invalid command: STOP-TIMER"],
    [`${HEAD}AT ONBATT * EXECUTE ""\n`, ":4: Empty EXECUTE command argument"],
    [`${HEAD}AT ONBATT * EXECUTE a b\n`, ":4: too many words for EXECUTE"],
    [`${HEAD}AT ONBATT * START-TIMER a 5 6\n`, ":4: too many words for START-TIMER"],
  ])("refuses %j", (text, error) => {
    let caught: unknown;
    try {
      parseUpsschedConf(text, "/etc/nut/upssched.conf");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(`/etc/nut/upssched.conf${error}`);
  });

  it("warns, in NUT's words, about what NUT would refuse or ignore", () => {
    const c = parseUpsschedConf(
      "CMDSCRIPT /bin/x\nAT ONBATT * START-TIMER a 5\nFROB 1\nAT POWEROUT * EXECUTE b\nat ONBATT * EXECUTE c\n",
      "u.conf",
    );
    expect(c.warnings).toEqual([
      "u.conf:2: PIPEFN must be set before any ATs in the config file! (NUT's upssched refuses this file; nutguard's built-in timers do not need it)",
      "u.conf:3: upssched.conf: invalid directive FROB 1",
      "u.conf:4: AT POWEROUT: not a notify type upsmon sends",
      "u.conf:5: upssched.conf: invalid directive at ONBATT * EXECUTE c",
    ]);
    expect(c.rules.map((r) => r.line)).toEqual([2, 4]);
  });

  it.each([
    [["/usr/sbin/upssched"], true],
    [["/sbin/upssched"], true],
    [["upssched"], true],
    [["/usr/local/bin/notify-me"], false],
    [["/usr/sbin/upssched-cmd"], false],
    [undefined, false],
  ])("NOTIFYCMD %j names upssched: %s", (cmd, yes) => {
    expect(notifyCmdIsUpssched(cmd)).toBe(yes);
  });

  it("[upssched] builtin = yes|no in nutguard.conf (default yes)", () => {
    const read = (text: string) => upsschedSettingsFromConf(parseNutguardConf(text, "n.conf"));
    expect(upsschedSettingsFromConf(undefined)).toEqual({ builtin: true });
    expect(read("[http]\nlisten = 127.0.0.1:1\n")).toEqual({ builtin: true });
    expect(read("[upssched]\nbuiltin = no\n")).toEqual({ builtin: false });
    expect(read("[upssched]\nbuiltin = Yes\n")).toEqual({ builtin: true });
    expect(() => read("[upssched]\nbuiltin = maybe\n")).toThrow(
      'n.conf:2: builtin must be yes or no, not "maybe"',
    );
    expect(() => read("[upssched]\nfile = x\n")).toThrow('n.conf:2: unknown setting "file" in [upssched]');
  });
});
