/**
 * What the daemon needs from the network for one MONITOR line, as an interface, so the poll loop and
 * the shutdown choreography can be tested against scripted links as well as real upsd.
 * The real implementation (NutSession-based, persistent logged-in connection) is in ups-link-nut.ts.
 */
import type { MonitorEntry } from "../config/upsmon-conf.js";
import type { PollResult } from "./engine-types.js";
import type { LinkStateChange } from "./monitor-view.js";
import type { PollDemand } from "./poll-demand.js";

export interface UpsLink {
  readonly entry: MonitorEntry;
  /** Start connecting (LOGIN, and PRIMARY for primaries); reconnects by itself after drops. */
  start(): void;
  /**
   * One poll: ups.status (plus ups.alarm when ALARM is set, and the mode buzzwords), and what
   * `demand` asks for (poll-demand.ts; default: nothing more). Never rejects.
   * The daemon never starts a second poll while one is outstanding.
   */
  poll(demand?: PollDemand): Promise<PollResult>;
  /**
   * Optional: the same poll, its result handed to `done` (once, never before this returns) instead of
   * a promise, so a steady poll needs no promise (link-polls.ts uses it when a link has it).
   * `deadlineKept`: the caller calls `checkDeadlines()` once `requestTimeoutMs` has passed with the
   * poll unanswered, so its request may go without a timer of its own.
   */
  pollThen?(demand: PollDemand | undefined, done: (result: PollResult) => void, deadlineKept?: boolean): void;
  /** Optional: how long a request of the link's may go unanswered before its connection is given up. */
  readonly requestTimeoutMs?: number;
  /**
   * Optional: time out the outstanding poll's request if it is past `requestTimeoutMs` (its connection
   * closes and the poll fails, as when the request's own timer fires; usually before this returns).
   * Called a little early (the caller's clock is not the connection's), it times the request out at
   * its deadline instead.
   */
  checkDeadlines?(): void;
  /**
   * After this long an unsettled poll counts as a failed poll (default 15 s: upsmon's connect timeout
   * + 5 s). The poll itself goes on; its result is used when it comes.
   */
  readonly pollTimeoutMs?: number;
  /** `FSD <ups>`; resolves true on `OK FSD-SET`. Never rejects (failures are logged by the link). */
  setFsd(): Promise<boolean>;
  /** `GET NUMLOGINS <ups>`, or undefined when it cannot be read. Never rejects. */
  numLogins(): Promise<number | undefined>;
  /** Optional: report connection changes (connecting, connected, lost with the error, closed). */
  onStateChange?(listener: (change: LinkStateChange) => void): void;
  /** LOGOUT and close; no reconnect afterwards. */
  close(): Promise<void>;
}

export type UpsLinkFactory = (entry: MonitorEntry) => UpsLink;
