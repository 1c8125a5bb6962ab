import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeMessage,
  MAX_STATUS_CHARS,
  MessageReader,
  type MonitorMessage,
  parseMessage,
  ShutdownOnce,
} from "../../src/service/privsep-protocol.js";

describe("privsep protocol", () => {
  it("round-trips every message kind", () => {
    const all: MonitorMessage[] = [
      { kind: "shutdown" },
      { kind: "ready" },
      { kind: "heartbeat" },
      { kind: "status", text: "2 UPS: ups1 OL, ups2 OB" },
    ];
    for (const m of all) expect(parseMessage(encodeMessage(m).slice(0, -1))).toEqual(m);
  });

  it("refuses anything else, including SHUTDOWN with arguments", () => {
    for (const line of ["SHUTDOWN /sbin/reboot", "shutdown", "RUN rm -rf /", "", "READY 1", "STATUS"]) {
      expect(parseMessage(line).kind).toBe("invalid");
    }
  });

  it("a status text can never smuggle a second sd_notify assignment", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const line = encodeMessage({ kind: "status", text });
        expect(line.indexOf("\n")).toBe(line.length - 1);
        const parsed = parseMessage(line.slice(0, -1));
        expect(parsed.kind).toBe("status");
        if (parsed.kind === "status") expect(parsed.text.length).toBeLessThanOrEqual(MAX_STATUS_CHARS);
      }),
    );
  });

  it("reassembles lines split across chunks and flags an endless line once", () => {
    const r = new MessageReader();
    expect(r.push("REA")).toEqual([]);
    expect(r.push("DY\nSHUT")).toEqual([{ kind: "ready" }]);
    expect(r.push("DOWN\n")).toEqual([{ kind: "shutdown" }]);
    expect(r.push("x".repeat(600))).toEqual([
      { kind: "invalid", line: "x".repeat(40), reason: "line too long" },
    ]);
    expect(r.push("y".repeat(600))).toEqual([]);
    expect(r.push("tail\nHEARTBEAT\n")).toEqual([{ kind: "heartbeat" }]);
  });
});

describe("SHUTDOWNCMD runs once (ShutdownOnce)", () => {
  it("runs the privileged action on the first request only; later ones are refused while it runs and after", async () => {
    let runs = 0;
    let refusals = 0;
    let release!: () => void;
    const once = new ShutdownOnce(
      () =>
        new Promise<void>((resolve) => {
          runs++;
          release = resolve;
        }),
      () => refusals++,
    );
    expect(once.state).toBe("none");
    const first = once.request();
    expect(once.state).toBe("running");
    void once.request();
    release();
    await first;
    expect(once.state).toBe("done");
    await once.request();
    expect({ runs, refusals }).toEqual({ runs: 1, refusals: 2 });
  });
});
