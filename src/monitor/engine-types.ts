/**
 * The vocabulary of the monitor's decision engine: what goes in (poll results, time) and what comes
 * out (notifications, log lines, decisions). Types only; no behaviour, no I/O.
 */
import type { NotifyType } from "../config/upsmon-notify-types.js";
import type { CriticalReason, UpsIdentity } from "./events.js";

/** What one poll of one UPS produced. */
export type PollResult =
  | {
      kind: "status";
      /** `ups.status` as upsd sent it (may be empty, which upsmon treats as a failed poll). */
      status: string;
      /** `ups.alarm`, fetched by the caller when the status has an ALARM token; undefined if unreadable. */
      alarm?: string | undefined;
      /** `ups.mode.buzzwords` or `experimental.ups.mode.buzzwords`, when the UPS has one. */
      buzzwords?: string | undefined;
      /** Every variable this poll read (ups.status included), by name: what snapshots and events show. */
      vars?: Readonly<Record<string, string>>;
      /** Device identity, when this poll (the first of a connection) read it. */
      identity?: UpsIdentity;
    }
  | {
      kind: "failure";
      /** Stable code of the failure (ERR token such as `DATA-STALE`, or `CONNECT`, `TIMEOUT` ...). */
      code: string;
      /** Human text for the log line ("Poll UPS [x] failed - <message>"). */
      message: string;
    };

/** A notification to deliver (NOTIFYMSG/NOTIFYFLAG are applied by the actions, not here). */
export interface Notification {
  type: NotifyType;
  /** The UPS as written in MONITOR, or undefined for events not tied to a UPS. */
  system: string | undefined;
  /** Second `%s` of the message (ALARM text, OTHER tokens, time jump). */
  extra?: string;
}

export type EngineLogLevel = "err" | "warning" | "notice" | "info" | "debug";
export interface EngineLog {
  level: EngineLogLevel;
  message: string;
  /** For `debug`: NUT's -D level at which it shows. */
  debugLevel?: number;
}

/** What a step of the engine asks the I/O shell to do. */
export interface EngineOutput {
  notifications: Notification[];
  logs: EngineLog[];
}

/** Result of the end-of-round evaluation (upsmon's recalc()). */
export interface Evaluation extends EngineOutput {
  /** UPSes considered critical this round, in config order, each with the id of the rule that matched (frozen). */
  critical: readonly { ups: string; reason: CriticalReason }[];
  /** Sum of the power values of the UPSes that are not critical. */
  healthyPowerValue: number;
  /** True when the healthy power is below MINSUPPLIES: start the forced shutdown. */
  shutdown: boolean;
}

export function emptyOutput(): EngineOutput {
  return { notifications: [], logs: [] };
}
