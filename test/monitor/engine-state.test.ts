/** The engine's other outputs: poll interval, FSD confirmation, reload, status summary, logs. */
import { describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { MonitorEngine } from "../../src/monitor/engine.js";

function engineFor(conf: string): MonitorEngine {
  const parsed = parseUpsmonConf(conf, "upsmon.conf");
  return new MonitorEngine(parsed.config);
}
const status = (s: string) => ({ kind: "status" as const, status: s });
const fail = { kind: "failure" as const, code: "DATA-STALE", message: "Data stale" };

describe("engine: poll interval", () => {
  it("uses POLLFREQ while all is well and POLLFREQALERT while on battery", () => {
    const e = engineFor("MONITOR u 1 m p primary\nPOLLFREQ 5\nPOLLFREQALERT 1\n");
    expect(e.pollIntervalSec()).toBe(5);
    e.observe("u", status("OL"), 0);
    expect(e.pollIntervalSec()).toBe(5);
    e.observe("u", status("OB"), 5000);
    expect(e.pollIntervalSec()).toBe(1);
    e.observe("u", status("OL"), 6000);
    expect(e.pollIntervalSec()).toBe(5);
  });

  it.each(["OFF", "OL BYPASS", "OL ALARM", "OL CAL", "OL OVER", "OL TRIM", "OL BOOST"])(
    "stays on POLLFREQALERT while %s",
    (s) => {
      const e = engineFor("MONITOR u 1 m p primary\nPOLLFREQ 5\nPOLLFREQALERT 2\n");
      e.observe("u", status(s), 0);
      expect(e.pollIntervalSec()).toBe(2);
    },
  );

  it("stays alert while ANY UPS is on battery, even if another one is online (upsmon resets it; we do not)", () => {
    const e = engineFor("MONITOR a 1 m p primary\nMONITOR b 1 m p primary\nPOLLFREQ 5\nPOLLFREQALERT 1\n");
    e.observe("a", status("OB"), 0);
    e.observe("b", status("OL"), 0);
    expect(e.pollIntervalSec()).toBe(1);
  });

  it("polls at gcd(POLLFREQALERT, OBLBDURATION) while waiting for OBLBDURATION", () => {
    const e = engineFor("MONITOR u 1 m p primary\nPOLLFREQALERT 4\nOBLBDURATION 6\n");
    e.observe("u", status("OB LB"), 0);
    e.evaluate(0);
    expect(e.pollIntervalSec()).toBe(2);
  });
});

describe("engine: FSD confirmation and reload", () => {
  it("notifies FSD once when the primary sets it, not again when the status shows it", () => {
    const e = engineFor("MONITOR u 1 m p primary\n");
    e.observe("u", status("OB LB"), 0);
    expect(e.fsdConfirmed("u").notifications).toEqual([{ type: "FSD", system: "u" }]);
    expect(e.fsdConfirmed("u").notifications).toEqual([]);
    expect(e.observe("u", status("FSD OB LB"), 1000).notifications).toEqual([]);
  });

  it("keeps the state of UPSes still configured after a reload and drops the others", () => {
    const e = engineFor("MONITOR a 1 m p primary\nMONITOR b 1 m p primary\n");
    e.observe("a", status("OB"), 0);
    e.observe("b", status("OL"), 0);
    e.reconfigure(parseUpsmonConf("MONITOR a 1 m p primary\nMONITOR c 1 m p primary\n", "f").config);
    expect(e.states.map((s) => s.system)).toEqual(["a", "c"]);
    // a is still known to be on battery: OB again is not a new event
    expect(e.observe("a", status("OB"), 1000).notifications).toEqual([]);
  });

  it("counts changes that the summary shows: a new status, lost communication, a DEADTIME promotion", () => {
    const e = engineFor("MONITOR u 1 m p primary\nDEADTIME 10\n");
    const seen: string[] = [];
    let last = -1;
    const step = (what: () => void) => {
      what();
      if (e.changes !== last) seen.push(e.summary());
      last = e.changes;
    };
    step(() => e.observe("u", status("OB"), 0));
    step(() => e.observe("u", status("OB"), 1000)); // same status: no change
    step(() => e.observe("u", fail, 2000));
    step(() => e.observe("u", fail, 3000)); // still lost: no change
    step(() => e.evaluate(20_000)); // DEADTIME: promoted to OB LB
    expect(seen).toEqual(["u: OB", "u: OB (no comm)", "u: OB LB (no comm)"]);
  });

  it("summarises each UPS's last known status", () => {
    const e = engineFor("MONITOR a 1 m p primary\nMONITOR b 1 m p primary\nMONITOR c 1 m p primary\n");
    e.observe("a", status("OB LB DISCHRG"), 0);
    e.observe("b", status("OL"), 0);
    e.observe("b", fail, 1000);
    expect(e.summary()).toBe("a: OB LB; b: OL (no comm); c: waiting");
  });
});

describe("engine: logs", () => {
  it("logs a persisting reason once, not on every round", () => {
    const e = engineFor("MONITOR u 1 m p secondary\nHOSTSYNC 100\nOVERDURATION 100\n");
    e.observe("u", status("OL OVER"), 0);
    e.evaluate(0);
    const first = e.evaluate(1000);
    e.observe("u", fail, 2000);
    const lost = e.evaluate(2000);
    const again = e.evaluate(3000);
    expect(first.logs.filter((l) => l.level === "warning")).toEqual([]);
    expect(lost.logs.map((l) => l.message)).toContainEqual(
      expect.stringContaining("was last known to be overloaded"),
    );
    expect(again.logs.filter((l) => l.level === "warning")).toEqual([]);
  });

  it("logs each failed poll as upsmon does (POLLFAIL_LOG_THROTTLE_MAX -1)", () => {
    const e = engineFor("MONITOR u 1 m p primary\n");
    const logs = [0, 1, 2].flatMap((t) =>
      e.observe("u", fail, t * 1000).logs.map((l) => `${l.level} ${l.message}`),
    );
    expect(logs).toEqual(Array(3).fill("err Poll UPS [u] failed - Data stale"));
  });

  it("throttles failed-poll logs with POLLFAIL_LOG_THROTTLE_MAX 0: only start and recovery", () => {
    const e = engineFor("MONITOR u 1 m p primary\nPOLLFAIL_LOG_THROTTLE_MAX 0\n");
    const errs = [0, 1, 2]
      .flatMap((t) => e.observe("u", fail, t * 1000).logs)
      .concat(e.observe("u", status("OL"), 3000).logs)
      .filter((l) => l.level === "err")
      .map((l) => l.message);
    expect(errs).toEqual([
      "Poll UPS [u] failure state changed from OK to DATA-STALE; report below will not be repeated to syslog:",
      "Poll UPS [u] failed - Data stale",
      "Poll UPS [u] recovered from failure state DATA-STALE - now OK",
    ]);
  });
});

describe("engine: wake-up after a time jump (suspend/resume)", () => {
  it("forgets stale states: an OB UPS unheard during the sleep is not promoted by DEADTIME", () => {
    const e = engineFor("MONITOR u 1 m p primary\nDEADTIME 15\n");
    e.observe("u", status("OB"), 0);
    e.evaluate(0);
    const wake = e.resumeAfterTimeJump(3_600_000, 3600);
    expect(wake.notifications).toEqual([
      { type: "SUSPEND_TIMEJUMP_UNEXPECTED", system: undefined, extra: "3600.000000 seconds" },
    ]);
    e.observe("u", fail, 3_600_000);
    expect(e.evaluate(3_601_000).shutdown).toBe(false);
    expect(e.evaluate(3_630_000).shutdown).toBe(false); // still no OB seen since the wake-up
  });

  it("gives a secondary its HOSTSYNC grace again for an OB LB seen after the wake-up", () => {
    const e = engineFor("MONITOR u 1 m p secondary\nHOSTSYNC 15\n");
    e.observe("u", status("OB LB"), 0);
    e.resumeAfterTimeJump(1_000_000, 1000);
    expect(e.observe("u", status("OB LB"), 1_000_000).notifications.map((n) => n.type)).toEqual([
      "ONBATT",
      "LOWBATT",
    ]);
    expect(e.evaluate(1_000_000).shutdown).toBe(false);
    e.observe("u", status("OB LB"), 1_016_000);
    expect(e.evaluate(1_016_000).shutdown).toBe(true);
  });
});
