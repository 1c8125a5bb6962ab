/**
 * One simulated UPS with dummy-ups semantics, on injected time (dummy-ups.md):
 *  - the data file is given as text; `dummy-once` (.dev) parses it once and again only when the
 *    caller reports a change, `dummy-loop` (.seq) starts over at the end of the file;
 *  - `TIMER <s>` pauses the parse for that long, `ALARM <text>` adds to ups.alarm and puts ALARM in
 *    ups.status at the next commit (a bare ALARM clears), `<var>:` with no value deletes `<var>`;
 *  - variables take their type from dummy-ups's table; unknown names are RW STRING:32;
 *  - SET VAR changes a value at once;
 *  - instant commands as dummy-ups: only load.off is listed, and the driver does not know it (upsd
 *    answers OK, a tracked command ends as ERR UNKNOWN). With `commandEffects` (ups.conf
 *    `nutguard_instcmds = yes`, nutguard's own opt-in) load.off/load.on and test.battery.start/stop
 *    are listed and raise or clear OFF / CAL in ups.status.
 *
 * Pure: no files, sockets, timers or clocks. The I/O shell reads the file and calls `update(nowMs)`.
 */

/** The data file as the I/O shell read it: its text, or why it could not be used. */
export type DataFileRead = string | { error: string };

import { ConfigError, type ConfigLine, readConfigLines } from "../config/reader.js";
import { stringMaxFor } from "./dummy-vars.js";

export type SimulationMode = "dummy-once" | "dummy-loop";

export interface SimVar {
  name: string;
  value: string;
  rw: boolean;
  /** STRING:<max>; undefined means the variable is not flagged STRING (upsd says NUMBER). */
  stringMax: number | undefined;
}

export type SetVarResult = "OK" | "VAR-NOT-SUPPORTED" | "READONLY" | "TOO-LONG";
/** OK: done; UNKNOWN: upsd accepts it but the driver does not know it (dummy-ups's load.off). */
export type InstcmdResult = "OK" | "UNKNOWN" | "CMD-NOT-SUPPORTED";

/** What dummy-ups registers: load.off, which its instcmd() then answers as unknown. */
const DUMMY_UPS_COMMANDS = ["load.off"];

/** With commandEffects: instant commands and the status flag each one raises (true) or clears (false). */
const INSTCMD_EFFECTS: Record<string, { flag: string; on: boolean }> = {
  "load.off": { flag: "OFF", on: true },
  "load.on": { flag: "OFF", on: false },
  "test.battery.start": { flag: "CAL", on: true },
  "test.battery.stop": { flag: "CAL", on: false },
};

/** A loop without TIMER restarts at most this often (dummy-ups re-reads about every second). */
const MIN_LOOP_PERIOD_MS = 1000;

export interface SimulationOptions {
  /** The `port` value from ups.conf, shown as driver.parameter.port. */
  port: string;
  mode: SimulationMode;
  /** Name of the data file for error messages. */
  fileLabel?: string;
  /** nutguard's opt-in (ups.conf `nutguard_instcmds = yes`): instant commands with visible effects. */
  commandEffects?: boolean;
}

export class DummyUpsSimulation {
  readonly mode: SimulationMode;
  readonly commandEffects: boolean;
  private readonly vars = new Map<string, SimVar>();
  private lines: ConfigLine[] | undefined;
  private cursor = 0;
  private resumeAtMs = 0;
  private passStartMs = 0;
  private passHadTimer = false;
  private finished = false;
  private statusTokens: string[] = ["OL"];
  private alarms: string[] = [];
  /** ups.alarm was written by the ALARM lines (so clearing the alarms removes it). */
  private alarmVarFromAlarms = false;
  private readonly commandFlags = new Set<string>();
  /** Why the simulated driver is down (file missing or unreadable); undefined while it runs. */
  private failure: string | undefined = "data file not read yet";
  /** dummy-loop: the file's new text, to be used from the next pass on. */
  private pendingText: string | undefined;
  private readonly fileLabel: string;

  constructor(options: SimulationOptions) {
    this.mode = options.mode;
    this.commandEffects = options.commandEffects ?? false;
    this.fileLabel = options.fileLabel ?? options.port;
    const ro = (name: string, value: string) => this.define(name, value, false, undefined);
    ro("driver.name", "dummy-ups");
    ro("driver.parameter.mode", options.mode);
    ro("driver.parameter.pollinterval", "2");
    ro("driver.parameter.port", options.port);
    ro("driver.parameter.synchronous", "auto");
    ro("driver.version", "2.8.0");
    ro("driver.version.internal", "0.15");
    ro("device.type", "ups");
    this.define("ups.mfr", "Dummy Manufacturer", true, 32);
    this.define("ups.model", "Dummy UPS", true, 32);
    this.define("ups.status", "OL", true, 32);
    ro("device.mfr", "Dummy Manufacturer");
    ro("device.model", "Dummy UPS");
  }

  /** True while the simulated driver serves data (its file could be read). */
  get connected(): boolean {
    return this.failure === undefined;
  }

  /** Why the driver is not connected, for the log. */
  get failureReason(): string | undefined {
    return this.failure;
  }

  /**
   * The data file's text as it is now (undefined: it could not be read). Starts a new pass from the
   * top, as dummy-ups does when it (re)opens the file; alarms are reset.
   */
  loadFile(file: DataFileRead, nowMs: number): void {
    if (!this.parse(file)) return;
    this.startPass(nowMs);
    this.update(nowMs);
  }

  private parse(file: DataFileRead): boolean {
    this.lines = undefined;
    if (typeof file !== "string") {
      this.failure = file.error;
      return false;
    }
    try {
      this.lines = readConfigLines(file, this.fileLabel, { asciiOnly: true });
    } catch (err) {
      this.failure = err instanceof ConfigError ? err.message : String(err);
      return false;
    }
    this.failure = undefined;
    return true;
  }

  /**
   * The data file changed on disk. dummy-once re-reads it at once (values set since are
   * overwritten); dummy-loop picks it up when the current pass ends, as it reopens the file then.
   */
  fileChanged(file: DataFileRead, nowMs: number): void {
    if (this.mode === "dummy-loop" && this.connected && typeof file === "string") this.pendingText = file;
    else this.loadFile(file, nowMs);
  }

  /** Apply every line whose time has come. Call it often (e.g. every 100–250 ms). */
  update(nowMs: number): void {
    while (this.lines && !this.finished && nowMs >= this.resumeAtMs) {
      const lines: ConfigLine[] = this.lines;
      if (this.cursor >= lines.length) {
        this.commit();
        if (this.mode === "dummy-once") {
          this.finished = true;
          return;
        }
        const nextStart = this.passHadTimer ? this.resumeAtMs : this.passStartMs + MIN_LOOP_PERIOD_MS;
        if (this.pendingText !== undefined) {
          const next = this.pendingText;
          this.pendingText = undefined;
          if (!this.parse(next)) return;
        }
        this.startPass(Math.max(nextStart, this.resumeAtMs));
        continue;
      }
      const { words } = lines[this.cursor++]!;
      this.applyLine(words);
    }
  }

  getVar(name: string): SimVar | undefined {
    return this.vars.get(name.toLowerCase());
  }

  /** Variables sorted by name in byte order, as upsd lists them. */
  listVars(): SimVar[] {
    return [...this.vars.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  listCommands(): string[] {
    return this.commandEffects ? Object.keys(INSTCMD_EFFECTS).sort() : [...DUMMY_UPS_COMMANDS];
  }

  hasCommand(cmd: string): boolean {
    return this.listCommands().includes(cmd.toLowerCase());
  }

  /** upsd's checks after authorisation: existence, RW, STRING length. An empty value deletes. */
  setVar(name: string, value: string): SetVarResult {
    const v = this.getVar(name);
    if (!v) return "VAR-NOT-SUPPORTED";
    if (!v.rw) return "READONLY";
    if (v.stringMax !== undefined && value.length > v.stringMax) return "TOO-LONG";
    if (value === "") {
      this.vars.delete(v.name.toLowerCase());
      return "OK";
    }
    if (v.name.toLowerCase() === "ups.status") {
      this.statusTokens = value.split(" ").filter((t) => t !== "");
      this.commit();
    } else {
      v.value = value;
    }
    return "OK";
  }

  instcmd(cmd: string): InstcmdResult {
    if (!this.hasCommand(cmd)) return "CMD-NOT-SUPPORTED";
    if (!this.commandEffects) return "UNKNOWN";
    const effect = INSTCMD_EFFECTS[cmd.toLowerCase()]!;
    if (effect.on) this.commandFlags.add(effect.flag);
    else this.commandFlags.delete(effect.flag);
    this.commit();
    return "OK";
  }

  private startPass(atMs: number): void {
    this.cursor = 0;
    this.resumeAtMs = atMs;
    this.passStartMs = atMs;
    this.passHadTimer = false;
    this.finished = false;
    this.alarms = [];
  }

  private applyLine(words: string[]): void {
    const first = words[0]!;
    if (first.toUpperCase().startsWith("TIMER")) {
      const sec = Number.parseInt(words[1] ?? "0", 10);
      this.commit();
      this.passHadTimer = true;
      this.resumeAtMs += Math.max(0, Number.isFinite(sec) ? sec : 0) * 1000;
      return;
    }
    if (first.toUpperCase() === "ALARM") {
      if (words.length === 1) this.alarms = [];
      else this.alarms.push(words.slice(1).join(" "));
      return;
    }
    const name = first.endsWith(":") ? first.slice(0, -1) : first;
    if (name === "" || name.toLowerCase().startsWith("driver.")) return;
    const value = words.slice(1).join(" ");
    if (name.toLowerCase() === "ups.status") {
      this.statusTokens = words.slice(1);
      return;
    }
    if (value === "") {
      this.vars.delete(name.toLowerCase());
      return;
    }
    const existing = this.getVar(name);
    if (existing?.rw) existing.value = value;
    else this.define(name, value, true, stringMaxFor(name));
    const mirror = /^ups\.(mfr|model|serial)$/i.exec(name);
    if (mirror) {
      const deviceName = `device.${mirror[1]!.toLowerCase()}`;
      const device = this.getVar(deviceName);
      if (device) device.value = value;
      else this.define(deviceName, value, false, undefined);
    }
  }

  /** status_commit() and alarm_commit(): rebuild ups.status and ups.alarm. */
  private commit(): void {
    const tokens = [...this.statusTokens];
    for (const flag of this.commandFlags) if (!tokens.includes(flag)) tokens.push(flag);
    if (this.alarms.length > 0) {
      tokens.unshift("ALARM");
      this.define("ups.alarm", this.alarms.join(" "), true, 32);
      this.alarmVarFromAlarms = true;
    } else if (this.alarmVarFromAlarms) {
      this.vars.delete("ups.alarm");
      this.alarmVarFromAlarms = false;
    }
    const status = this.getVar("ups.status");
    if (status) status.value = tokens.join(" ");
    else this.define("ups.status", tokens.join(" "), true, 32);
  }

  private define(name: string, value: string, rw: boolean, stringMax: number | undefined): void {
    this.vars.set(name.toLowerCase(), { name, value, rw, stringMax });
  }
}
