/**
 * The polls in flight, at most one per link, for the daemon's round loop (daemon.ts).
 *
 * A round starts a poll on every link that has none outstanding; the round's evaluation then takes
 * whatever has come back: a settled poll is its result, a poll still outstanding is no news, and a
 * poll outstanding past its deadline (the link's `pollTimeoutMs`, as upsmon's request alarm) counts
 * as a failed poll for each round until it settles. So a frozen server never holds up the evaluation
 * (DEADTIME runs on time) nor the polls of the other links, and never gets a second poll stacked on
 * the first.
 *
 * The round's wait ends when the polls it is waiting for are back: those of links whose last poll
 * did not fail. A link that is failing (a dead server: its polls end at a timeout, or wait for a
 * connection attempt) is not waited for while others answer, so a power failure on a healthy server
 * is evaluated as soon as its poll is back, not at the end of the interval; the failing link's poll
 * is observed when it settles. When every poll of the round is of a failing link, all are waited for.
 *
 * Time is the daemon's injected clock (`nowMs` arguments). Must not: observe results into the engine,
 * wait, or decide anything (the daemon does).
 */
import { type Clock, realClock } from "../util/clock.js";
import type { PollResult } from "./engine-types.js";
import type { PollDemand } from "./poll-demand.js";
import type { UpsLink } from "./ups-link.js";

/** upsmon: a request runs under an alarm of the connect timeout (10 s) + 5 s. */
export const DEFAULT_POLL_TIMEOUT_MS = 15_000;

const OVERDUE: PollResult = { kind: "failure", code: "TIMEOUT", message: "Request timed out" };

interface Slot {
  round: number;
  startedMs: number;
  /** Set when the poll settled; observed (and the slot dropped) at the next evaluation. */
  result: PollResult | undefined;
  /** The round's wait waits for this poll (see above). */
  awaited: boolean;
}

/** Per link, made once: its poll's settle functions (no closures allocated per poll). */
interface LinkCallbacks {
  ok: (result: PollResult) => void;
  failed: (err: unknown) => void;
}

export class LinkPolls {
  private readonly slots = new Map<UpsLink, Slot>();
  private readonly callbacks = new WeakMap<UpsLink, LinkCallbacks>();
  /** Links whose last observed poll failed. */
  private readonly failing = new WeakSet<UpsLink>();
  private round = 0;
  /** Polls this round started, and how many of them have not settled yet. */
  private started = 0;
  private waiting = 0;

  /**
   * `roundDone` runs when the round's wait may end: every poll the round started has settled, or,
   * when it started none (every link still outstanding), as soon as one of those settles.
   */
  constructor(
    private readonly roundDone: () => void,
    /** Its `during()` holds a virtual clock still while a poll is outstanding. */
    private readonly clock: Clock = realClock,
  ) {}

  /** A new round: a poll on every link without one outstanding, reading what `demandOf` its UPS asks. */
  startRound(links: readonly UpsLink[], nowMs: number, demandOf?: (system: string) => PollDemand): void {
    this.round++;
    this.started = 0;
    this.waiting = 0;
    // wait for the polls of links that answered last time; for all when there are none
    let anyAnswering = false;
    for (const link of links) {
      if (!this.slots.has(link) && !this.failing.has(link)) {
        anyAnswering = true;
        break;
      }
    }
    for (const link of links) {
      if (this.slots.has(link)) continue;
      const awaited = !anyAnswering || !this.failing.has(link);
      const slot: Slot = { round: this.round, startedMs: nowMs, result: undefined, awaited };
      this.slots.set(link, slot);
      this.started++;
      if (awaited) this.waiting++;
      const cb = this.callbacksOf(link);
      this.clock.during(link.poll(demandOf?.(link.entry.system))).then(cb.ok, cb.failed);
    }
  }

  private callbacksOf(link: UpsLink): LinkCallbacks {
    let cb = this.callbacks.get(link);
    if (cb === undefined) {
      // the slot is looked up when the poll settles: at most one poll per link is ever outstanding
      const settle = (result: PollResult) => {
        const slot = this.slots.get(link);
        if (slot !== undefined && slot.result === undefined) this.settle(link, slot, result);
      };
      cb = {
        ok: settle,
        failed: (err: unknown) =>
          settle({
            kind: "failure",
            code: "ERROR",
            message: err instanceof Error ? err.message : String(err),
          }),
      };
      this.callbacks.set(link, cb);
    }
    return cb;
  }

  /**
   * What to observe at this evaluation, in the order of `links`: each settled result (its slot is
   * freed, so the next round polls that link again), and a failure for each poll outstanding past its
   * deadline. Links with a poll outstanding within its deadline are left out (no news).
   */
  collect(links: readonly UpsLink[], nowMs: number): { link: UpsLink; result: PollResult }[] {
    const out: { link: UpsLink; result: PollResult }[] = [];
    for (const link of links) {
      const slot = this.slots.get(link);
      if (slot === undefined) continue;
      if (slot.result !== undefined) {
        this.slots.delete(link);
        out.push({ link, result: slot.result });
        if (slot.result.kind === "failure") this.failing.add(link);
        else this.failing.delete(link);
      } else if (nowMs - slot.startedMs >= (link.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS)) {
        out.push({ link, result: OVERDUE });
        this.failing.add(link);
      }
    }
    return out;
  }

  /** A link dropped by a reload: its poll, if any, is no longer waited for or observed. */
  forget(link: UpsLink): void {
    const slot = this.slots.get(link);
    if (slot === undefined) return;
    this.slots.delete(link);
    if (slot.round === this.round && slot.result === undefined && slot.awaited && --this.waiting === 0)
      this.roundDone();
  }

  /** After a wall-clock jump: outstanding polls count their deadline from now. */
  restartClocks(nowMs: number): void {
    for (const slot of this.slots.values()) slot.startedMs = nowMs;
  }

  private settle(link: UpsLink, slot: Slot, result: PollResult): void {
    if (this.slots.get(link) !== slot) return; // forgotten
    slot.result = result;
    if (slot.round === this.round) {
      if (slot.awaited && --this.waiting === 0) this.roundDone();
    } else if (this.started === 0) {
      this.roundDone(); // the round has nothing else to wait for
    } // else a late poll: news for the next evaluation, no reason to hurry it
  }
}
