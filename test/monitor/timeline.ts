/**
 * Test helper: runs the pure engine over a virtual-time timeline and renders what a user would see
 * as short strings ("12 ONBATT u", "15 SHUTDOWN-DECISION"), so rule tests read as tables.
 */
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { MonitorEngine } from "../../src/monitor/engine.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import type { ExtraCriticalRule } from "../../src/monitor/threshold-rules.js";

/** A failed poll (driver gone, connection refused ...). */
export const FAIL = { fail: "DRIVER-NOT-CONNECTED" } as const;
export type Observation =
  | string
  | typeof FAIL
  | { status: string; alarm?: string; buzzwords?: string; vars?: Record<string, string> };

/** One round at `t` seconds: the status (or failure) of each UPS by its system name. */
export type Round = [tSec: number, observations: Record<string, Observation> | Observation];

export interface TimelineOptions {
  /** upsmon.conf text; default: one primary `u` with power value 1. */
  conf?: string;
  /** Include log lines whose message contains one of these substrings. */
  logsMatching?: string[];
  /** nutguard's extra critical rule (battery thresholds); the decision line then names the reasons. */
  extraRule?: ExtraCriticalRule;
}

export const ONE_PRIMARY = "MONITOR u 1 mon pass primary\n";
export const ONE_SECONDARY = "MONITOR u 1 mon pass secondary\n";

function toPoll(o: Observation): PollResult {
  if (typeof o === "string") return { kind: "status", status: o };
  if ("fail" in o) return { kind: "failure", code: o.fail, message: "Driver not connected" };
  return { kind: "status", status: o.status, alarm: o.alarm, buzzwords: o.buzzwords, vars: o.vars };
}

/** Runs the rounds; stops after the first round whose evaluation decides to shut down. */
export function simulate(rounds: Round[], options: TimelineOptions = {}): string[] {
  const parsed = parseUpsmonConf(options.conf ?? ONE_PRIMARY, "upsmon.conf");
  if (parsed.fatal) throw new Error(parsed.fatal);
  const engine = new MonitorEngine(parsed.config, options.extraRule);
  const seen: string[] = [];
  for (const [t, obs] of rounds) {
    const nowMs = t * 1000;
    const perUps =
      typeof obs === "string" || "fail" in obs || "status" in obs
        ? { [parsed.config.monitors[0]!.system]: obs as Observation }
        : (obs as Record<string, Observation>);
    for (const [system, o] of Object.entries(perUps)) {
      const out = engine.observe(system, toPoll(o), nowMs);
      for (const n of out.notifications) {
        seen.push(
          `${t} ${n.type} ${n.system ?? ""}${n.extra !== undefined ? ` [${n.extra}]` : ""}`.trimEnd(),
        );
      }
    }
    const ev = engine.evaluate(nowMs);
    for (const l of ev.logs) {
      if (options.logsMatching?.some((m) => l.message.includes(m))) seen.push(`${t} log: ${l.message}`);
    }
    if (ev.shutdown) {
      const why = options.extraRule ? ` ${ev.critical.map((c) => `${c.ups}:${c.reason}`).join(" ")}` : "";
      seen.push(`${t} SHUTDOWN-DECISION${why}`);
      break;
    }
  }
  return seen;
}

/** Rounds every `stepSec` from `fromSec` to `toSec` inclusive, all with the same observation. */
export function every(stepSec: number, fromSec: number, toSec: number, obs: Round[1]): Round[] {
  const rounds: Round[] = [];
  for (let t = fromSec; t <= toSec; t += stepSec) rounds.push([t, obs]);
  return rounds;
}
