/**
 * The engine's steady-poll shortcut (engine-ups.ts, `applyStatus`): a poll the full rules applied twice
 * in a row, the second time without a notification or a log line, with nothing else changed since,
 * only moves the poll times when it comes again. Checked against the full rules over random sequences
 * (fast-check): the same UPS state and the same notifications after every step as a twin whose
 * shortcut is always disarmed first, so it takes the full path every time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EngineOutput, emptyOutput } from "../../src/monitor/engine-types.js";
import {
  applyFailure,
  applyStatus,
  confirmFsd,
  forgetAfterTimeJump,
  newUpsState,
  promoteIfDead,
  reconfigureUps,
  type UpsRuleSettings,
  type UpsState,
} from "../../src/monitor/engine-ups.js";

const SETTINGS: UpsRuleSettings = {
  rbWarnTimeSec: 20,
  noCommWarnTimeSec: 30,
  offDurationSec: 10,
  pollFailLogThrottleMax: 3,
  pollFreqSec: 5,
};

/** Few words, so the same status comes back often; lower case and odd spacing included. */
const WORDS = [
  "OL",
  "OB",
  "LB",
  "RB",
  "OFF",
  "ALARM",
  "FSD",
  "CAL",
  "ECO",
  "OVER",
  "TRIM",
  "CHRG",
  "XYZ",
  "ob",
  "alarm",
  "lb",
  "",
];
const statusText = fc
  .subarray(WORDS, { maxLength: 3 })
  .chain((ws) =>
    fc.shuffledSubarray(ws, { minLength: ws.length, maxLength: ws.length }).map((w) => w.join(" ")),
  );

type Step =
  | {
      kind: "status";
      status: string;
      alarm: string | undefined;
      buzzwords: string | undefined;
      afterSec: number;
    }
  | { kind: "failure"; afterSec: number }
  | { kind: "promote"; afterSec: number }
  | { kind: "time-jump"; afterSec: number }
  | { kind: "fsd-confirmed"; afterSec: number }
  | { kind: "reload"; afterSec: number };

const afterSec = fc.integer({ min: 0, max: 25 });
const pollStep = fc.record({
  kind: fc.constant("status" as const),
  status: statusText,
  alarm: fc.constantFrom(undefined, "Replace battery", "Overheat"),
  buzzwords: fc.constantFrom(undefined, "vendor:apc:HE", "vendor:x:NORMAL"),
  afterSec,
});
const event = fc.oneof(
  fc.record({ kind: fc.constant("failure" as const), afterSec }),
  fc.record({ kind: fc.constant("promote" as const), afterSec }),
  fc.record({ kind: fc.constant("time-jump" as const), afterSec }),
  fc.record({ kind: fc.constant("fsd-confirmed" as const), afterSec }),
  fc.record({ kind: fc.constant("reload" as const), afterSec }),
);
/**
 * A few polls per timeline (a steady UPS says the same thing again and again), each step one of them,
 * repeated a few times, or another change to the state between polls.
 */
const steps = fc
  .tuple(
    fc.array(pollStep, { minLength: 1, maxLength: 3 }),
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 4 }), afterSec) },
        { weight: 2, arbitrary: event },
      ),
      { minLength: 1, maxLength: 40 },
    ),
  )
  .map(([polls, raw]) =>
    raw.flatMap((s): Step[] => {
      if (!Array.isArray(s)) return [s];
      const [which, times, after] = s;
      return Array.from({ length: times }, () => ({ ...polls[which % polls.length]!, afterSec: after }));
    }),
  );

function apply(ups: UpsState, step: Step, nowMs: number): EngineOutput {
  const out = emptyOutput();
  switch (step.kind) {
    case "status":
      applyStatus(ups, step.status, step.alarm, step.buzzwords, nowMs, SETTINGS, out);
      break;
    case "failure":
      applyFailure(ups, nowMs, SETTINGS, out, { code: "DATA-STALE", message: "Data stale" });
      break;
    case "promote":
      promoteIfDead(ups, nowMs, 15, out.logs);
      break;
    case "time-jump":
      forgetAfterTimeJump(ups, nowMs);
      break;
    case "fsd-confirmed":
      confirmFsd(ups);
      break;
    case "reload":
      reconfigureUps(ups, ups.role, ups.powerValue);
      break;
  }
  return out;
}

/** The state without the shortcut's own record. */
function rulesState(ups: UpsState): unknown {
  const { steady: _, lastApplied: __, ...rest } = ups;
  return rest;
}

describe("the steady-poll shortcut", () => {
  it("leaves the same state and notifications as the full rules after every step", () => {
    let shortcuts = 0;
    fc.assert(
      fc.property(steps, (timeline) => {
        const fast = newUpsState("ups", "primary", 1);
        const full = newUpsState("ups", "primary", 1);
        let nowMs = 0;
        for (const step of timeline) {
          nowMs += step.afterSec * 1000;
          const last = fast.lastApplied;
          if (
            step.kind === "status" &&
            fast.steady &&
            last?.status === step.status &&
            last.alarm === step.alarm &&
            last.buzzwords === step.buzzwords
          )
            shortcuts++;
          full.steady = false; // the twin always takes the full path
          const a = apply(fast, step, nowMs);
          const b = apply(full, step, nowMs);
          expect(a).toEqual(b);
          expect(rulesState(fast)).toEqual(rulesState(full));
        }
      }),
      { numRuns: 1000 },
    );
    // the shortcut was taken (not a property of one run, but of a thousand)
    expect(shortcuts).toBeGreaterThan(1000);
  });

  it("is armed by the second quiet application of a poll, never for RB, OFF, or a status that flaps", () => {
    const armedAfter = (status: string, alarm?: string) => {
      const ups = newUpsState("ups", "primary", 1);
      const armed: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        applyStatus(ups, status, alarm, undefined, i * 5000, SETTINGS, emptyOutput());
        armed.push(ups.steady);
      }
      return armed;
    };
    expect(armedAfter("OL")).toEqual([false, true, true]);
    expect(armedAfter("OB DISCHRG")).toEqual([false, true, true]);
    expect(armedAfter("OL ALARM", "Overheat")).toEqual([false, true, true]);
    // OL and OB: ONLINE and ONBATT at every poll; "lb": cleared by the substring check, set by the token
    for (const status of ["OL RB", "OFF", "OL OB", "OB lb", "alarm"]) {
      expect(armedAfter(status), status).toEqual([false, false, false]);
    }
  });

  it("a repeated RB still warns again after RBWARNTIME, a repeated OFF still expires after OFFDURATION", () => {
    const ups = newUpsState("ups", "primary", 1);
    const types = (status: string, nowMs: number) => {
      const out = emptyOutput();
      applyStatus(ups, status, undefined, undefined, nowMs, SETTINGS, out);
      return [...out.notifications.map((n) => n.type), ...out.logs.map((l) => l.message.slice(0, 20))];
    };
    expect(types("OL RB", 0)).toEqual(["REPLBATT"]);
    expect(types("OL RB", 5_000)).toEqual([]);
    expect(types("OL RB", 21_000)).toEqual(["REPLBATT"]);
    expect(types("OFF", 30_000)).toEqual(["OFF"]);
    expect(types("OFF", 35_000)).toEqual([]);
    expect(types("OFF", 36_000)).toEqual([]);
    expect(types("OFF", 41_000)).toEqual(["ups is in state OFF "]);
  });
});
