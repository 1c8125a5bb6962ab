import { describe, expect, it } from "vitest";
import { DummyUpsSimulation } from "../../src/server/simulation.js";

const SEQ = `ups.status: OL
battery.charge: 100
TIMER 5
ups.status: OB DISCHRG
battery.charge: 60
TIMER 5
ups.status: OB LB DISCHRG
battery.charge: 10
TIMER 20
`;

function sim(text: string, mode: "dummy-once" | "dummy-loop", nowMs = 0) {
  const s = new DummyUpsSimulation({ port: "x", mode });
  s.loadFile(text, nowMs);
  return s;
}

const value = (s: DummyUpsSimulation, name: string) => s.getVar(name)?.value;

describe("simulation: .seq files (dummy-loop)", () => {
  it.each([
    [0, "OL", "100"],
    [4999, "OL", "100"],
    [5000, "OB DISCHRG", "60"],
    [9999, "OB DISCHRG", "60"],
    [10000, "OB LB DISCHRG", "10"],
    [29999, "OB LB DISCHRG", "10"],
    [30000, "OL", "100"],
    [35000, "OB DISCHRG", "60"],
  ])("at %i ms shows status %s and charge %s (TIMER pauses, then loops)", (atMs, status, charge) => {
    const s = sim(SEQ, "dummy-loop");
    s.update(atMs);
    expect(value(s, "ups.status")).toBe(status);
    expect(value(s, "battery.charge")).toBe(charge);
  });

  it("restarts a file without TIMER at most once a second, overwriting SET values", () => {
    const s = sim("ups.load: 10\n", "dummy-loop");
    expect(s.setVar("ups.load", "99")).toBe("OK");
    s.update(500);
    expect(value(s, "ups.load")).toBe("99");
    s.update(1000);
    expect(value(s, "ups.load")).toBe("10");
  });

  it("takes a changed file at the start of the next pass", () => {
    const s = sim(SEQ, "dummy-loop");
    s.fileChanged("ups.status: OL BOOST\nTIMER 10\n", 1000);
    s.update(29_999);
    expect(value(s, "ups.status")).toBe("OB LB DISCHRG");
    s.update(30_000);
    expect(value(s, "ups.status")).toBe("OL BOOST");
  });
});

describe("simulation: .dev files (dummy-once)", () => {
  it("keeps SET values until the file changes, then re-reads it", () => {
    const s = sim("ups.status: OL\nups.load: 25\n", "dummy-once");
    s.setVar("ups.status", "OB LB");
    s.update(60_000);
    expect(value(s, "ups.status")).toBe("OB LB");
    s.fileChanged("ups.status: OL\nups.load: 30\n", 61_000);
    expect(value(s, "ups.status")).toBe("OL");
    expect(value(s, "ups.load")).toBe("30");
  });

  it("applies a TIMER during the first pass only", () => {
    const s = sim("ups.status: OL\nTIMER 2\nups.status: OB\n", "dummy-once");
    expect(value(s, "ups.status")).toBe("OL");
    s.update(2000);
    expect(value(s, "ups.status")).toBe("OB");
    s.update(100_000);
    expect(value(s, "ups.status")).toBe("OB");
  });

  it("joins value words with single spaces, deletes on an empty value, skips driver.*", () => {
    const s = sim(
      'ups.id: multi   word    value\nups.mfr: Quirky "Power" Inc.\nbattery.charge: 5\nbattery.charge:\ndriver.name: evil\n',
      "dummy-once",
    );
    expect(value(s, "ups.id")).toBe("multi word value");
    expect(value(s, "ups.mfr")).toBe("Quirky Power Inc.");
    expect(s.getVar("battery.charge")).toBeUndefined();
    expect(value(s, "driver.name")).toBe("dummy-ups");
  });

  it("mirrors ups.mfr/model into read-only device.* variables", () => {
    const s = sim("ups.model: Rack 3000\n", "dummy-once");
    expect(s.getVar("device.model")).toMatchObject({ value: "Rack 3000", rw: false });
  });

  it("types variables like dummy-ups: known numbers, known strings, unknown STRING:32", () => {
    const s = sim("ups.load: 1\nups.id: x\nmy.custom: y\n", "dummy-once");
    expect(s.getVar("ups.load")).toMatchObject({ rw: true, stringMax: undefined });
    expect(s.getVar("ups.id")).toMatchObject({ rw: true, stringMax: 16 });
    expect(s.getVar("my.custom")).toMatchObject({ rw: true, stringMax: 32 });
    expect(s.setVar("ups.id", "x".repeat(17))).toBe("TOO-LONG");
    expect(s.setVar("driver.name", "x")).toBe("READONLY");
    expect(s.setVar("no.such", "x")).toBe("VAR-NOT-SUPPORTED");
  });
});

describe("simulation: ALARM lines", () => {
  it("adds ALARM to ups.status and the text to ups.alarm; a bare ALARM clears", () => {
    const s = sim("ups.status: OL\nALARM Battery overheated\nTIMER 5\nALARM\nTIMER 5\n", "dummy-loop");
    expect(value(s, "ups.status")).toBe("ALARM OL");
    expect(value(s, "ups.alarm")).toBe("Battery overheated");
    s.update(5000);
    expect(value(s, "ups.status")).toBe("OL");
    expect(s.getVar("ups.alarm")).toBeUndefined();
  });
});

describe("simulation: a data file that cannot be used", () => {
  it("is a driver that is not connected, with the reason", () => {
    const missing = sim("", "dummy-once");
    missing.loadFile({ error: "Can't open x: No such file or directory" }, 0);
    expect(missing.connected).toBe(false);
    expect(missing.failureReason).toBe("Can't open x: No such file or directory");
    const broken = sim('ups.status: "OL # oops"\n', "dummy-once");
    expect(broken.connected).toBe(false);
    expect(broken.failureReason).toMatch(/x:1: Parse error/);
  });
});
