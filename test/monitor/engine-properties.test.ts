/**
 * Properties of the engine over random timelines (fast-check): what must never happen, and that the
 * critical-rule table (src/monitor/critical-rules.ts) decides as the engine did before it became a
 * table (test/monitor/legacy-engine.ts, a verbatim copy of that implementation).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseUpsmonConf, type UpsmonConfig } from "../../src/config/upsmon-conf.js";
import { CRITICAL_RULES } from "../../src/monitor/critical-rules.js";
import { MonitorEngine } from "../../src/monitor/engine.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import type { CriticalReason } from "../../src/monitor/events.js";
import { LegacyMonitorEngine } from "./legacy-engine.js";

const SYSTEMS = ["a", "b", "c"];

/** Status words a UPS may report; `critical` ones can lead to a shutdown by themselves. */
const HARMLESS_WORDS = [
  "OL",
  "OB",
  "CHRG",
  "DISCHRG",
  "BYPASS",
  "ALARM",
  "TRIM",
  "BOOST",
  "RB",
  "CAL",
  "ECO",
  "HB",
  "XYZ",
];
const ALL_WORDS = [...HARMLESS_WORDS, "LB", "FSD", "OFF", "OVER"];

/** A status of 0–4 words (an empty one counts as a failed poll, as in upsmon), or of at least 1. */
const status = (words: string[], minLength = 0) =>
  fc
    .subarray(words, { minLength, maxLength: 4 })
    .map((ws): PollResult => ({ kind: "status", status: ws.join(" ") }));
const failure: fc.Arbitrary<PollResult> = fc.constant({
  kind: "failure",
  code: "DATA-STALE",
  message: "Data stale",
});

/** A random upsmon.conf: 1–3 UPSes, roles, power values, and the settings the critical rules read. */
const config = fc
  .record({
    count: fc.integer({ min: 1, max: 3 }),
    roles: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    powers: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
    minSupplies: fc.integer({ min: 0, max: 3 }),
    deadTime: fc.integer({ min: 1, max: 30 }),
    hostSync: fc.integer({ min: 1, max: 30 }),
    offDuration: fc.integer({ min: -1, max: 20 }),
    overDuration: fc.integer({ min: -1, max: 20 }),
    oblbDuration: fc.integer({ min: -1, max: 20 }),
    alarmCritical: fc.boolean(),
    calCritical: fc.boolean(),
  })
  .map((c) => {
    const lines = SYSTEMS.slice(0, c.count).map(
      (s, i) => `MONITOR ${s} ${c.powers[i]} m p ${c.roles[i] ? "primary" : "secondary"}`,
    );
    const total = c.powers.slice(0, c.count).reduce((x, y) => x + y, 0);
    lines.push(
      `MINSUPPLIES ${Math.min(c.minSupplies, total)}`,
      `DEADTIME ${c.deadTime}`,
      `HOSTSYNC ${c.hostSync}`,
      `OFFDURATION ${c.offDuration}`,
      `OVERDURATION ${c.overDuration}`,
      `OBLBDURATION ${c.oblbDuration}`,
      `ALARMCRITICAL ${c.alarmCritical ? 1 : 0}`,
      `NUTGUARD_CALCOMMLOST_CRITICAL ${c.calCritical ? 1 : 0}`,
    );
    const parsed = parseUpsmonConf(`${lines.join("\n")}\n`, "upsmon.conf");
    if (parsed.fatal) throw new Error(parsed.fatal);
    return parsed.config;
  });

interface Round {
  stepSec: number;
  /** One poll result per UPS, or undefined: the UPS was not polled this round. */
  polls: (PollResult | undefined)[];
}
const rounds = (poll: fc.Arbitrary<PollResult>, maxLength = 40) =>
  fc.array(
    fc.record({
      stepSec: fc.integer({ min: 0, max: 15 }),
      polls: fc.array(fc.option(poll, { nil: undefined, freq: 8 }), { minLength: 3, maxLength: 3 }),
    }),
    { minLength: 1, maxLength },
  );

/** Plays the rounds; calls `each` with every round's evaluation. */
function play(
  engine: MonitorEngine | LegacyMonitorEngine,
  conf: UpsmonConfig,
  timeline: Round[],
  each: (
    ev: ReturnType<MonitorEngine["evaluate"]> | ReturnType<LegacyMonitorEngine["evaluate"]>,
    nowMs: number,
  ) => void,
  startMs = 0,
): number {
  let nowMs = startMs;
  for (const round of timeline) {
    nowMs += round.stepSec * 1000;
    conf.monitors.forEach((m, i) => {
      const p = round.polls[i];
      if (p !== undefined) engine.observe(m.system, p, nowMs);
    });
    each(engine.evaluate(nowMs), nowMs);
  }
  return nowMs;
}

describe("engine properties", () => {
  it("never shuts down on statuses without LB, FSD, OFF or OVER while communication holds", () => {
    fc.assert(
      fc.property(config, rounds(status(HARMLESS_WORDS, 1)), (conf, timeline) => {
        // every UPS is polled every round: communication never lost
        const full = timeline.map((r) => ({
          ...r,
          polls: r.polls.map((p) => p ?? { kind: "status" as const, status: "OL" }),
        }));
        play(new MonitorEngine(conf), conf, full, (ev) => {
          expect(ev.shutdown && conf.minSupplies > 0).toBe(false);
          expect(ev.critical).toEqual([]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("never shuts down in the round of a time jump, whatever came before", () => {
    fc.assert(
      fc.property(
        config,
        rounds(fc.oneof(status(ALL_WORDS), failure)),
        fc.boolean(),
        (conf, timeline, pollsFail) => {
          const engine = new MonitorEngine(conf);
          let stoppedEarly = false;
          const endMs = play(engine, conf, timeline, (ev) => {
            if (ev.shutdown) stoppedEarly = true;
          });
          if (stoppedEarly && conf.minSupplies === 0) return;
          const jumpMs = endMs + 3_600_000;
          engine.resumeAfterTimeJump(jumpMs, 3600);
          if (pollsFail) {
            for (const m of conf.monitors)
              engine.observe(m.system, { kind: "failure", code: "TIMEOUT", message: "t" }, jumpMs);
          }
          const ev = engine.evaluate(jumpMs);
          expect(ev.critical).toEqual([]);
          expect(ev.shutdown).toBe(conf.minSupplies > 0 && ev.healthyPowerValue < conf.minSupplies);
          expect(ev.healthyPowerValue).toBe(conf.monitors.reduce((s, m) => s + m.powerValue, 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the rule table decides as the engine did before it (same critical UPSes, shutdown, notifications, logs)", () => {
    fc.assert(
      fc.property(
        config,
        rounds(fc.oneof(status(ALL_WORDS), status(ALL_WORDS), failure), 60),
        (conf, timeline) => {
          const legacy: unknown[] = [];
          play(new LegacyMonitorEngine(conf), conf, timeline, (ev, t) => {
            legacy.push({
              t,
              critical: ev.critical,
              shutdown: ev.shutdown,
              power: ev.healthyPowerValue,
              logs: ev.logs,
            });
          });
          const now: unknown[] = [];
          play(new MonitorEngine(conf), conf, timeline, (ev, t) => {
            const critical = ev.critical.map((c) => (typeof c === "string" ? c : c.ups));
            now.push({ t, critical, shutdown: ev.shutdown, power: ev.healthyPowerValue, logs: ev.logs });
          });
          expect(now).toEqual(legacy);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("every critical verdict names a rule of the table that can decide critical", () => {
    const reasons = new Set<string>(CRITICAL_RULES.map((r) => r.id));
    fc.assert(
      fc.property(config, rounds(fc.oneof(status(ALL_WORDS), failure)), (conf, timeline) => {
        play(new MonitorEngine(conf), conf, timeline, (ev) => {
          for (const c of (ev as ReturnType<MonitorEngine["evaluate"]>).critical)
            expect(reasons.has(c.reason)).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });
});

/** Timelines (seconds, status or null for a failed poll) → the reason of the first critical round. */
const reasonRows: {
  rule: string;
  conf: string;
  timeline: [number, string | null][];
  reason: CriticalReason;
}[] = [
  { rule: "FSD from the primary", conf: "secondary", timeline: [[0, "OB LB FSD"]], reason: "fsd" },
  {
    rule: "OB LB on our own primary UPS",
    conf: "primary",
    timeline: [
      [0, "OL"],
      [5, "OB LB"],
    ],
    reason: "oblb-primary",
  },
  {
    rule: "OB LB on a secondary whose primary does not act within HOSTSYNC",
    conf: "secondary\nHOSTSYNC 10",
    timeline: [
      [0, "OB"],
      [5, "OB LB"],
      [10, "OB LB"],
      [16, "OB LB"],
    ],
    reason: "hostsync-expired",
  },
  {
    rule: "last seen on battery, not heard from for DEADTIME",
    conf: "primary\nDEADTIME 15",
    timeline: [
      [0, "OB"],
      [5, null],
      [10, null],
      [21, null],
    ],
    reason: "dead-on-battery",
  },
  {
    rule: "BYPASS and then lost",
    conf: "primary",
    timeline: [
      [0, "OL BYPASS"],
      [5, null],
    ],
    reason: "bypass-dead",
  },
  {
    rule: "OFF with OFFDURATION 0",
    conf: "primary\nOFFDURATION 0",
    timeline: [[0, "OFF"]],
    reason: "off-long",
  },
  {
    rule: "OFF and then lost",
    conf: "primary\nOFFDURATION 0",
    timeline: [
      [0, "OL"],
      [0, "OFF"],
      [5, null],
    ],
    reason: "off-long",
  },
  {
    rule: "ALARM and then lost, ALARMCRITICAL on",
    conf: "primary",
    timeline: [
      [0, "OL ALARM"],
      [5, null],
    ],
    reason: "alarm-dead",
  },
  {
    rule: "CAL and then lost",
    conf: "primary",
    timeline: [
      [0, "OL CAL"],
      [5, null],
    ],
    reason: "cal-dead",
  },
  {
    rule: "OVER past OVERDURATION and lost",
    conf: "primary\nOVERDURATION 10",
    timeline: [
      [0, "OL OVER"],
      [5, null],
      [11, null],
    ],
    reason: "over-dead",
  },
];

describe("engine: the reason each critical rule reports", () => {
  it.each(reasonRows)("$rule → $reason", ({ conf, timeline, reason }) => {
    const [role, ...rest] = conf.split("\n");
    const parsed = parseUpsmonConf(`MONITOR u 1 m p ${role}\n${rest.join("\n")}\n`, "upsmon.conf");
    const engine = new MonitorEngine(parsed.config);
    let found: string | undefined;
    for (const [t, s] of timeline) {
      engine.observe(
        "u",
        s === null ? { kind: "failure", code: "TIMEOUT", message: "t" } : { kind: "status", status: s },
        t * 1000,
      );
      const ev = engine.evaluate(t * 1000);
      if (ev.critical.length > 0) {
        found = ev.critical[0]!.reason;
        expect(engine.states[0]!.criticalReason).toBe(found);
        break;
      }
    }
    expect(found).toBe(reason);
  });
});
