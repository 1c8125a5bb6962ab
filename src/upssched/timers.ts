/**
 * The built-in upssched's timers (NUT 2.8.5 semantics, clients.md §5): what happens when upsmon would
 * have run `upssched` for a notification, and when timers fire. Pure: time is a parameter; the
 * result is the list of CMDSCRIPT runs to start, which the I/O shell (runner.ts) executes.
 *
 * - Every AT line whose type (case-insensitive) and UPS (exact, or `*`) match runs, in file order.
 * - START-TIMER adds an independent timer, even when one of that name runs.
 * - START-TIMER-SHARED adds this event's UPSNAME/NOTIFYTYPE/message to the running timer of that
 *   name (the first one), or starts one.
 * - CANCEL-TIMER removes every timer of that name (2.8.5; 2.8.0 removed only the first); when none
 *   existed and a command is given, CMDSCRIPT runs with it ("the timer had already fired").
 * - CANCEL-TIMER-MATCHED does the same for the timers of that name that recorded this event's UPS
 *   (a shared timer only loses that UPS, and ends when none is left). NUT documents it as matching
 *   the recorded UPSNAME/NOTIFYTYPE; the UPS is what an ONLINE can match against an ONBATT timer.
 * - EXECUTE runs CMDSCRIPT with the command at once.
 * - A timer that fires runs CMDSCRIPT with its name, UPSNAME and NOTIFYTYPE comma-joined over the
 *   events it gathered and NOTIFYMSG their messages joined by ".\t" (2.8.5).
 */
import type { UpsschedConfig } from "../config/upssched-conf.js";

export interface SchedTimer {
  name: string;
  startedMs: number;
  dueMs: number;
  types: string[];
  upsNames: string[];
  messages: string[];
}

export interface SchedRun {
  /** The argument appended to CMDSCRIPT: the timer's name or the command. */
  arg: string;
  env: { UPSNAME: string; NOTIFYTYPE: string; NOTIFYMSG: string };
  /** Why: a timer fired, EXECUTE, or CANCEL-TIMER with nothing to cancel. */
  why: "timer" | "execute" | "cancel";
}

function runOf(t: SchedTimer): SchedRun {
  return {
    arg: t.name,
    why: "timer",
    env: { UPSNAME: t.upsNames.join(","), NOTIFYTYPE: t.types.join(","), NOTIFYMSG: t.messages.join(".\t") },
  };
}

export class UpsschedTimers {
  private timers: SchedTimer[] = [];

  constructor(private conf: UpsschedConfig) {}

  /** A reload: the new rules apply to the next events; running timers keep running. */
  reconfigure(conf: UpsschedConfig): void {
    this.conf = conf;
  }

  /**
   * upsmon would run upssched for this event (its NOTIFYFLAG has EXEC): apply every matching AT line.
   * `upsName` is the UPS as in MONITOR ("" for host-wide events).
   */
  notify(type: string, upsName: string, message: string, nowMs: number): SchedRun[] {
    const runs: SchedRun[] = [];
    const env = { UPSNAME: upsName, NOTIFYTYPE: type, NOTIFYMSG: message };
    for (const rule of this.conf.rules) {
      if (rule.type.toUpperCase() !== type.toUpperCase()) continue;
      if (rule.ups !== "*" && rule.ups !== upsName) continue;
      const a = rule.action;
      if (a.kind === "execute") {
        runs.push({ arg: a.command, env, why: "execute" });
      } else if (a.kind === "start-timer") {
        const running = a.shared ? this.timers.find((t) => t.name === a.name) : undefined;
        if (running) {
          running.types.push(type);
          running.upsNames.push(upsName);
          running.messages.push(message);
        } else {
          this.timers.push({
            name: a.name,
            startedMs: nowMs,
            dueMs: nowMs + a.seconds * 1000,
            types: [type],
            upsNames: [upsName],
            messages: [message],
          });
        }
      } else {
        const cancelled = a.matched ? this.cancelMatched(a.name, upsName) : this.cancelAll(a.name);
        if (!cancelled && a.command !== undefined && a.command !== "") {
          runs.push({ arg: a.command, env, why: "cancel" });
        }
      }
    }
    return runs;
  }

  /** The timers due by `nowMs`, removed, in the order they were started. */
  due(nowMs: number): SchedRun[] {
    const fired = this.timers.filter((t) => t.dueMs <= nowMs);
    if (fired.length === 0) return [];
    this.timers = this.timers.filter((t) => t.dueMs > nowMs);
    return fired.map(runOf);
  }

  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) if (next === undefined || t.dueMs < next) next = t.dueMs;
    return next;
  }

  /** The running timers (for `nutguard upssched -l`), oldest first. */
  list(): readonly Readonly<SchedTimer>[] {
    return this.timers.map((t) => ({
      ...t,
      types: [...t.types],
      upsNames: [...t.upsNames],
      messages: [...t.messages],
    }));
  }

  private cancelAll(name: string): boolean {
    const before = this.timers.length;
    this.timers = this.timers.filter((t) => t.name !== name);
    return this.timers.length < before;
  }

  private cancelMatched(name: string, upsName: string): boolean {
    let found = false;
    this.timers = this.timers.filter((t) => {
      if (t.name !== name || !t.upsNames.includes(upsName)) return true;
      found = true;
      for (let i = t.upsNames.length - 1; i >= 0; i--) {
        if (t.upsNames[i] === upsName) {
          t.upsNames.splice(i, 1);
          t.types.splice(i, 1);
          t.messages.splice(i, 1);
        }
      }
      return t.upsNames.length > 0;
    });
    return found;
  }
}

/**
 * `upssched -l`'s lines (NUT 2.8.5's LIST-TIMERS reply without BEGIN): per timer
 * `name\t<absolute epoch s>\t<seconds left, %g>\t<types>\t<upsnames>\t<messages>`, then
 * `END LIST TIMERS`.
 */
export function formatTimerList(timers: readonly Readonly<SchedTimer>[], nowMs: number): string[] {
  const lines = timers.map((t) =>
    [
      t.name,
      String(Math.floor(t.dueMs / 1000)),
      String(Math.max(0, Math.round((t.dueMs - nowMs) / 1000))),
      t.types.join(","),
      t.upsNames.join(","),
      t.messages.join(".\t"),
    ].join("\t"),
  );
  return [...lines, "END LIST TIMERS"];
}
