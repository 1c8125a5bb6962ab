/**
 * The drill's data: what it learned about each monitored UPS (read once from its real upsd), the
 * facts about the host it checks, the timeline it plays, and the findings it reports. Types only.
 */
import type { MonitorEntry } from "../config/upsmon-conf.js";

export type DrillScenario = "outage" | "comm-loss" | "primary-fsd" | "flapping";
export const DRILL_SCENARIOS: readonly DrillScenario[] = ["outage", "comm-loss", "primary-fsd", "flapping"];

/** The battery of a simulated twin: charge and runtime now, and where the UPS raises LB. */
export interface TwinProfile {
  /** battery.charge, percent. */
  charge: number;
  /** battery.runtime, seconds. */
  runtimeSec: number;
  /** battery.charge.low, percent. */
  chargeLow: number;
  /** battery.runtime.low, seconds. */
  runtimeLowSec: number;
  /** Read-only copy of the real UPS's other variables (identity, load ...), shown by the twin. */
  vars: Record<string, string>;
  /** "real": read from its upsd; "plain": the built-in profile (upsd unreachable or not reporting). */
  source: "real" | "plain";
  /**
   * battery.charge / battery.runtime when the real UPS does not report them: the twin does not
   * either (a threshold on them cannot fire in the drill, as on the real UPS).
   */
  missing?: readonly string[];
}

/** What the drill read from one MONITOR line's real upsd (read-only). */
export interface RealUpsProbe {
  monitor: MonitorEntry;
  /** undefined when the UPS answered; else NUT's message ("Connection failure: ...", "Unknown UPS"). */
  unreachable: string | undefined;
  vars: Record<string, string>;
  /** Result of USERNAME/PASSWORD/LOGIN on the drill's own connection: ok, rejected (with NUT's error), or not checked. */
  credentials:
    | { result: "ok" }
    | { result: "rejected"; error: string }
    | { result: "unchecked"; why: string };
  /** Addresses of the connections logged in to the UPS (LIST CLIENT), read before the drill's own LOGIN. */
  clients: string[] | undefined;
}

/** Can a program be run by a given user. */
export interface ProgramCheck {
  /** As configured (SHUTDOWNCMD's first word, NOTIFYCMD's program). */
  program: string;
  /** The file it resolves to, when found. */
  path: string | undefined;
  user: string;
  problem: undefined | "not-found" | "not-executable" | "unknown-user";
}

/** The host facts the findings need (gathered by facts.ts; plain data). */
export interface HostFacts {
  shutdownCmd: ProgramCheck | undefined;
  notifyCmd: ProgramCheck | undefined;
  /** POWERDOWNFLAG's directory, when POWERDOWNFLAG is set. */
  powerDownFlagDir: { dir: string; exists: boolean } | undefined;
  /** The addresses of this host (to tell its own upsd logins from other hosts'). */
  localAddresses: string[];
  /** Seconds the host takes to shut down, and where that figure comes from. */
  shutdownTakes: { sec: number; source: "option" | "journal" | "default" };
  /** upssched.conf's CMDSCRIPT, when the monitor runs upssched's timers itself (run as RUN_AS_USER). */
  cmdScript?: ProgramCheck | undefined;
  /** nutguard.conf and its `*_file` secrets, which the monitor reads as RUN_AS_USER. */
  monitorReads?: FileCheck[];
}

export interface FileCheck {
  /** nutguard.conf, or the `section.key` that names the file. */
  what: string;
  path: string;
  user: string;
  problem: undefined | "not-found" | "not-readable" | "unknown-user";
}

export interface TimelineEntry {
  /** Seconds since the mains were lost (negative: before). */
  tSec: number;
  /** The UPS as written in MONITOR, when the entry is about one. */
  ups?: string;
  /** Short upper-case label: ONBATT, LOWBATT, FSD, SHUTDOWNCMD, MAINS-LOST ... */
  what: string;
  detail: string;
}

export interface ScenarioRun {
  scenario: DrillScenario;
  timeline: TimelineEntry[];
  /** Seconds after the mains were lost that SHUTDOWNCMD was requested; undefined when it never was. */
  shutdownAtSec: number | undefined;
  /** Whether a shutdown was expected for this scenario (flapping: no). */
  shutdownExpected: boolean;
  /** Simulated seconds the scenario covered. */
  simulatedSec: number;
  /** Wall-clock milliseconds the simulation took. */
  wallMs: number;
  /** NOTIFYCMD calls (recorded; run with --exec-notify). */
  notifyCalls: { tSec: number; type: string; ups: string | undefined; argv: string[] }[];
  /** The recorded privileged action. */
  shutdownCommand: string | undefined;
  powerDownFlag: string | undefined;
}

export interface Finding {
  /** Stable id (scripts match it). */
  id:
    | "shutdowncmd-missing"
    | "shutdowncmd-not-found"
    | "shutdowncmd-not-executable"
    | "notifycmd-not-found"
    | "notifycmd-not-executable"
    | "cmdscript-not-found"
    | "cmdscript-not-executable"
    | "monitor-cannot-read"
    | "threshold-never-fires"
    | "powerdownflag-dir-missing"
    | "ups-unreachable"
    | "minsupplies-unreachable"
    | "runtime-too-short"
    | "nobody-told"
    | "credentials-rejected"
    | "primary-unknown"
    | "no-shutdown"
    | "shutdown-on-blips";
  /** What it is about: a UPS as written in MONITOR, a directive, a file. */
  subject: string;
  message: string;
  fix: string;
}

export interface DrillReport {
  configPath: string;
  /** The nutguard.conf played, when there is one. */
  nutguardConfPath?: string;
  runs: ScenarioRun[];
  findings: Finding[];
  probes: { system: string; source: "real" | "plain"; unreachable: string | undefined }[];
  /** Things the drill could not check, said plainly. */
  notes: string[];
}
