import { describe, expect, it } from "vitest";
import { applyPoll, initialUps } from "../../src/exporter/state.js";

const key = { system: "u@h:3493", upsName: "u", host: "h", port: 3493 };
const ok = (status: string, more: Record<string, string> = {}) =>
  ({ ok: true, vars: { "ups.status": status, ...more } }) as const;

describe("exporter state: one poll at a time", () => {
  it("first poll: connected, status from [] and the readings", () => {
    const { next, events } = applyPoll(
      initialUps(key),
      ok("OL", { "battery.charge": "97", "ups.load": "x" }),
      10,
    );
    expect(next).toMatchObject({
      link: "connected",
      status: ["OL"],
      lastPollMs: 10,
      onBatterySinceMs: undefined,
    });
    expect(next.readings).toMatchObject({ charge: 97, load: undefined, status: "OL" });
    expect(events).toEqual([
      { kind: "link", timeMs: 10, ups: "u@h:3493", state: "connected" },
      {
        kind: "status",
        timeMs: 10,
        ups: "u@h:3493",
        previous: [],
        current: ["OL"],
        charge: 97,
        runtime: undefined,
      },
    ]);
  });

  const timeline: { at: number; poll: Parameters<typeof applyPoll>[1]; expect: object; kinds: string[] }[] = [
    {
      at: 0,
      poll: ok("OL"),
      expect: { status: ["OL"], onBatterySinceMs: undefined },
      kinds: ["link", "status"],
    },
    { at: 5, poll: ok("OL"), expect: { status: ["OL"] }, kinds: [] },
    { at: 10, poll: ok("OB DISCHRG"), expect: { onBatterySinceMs: 10 }, kinds: ["status"] },
    { at: 15, poll: ok("OB LB"), expect: { onBatterySinceMs: 10 }, kinds: ["status"] },
    {
      at: 20,
      poll: { ok: false, error: "Data stale" },
      expect: {
        link: "lost",
        linkError: "Data stale",
        pollFailures: 1,
        lastPollMs: 15,
        status: ["OB", "LB"],
      },
      kinds: ["link"],
    },
    { at: 25, poll: { ok: false, error: "Data stale" }, expect: { pollFailures: 2 }, kinds: [] },
    {
      at: 30,
      poll: { ok: false, error: "Connection refused" },
      expect: { pollFailures: 3 },
      kinds: ["link"],
    },
    {
      at: 35,
      poll: ok("OL CHRG"),
      expect: { link: "connected", onBatterySinceMs: undefined, lastPollMs: 35 },
      kinds: ["link", "status"],
    },
  ];
  it("a timeline: on battery since the first OB poll, failures keep the last known status", () => {
    let u = initialUps(key);
    for (const step of timeline) {
      const { next, events } = applyPoll(u, step.poll, step.at);
      expect([step.at, next]).toMatchObject([step.at, step.expect]);
      expect([step.at, events.map((e) => e.kind)]).toEqual([step.at, step.kinds]);
      u = next;
    }
  });
});
