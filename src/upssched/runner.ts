/**
 * The built-in upssched's I/O shell: it takes the monitor's place of the upssched program as NOTIFYCMD
 * (monitor/actions.ts `setNotifyCmdHandler`: exactly the notifications whose NOTIFYFLAG has EXEC, with
 * the message NOTIFYCMD would get), feeds them to the timers (timers.ts), arms one timer for the
 * next due one, and starts CMDSCRIPT for each run: argv = CMDSCRIPT's words + the timer or command
 * name, environment UPSNAME, NOTIFYTYPE, NOTIFYMSG (NUT 2.8.5), never through a shell, never waited
 * for (a script still running after 5 minutes is killed with its process group).
 *
 * No pipe, no lock file, nothing in /run/nut. For `nutguard upssched -l`, the running timers are
 * written to a state file (JSON, temp + rename, so a reader never sees half a file) in the monitor's
 * runtime directory whenever they change; the file is removed when the monitor stops.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseUpsschedConf, type UpsschedConfig } from "../config/upssched-conf.js";
import { type Clock, type ClockTimer, realClock } from "../util/clock.js";
import { readNutConfigFile } from "../util/config-file-read.js";
import type { Logger } from "../util/log.js";
import { type SchedRun, type SchedTimer, UpsschedTimers } from "./timers.js";

export const TIMER_STATE_FILE = "upssched-timers.json";
const SCRIPT_TIMEOUT_MS = 300_000;

/** What the state file holds. */
export interface TimerState {
  /** The monitor process that writes the file (a reader checks it still runs). */
  pid: number;
  writtenMs: number;
  /** upssched.conf in use. */
  conf: string;
  timers: SchedTimer[];
}

/** upssched.conf beside upsmon.conf (NUT reads both from its configuration directory). */
export function upsschedConfPathFor(upsmonConfPath: string): string {
  return join(dirname(upsmonConfPath), "upssched.conf");
}

/** Read and parse upssched.conf (throws ConfigError with file:line, or an Error naming the file). */
export function loadUpsschedConf(path: string): UpsschedConfig {
  const { text, warnings } = readNutConfigFile(path); // Latin-1 bytes: warnings, as upsmon.conf
  const config = parseUpsschedConf(text, path);
  return { ...config, warnings: [...warnings, ...config.warnings] };
}

export interface BuiltinUpsschedOptions {
  conf: UpsschedConfig;
  log: Logger;
  /** Where `nutguard upssched -l` reads the timers; undefined: not written. */
  stateFile?: string;
  clock?: Clock;
  /**
   * Starts CMDSCRIPT instead of the built-in spawn (the drill records each call on its simulated
   * time, and runs it only with --exec-notify). `argv` is CMDSCRIPT's words + the timer or command.
   */
  launch?: CmdScriptLauncher;
}

/** One CMDSCRIPT call of the built-in upssched, handed to a launcher. */
export type CmdScriptLauncher = (argv: readonly string[], run: SchedRun) => void;

export class BuiltinUpssched {
  private readonly timers: UpsschedTimers;
  private conf: UpsschedConfig;
  private readonly clock: Clock;
  private timer: ClockTimer | undefined;
  private readonly children = new Set<ChildProcess>();
  private stopped = false;

  constructor(private readonly o: BuiltinUpsschedOptions) {
    this.conf = o.conf;
    this.clock = o.clock ?? realClock;
    this.timers = new UpsschedTimers(o.conf);
    for (const w of o.conf.warnings) o.log.warning(w);
    this.writeState();
  }

  /** What upsmon would have run upssched for (the monitor's NOTIFYCMD handler). Never blocks. */
  readonly exec = (n: { type: string; system: string | undefined; message: string }): void => {
    if (this.stopped) return;
    const runs = this.timers.notify(n.type, n.system ?? "", n.message, this.clock.now());
    this.start(runs);
    this.arm();
    this.writeState();
  };

  /** A reload: new rules for the next events; running timers keep running. */
  reconfigure(conf: UpsschedConfig): void {
    this.conf = conf;
    this.timers.reconfigure(conf);
    for (const w of conf.warnings) this.o.log.warning(w);
  }

  list(): readonly Readonly<SchedTimer>[] {
    return this.timers.list();
  }

  /** Stop: cancel the timer, remove the state file. Running scripts are left to finish. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    if (this.o.stateFile) rmSync(this.o.stateFile, { force: true });
  }

  private arm(): void {
    this.timer?.cancel();
    const due = this.timers.nextDueMs();
    if (due === undefined || this.stopped) return;
    this.timer = this.clock.setTimer(
      () => {
        const runs = this.timers.due(this.clock.now());
        for (const r of runs) this.o.log.info(`upssched: timer ${r.arg} fired`);
        this.start(runs);
        this.arm();
        this.writeState();
      },
      Math.max(0, due - this.clock.now()),
    );
  }

  private start(runs: SchedRun[]): void {
    const [program, ...args] = this.conf.cmdScript;
    if (program === undefined) return;
    for (const run of runs) {
      if (this.o.launch) {
        this.o.launch([program, ...args, run.arg], run);
        continue;
      }
      this.o.log.debug(
        `upssched: ${program} ${run.arg} (${run.why}) UPSNAME=${run.env.UPSNAME} NOTIFYTYPE=${run.env.NOTIFYTYPE}`,
        1,
      );
      let child: ChildProcess;
      try {
        child = spawn(program, [...args, run.arg], {
          env: { ...process.env, ...run.env },
          stdio: ["ignore", "inherit", "inherit"],
          detached: true,
        });
      } catch (err) {
        this.o.log.error(`upssched: cannot run CMDSCRIPT ${program}: ${(err as Error).message}`);
        continue;
      }
      this.children.add(child);
      const kill = setTimeout(() => {
        this.o.log.warning(
          `upssched: CMDSCRIPT ${program} ${run.arg} still running after ${SCRIPT_TIMEOUT_MS / 1000} s, killing it`,
        );
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      }, SCRIPT_TIMEOUT_MS);
      kill.unref();
      child.once("error", (err) => {
        clearTimeout(kill);
        this.children.delete(child);
        this.o.log.error(`upssched: cannot run CMDSCRIPT ${program}: ${err.message}`);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(kill);
        this.children.delete(child);
        if (signal !== null)
          this.o.log.warning(`upssched: CMDSCRIPT ${program} ${run.arg} terminated with signal ${signal}`);
        else if (code !== 0) this.o.log.info(`upssched: CMDSCRIPT ${program} ${run.arg} returned ${code}`);
      });
    }
  }

  private writeState(): void {
    const path = this.o.stateFile;
    if (path === undefined || this.stopped) return;
    const state: TimerState = {
      pid: process.pid,
      writtenMs: this.clock.now(),
      conf: this.conf.file,
      timers: [...this.timers.list()],
    };
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o640 });
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      this.o.log.warning(
        `upssched: cannot write ${path}: ${(err as Error).message} (upssched -l will not see the timers)`,
      );
    }
  }
}
