/**
 * What `nutguard doctor` knows about a host: the monitor daemons it can inspect (NUT's upsmon under
 * nut-monitor.service, nutguard's under nutguard-monitor.service), the plain facts object the gatherer
 * fills in, and pure parsers for the text those facts come from (`systemctl show`, ExecStart=,
 * tmpfiles.d lines, /etc/passwd and /etc/group, upsmon.conf's RUN_AS_USER).
 *
 * Must not do I/O: doctor-gather.ts reads the host, doctor-rules.ts judges the facts.
 */
import { join } from "node:path";
import { tokenizeText } from "../protocol/tokenizer.js";
import { pidFilePath } from "./pidfile.js";
import { SUPERVISOR_TITLE } from "./proc-identity.js";
import { DEFAULT_RUNTIME_DIR, RUNTIME_DIR_GROUP, RUNTIME_DIR_MODE } from "./runtime-dir.js";

/** How one monitor daemon is meant to run; the rules compare the host against this. */
export interface DoctorTarget {
  /** Short name for --target and messages. */
  name: "nut" | "nutguard";
  /** What the daemon is, for messages ("NUT's upsmon"). */
  label: string;
  unit: string;
  runtimeDir: string;
  /** Expected owner of the runtime directory; `altOwners` are accepted too (upstream NUT uses nut:nut). */
  runtimeDirOwner: string;
  runtimeDirAltOwners: string[];
  runtimeDirGroup: string;
  runtimeDirMode: number;
  /** The tmpfiles.d file --fix writes into /etc/tmpfiles.d when no entry creates the runtime dir. */
  tmpfilesName: string;
  /** The PID file the daemon writes (whatever the unit says). */
  pidFile: string;
  /** Which process the PID file names: the main process ("main") or an unprivileged child ("child"). */
  pidFileWrittenBy: "main" | "child";
  configFile: string;
  /** Names the PID file's process may have: its comm (cut to 15 characters) or argv[0]'s base name. */
  processNames: string[];
  /** RUN_AS_USER when upsmon.conf has none. */
  defaultRunAsUser: string;
}

export const NUT_TARGET: DoctorTarget = {
  name: "nut",
  label: "NUT's upsmon",
  unit: "nut-monitor.service",
  runtimeDir: "/run/nut",
  runtimeDirOwner: "root",
  runtimeDirAltOwners: ["nut"],
  runtimeDirGroup: "nut",
  runtimeDirMode: 0o770,
  tmpfilesName: "nut-client.conf",
  pidFile: "/run/nut/upsmon.pid",
  pidFileWrittenBy: "child",
  configFile: "/etc/nut/upsmon.conf",
  processNames: ["upsmon"],
  defaultRunAsUser: "nut",
};

/**
 * nutguard's monitor, with the daemon's own names (runtime-dir.ts, pidfile.ts, proc-identity.ts);
 * its PID file directory follows $NUT_PIDPATH (from the unit's environment).
 */
export function nutguardTarget(pidPath = DEFAULT_RUNTIME_DIR, confPath = "/etc/nut"): DoctorTarget {
  return {
    name: "nutguard",
    label: "nutguard's monitor",
    unit: "nutguard-monitor.service",
    runtimeDir: DEFAULT_RUNTIME_DIR,
    runtimeDirOwner: "root",
    runtimeDirAltOwners: [],
    runtimeDirGroup: RUNTIME_DIR_GROUP,
    runtimeDirMode: RUNTIME_DIR_MODE,
    tmpfilesName: "nutguard.conf",
    pidFile: pidFilePath(pidPath),
    pidFileWrittenBy: "main",
    configFile: join(confPath, "upsmon.conf"),
    processNames: [SUPERVISOR_TITLE], // the daemon's process title (the supervisor, or -p)
    defaultRunAsUser: "nut",
  };
}

export interface UnitFacts {
  /** LoadState=loaded; the other fields are meaningless otherwise. */
  loaded: boolean;
  activeState: string;
  /** Type= (simple, exec, forking, oneshot, dbus, notify, notify-reload, idle). */
  type: string;
  /** PIDFile= ("" when unset). */
  pidFile: string;
  /** 0 when not running. */
  mainPid: number;
  /** Parent PID of MainPID (1 when systemd started it or adopted an orphan); undefined when not running. */
  mainPidParent?: number;
  notifyAccess: string;
  /** argv of the (first) ExecStart= command. */
  execStart: string[];
  /** Environment= as name → value. */
  environment: Record<string, string>;
  /** Drop-in files in effect (DropInPaths=). */
  dropIns: string[];
  /** RuntimeDirectory= names (relative to /run). */
  runtimeDirectories: string[];
}

export interface FileFacts {
  path: string;
  exists: boolean;
  isDirectory?: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** A tmpfiles.d line that creates a directory (types d, D, v, q, Q). */
export interface TmpfilesEntry {
  file: string;
  lineNumber: number;
  type: string;
  path: string;
  mode: string;
  user: string;
  group: string;
}

export interface ProcessFacts {
  pid: number;
  alive: boolean;
  zombie: boolean;
  /** /proc/PID/comm, e.g. "upsmon". */
  comm?: string;
  /** First word of /proc/PID/cmdline (a process title set by the daemon shows here). */
  argv0?: string;
}

export interface PidFileFacts {
  path: string;
  exists: boolean;
  /** The PID it holds; undefined when the content is not a PID. */
  pid?: number;
  content?: string;
  process?: ProcessFacts;
}

export interface ConfigFacts extends FileFacts {
  /** RUN_AS_USER from the file, if any. */
  runAsUser?: string;
  runAsUserLine?: number;
}

export interface AccountFacts {
  /** OS user name → uid, gid. */
  users: Record<string, { uid: number; gid: number }>;
  /** OS group name → gid. */
  groups: Record<string, number>;
}

export interface DoctorFacts {
  target: DoctorTarget;
  /** undefined when systemd is not available (no systemctl, or PID 1 is not systemd). */
  unit?: UnitFacts;
  runtimeDir: FileFacts;
  /** Entries (from *.conf in the tmpfiles.d directories) that create the runtime dir. */
  tmpfilesEntries: TmpfilesEntry[];
  /** Files in tmpfiles.d directories that mention the runtime dir but are not read (not *.conf). */
  inertTmpfiles: string[];
  pidFile: PidFileFacts;
  config: ConfigFacts;
  /** nutguard.conf beside the config (nutguard target only), with the secrets written in it. */
  nutguardConf?: FileFacts & { inlineSecrets: string[] };
  accounts: AccountFacts;
  /** Whether the daemon binary sends sd_notify messages (linked with libsystemd, or nutguard). */
  daemonNotifies: boolean;
  /**
   * The unit's journal messages (MESSAGE fields, oldest first) since it was last started in this boot;
   * undefined when the journal was not read (not a systemd host, or the unit never started this boot).
   */
  journal?: string[];
}

// ---------------------------------------------------------------------------------------------- parsers

/** `systemctl show -p A,B unit` output → { A: "...", B: "..." } (values keep inner '='). */
export function parseSystemctlShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Which of a unit's journal entries belong to its last start (`systemctl show` of the unit). */
export interface UnitStart {
  /** InvocationID: journald stamps the unit's processes' lines with it (_SYSTEMD_INVOCATION_ID), PID 1 its own (INVOCATION_ID). */
  invocationId: string;
  /** InactiveExitTimestampMonotonic, in µs: for entries that carry no invocation ID. */
  sinceMonotonicUs: number;
}

/**
 * The MESSAGEs of the unit's last start, oldest first, from `journalctl -u <unit> -o json` lines.
 * An entry is of that start when it carries its invocation ID. Only an entry that carries none is
 * judged by time: journald stamps a line when it reads it, so on a busy host a line the service
 * wrote at once can be stamped before systemd recorded the start, or after the next one.
 */
export function unitStartMessages(jsonLines: string, start: UnitStart): string[] {
  const messages: string[] = [];
  for (const line of jsonLines.split("\n")) {
    if (line === "") continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // not JSON: skip
    }
    if (typeof entry.MESSAGE !== "string") continue;
    const invocation = entry._SYSTEMD_INVOCATION_ID ?? entry.INVOCATION_ID;
    const ofThisStart =
      typeof invocation === "string" && start.invocationId !== ""
        ? invocation === start.invocationId
        : Number(entry.__MONOTONIC_TIMESTAMP) >= start.sinceMonotonicUs;
    if (ofThisStart) messages.push(entry.MESSAGE);
  }
  return messages;
}

/**
 * The argv of the first command in a `systemctl show -p ExecStart` value:
 * `{ path=/sbin/upsmon ; argv[]=/sbin/upsmon -F ; ignore_errors=no ; ... }`.
 */
export function parseExecStart(value: string): string[] {
  const m = /argv\[\]=(.*?) ; (?:ignore_errors|start_time|stop_time|pid|code|status)=/.exec(value);
  if (!m) return [];
  return m[1]!.split(" ").filter((w) => w !== "");
}

/** `Environment=A=1 B=2` (systemctl show) → { A: "1", B: "2" }. Quoted values keep their spaces. */
export function parseEnvironment(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.matchAll(/(?:"([^"]*)"|(\S+))/g)) {
    const item = m[1] ?? m[2] ?? "";
    const eq = item.indexOf("=");
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** The directory-creating lines of a tmpfiles.d file that name `path`. */
export function tmpfilesEntriesFor(file: string, text: string, path: string): TmpfilesEntry[] {
  const out: TmpfilesEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [type = "", p = "", mode = "-", user = "-", group = "-"] = line.split(/\s+/);
    if (!/^[dDvqQ][!\-=~^+]*$/.test(type)) return;
    if (p.replace(/\/+$/, "") !== path.replace(/\/+$/, "")) return;
    out.push({ file, lineNumber: i + 1, type, path: p, mode, user, group });
  });
  return out;
}

/** /etc/passwd and /etc/group text → accounts. */
export function parseAccounts(passwd: string, group: string): AccountFacts {
  const users: AccountFacts["users"] = {};
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name && uid !== undefined && gid !== undefined) users[name] = { uid: Number(uid), gid: Number(gid) };
  }
  const groups: AccountFacts["groups"] = {};
  for (const line of group.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name && gid !== undefined) groups[name] = Number(gid);
  }
  return { users, groups };
}

/** RUN_AS_USER from upsmon.conf text (NUT's tokenizer rules: quotes, escapes, comments). */
export function findRunAsUser(text: string): { user: string; lineNumber: number } | undefined {
  let found: { user: string; lineNumber: number } | undefined;
  for (const line of tokenizeText(text)) {
    if (line.kind !== "line") continue;
    const [keyword, value] = line.words;
    // upsmon takes the last one, as it does for every single-valued keyword
    if (keyword === "RUN_AS_USER" && value !== undefined)
      found = { user: value, lineNumber: line.lineNumber };
  }
  return found;
}

/** MODE= from NUT's nut.conf (a shell fragment); undefined when it is not set. */
export function parseNutMode(text: string): string | undefined {
  let mode: string | undefined;
  for (const m of text.matchAll(/^[ \t]*MODE[ \t]*=[ \t]*["']?([A-Za-z]*)["']?[ \t]*(?:#.*)?$/gm))
    mode = m[1];
  return mode;
}

/** Whether upsmon's argv keeps it in the foreground (-F, -D and their doubles; -B forces background). */
export function upsmonRunsInForeground(argv: string[]): boolean {
  let foreground = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-u" || arg === "-c" || arg === "-f" || arg === "-P") {
      i++; // takes a value
      continue;
    }
    if (!/^-[A-Za-z]+$/.test(arg)) continue;
    if (arg.includes("B")) return false;
    if (arg.includes("F") || arg.includes("D")) foreground = true;
  }
  return foreground;
}

export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}
