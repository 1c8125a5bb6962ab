/**
 * `nutguard doctor`'s eyes: reads one host's facts about a monitor daemon into a DoctorFacts object
 * (systemctl show, the runtime directory, tmpfiles.d, the PID file and /proc, upsmon.conf, passwd).
 *
 * Must not judge or change anything: doctor-rules.ts decides, doctor-fix.ts repairs. Every read that
 * fails becomes a fact ("does not exist", "no unit"), never an exception.
 */
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { nutguardConfPathFor, parseNutguardConf } from "../config/nutguard-conf.js";
import { inlineSecrets } from "../config/nutguard-conf-secrets.js";
import { readNutConfigFile } from "../util/config-file-read.js";
import {
  type AccountFacts,
  type ConfigFacts,
  type DoctorFacts,
  type DoctorTarget,
  type FileFacts,
  findRunAsUser,
  NUT_TARGET,
  nutguardTarget,
  type PidFileFacts,
  type ProcessFacts,
  parseAccounts,
  parseEnvironment,
  parseExecStart,
  parseNutMode,
  parseSystemctlShow,
  type TmpfilesEntry,
  tmpfilesEntriesFor,
  type UnitFacts,
  unitStartMessages,
} from "./doctor-facts.js";
import { runCommand } from "./host-command.js";
import { parsePid } from "./pidfile.js";
import { readProcInfo } from "./proc-identity.js";

/** tmpfiles.d directories, highest priority first: a file name found earlier hides later ones. */
const TMPFILES_DIRS = [
  "/etc/tmpfiles.d",
  "/run/tmpfiles.d",
  "/usr/local/lib/tmpfiles.d",
  "/usr/lib/tmpfiles.d",
  "/lib/tmpfiles.d",
];
const NUT_CONF = "/etc/nut/nut.conf";
const UPSMON_BINARIES = ["/lib/nut/upsmon", "/usr/lib/nut/upsmon", "/usr/sbin/upsmon", "/sbin/upsmon"];
const UNIT_PROPERTIES = [
  "LoadState",
  "ActiveState",
  "Type",
  "PIDFile",
  "MainPID",
  "NotifyAccess",
  "ExecStart",
  "Environment",
  "DropInPaths",
  "RuntimeDirectory",
];

const run = runCommand;

/**
 * A config file's text; undefined when it cannot be used (missing, unreadable, not a regular file, > 1 MiB).
 * Bytes that are not UTF-8 become U+FFFD (a Latin-1 comment in upsmon.conf or GECOS field in /etc/passwd
 * must not make the file look unreadable).
 */
async function readText(path: string): Promise<string | undefined> {
  try {
    return readNutConfigFile(path).text;
  } catch {
    return undefined;
  }
}

/** The unit as systemd sees it; undefined when systemd does not answer (not a systemd host). */
export async function gatherUnit(unit: string): Promise<UnitFacts | undefined> {
  const { code, stdout } = await run("systemctl", ["show", "-p", UNIT_PROPERTIES.join(","), "--", unit]);
  if (code !== 0 || !stdout.includes("LoadState=")) return undefined;
  const p = parseSystemctlShow(stdout);
  const mainPid = Number(p.MainPID ?? 0) || 0;
  return {
    loaded: p.LoadState === "loaded",
    activeState: p.ActiveState ?? "",
    type: p.Type ?? "",
    pidFile: p.PIDFile ?? "",
    mainPid,
    mainPidParent: mainPid > 0 ? readProcInfo(mainPid)?.ppid : undefined,
    notifyAccess: p.NotifyAccess ?? "",
    execStart: parseExecStart(p.ExecStart ?? ""),
    environment: parseEnvironment(p.Environment ?? ""),
    dropIns: (p.DropInPaths ?? "").split(" ").filter((s) => s !== ""),
    runtimeDirectories: (p.RuntimeDirectory ?? "").split(" ").filter((s) => s !== ""),
  };
}

async function fileFacts(path: string): Promise<FileFacts> {
  try {
    const st = await stat(path);
    return {
      path,
      exists: true,
      isDirectory: st.isDirectory(),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
    };
  } catch {
    return { path, exists: false };
  }
}

async function tmpfilesFacts(dir: string): Promise<{ entries: TmpfilesEntry[]; inert: string[] }> {
  const seenNames = new Set<string>();
  const seenDirs = new Set<string>();
  const entries: TmpfilesEntry[] = [];
  const inert: string[] = [];
  const mentions = new RegExp(`(^|\\s)${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/?(\\s|$)`, "m");
  for (const d of TMPFILES_DIRS) {
    const real = await realpath(d).catch(() => undefined);
    if (real === undefined || seenDirs.has(real)) continue;
    seenDirs.add(real);
    for (const name of (await readdir(d).catch(() => [] as string[])).sort()) {
      if (seenNames.has(name)) continue;
      seenNames.add(name);
      const path = join(d, name);
      const text = await readText(path);
      if (text === undefined) continue;
      if (name.endsWith(".conf")) entries.push(...tmpfilesEntriesFor(path, text, dir));
      else if (mentions.test(text)) inert.push(path);
    }
  }
  return { entries, inert };
}

function processFacts(pid: number): ProcessFacts {
  const info = readProcInfo(pid);
  if (info === undefined) return { pid, alive: false, zombie: false };
  const { state, comm, argv0 } = info;
  return { pid, alive: true, zombie: state === "Z" || state === "X", comm, argv0 };
}

async function pidFileFacts(path: string): Promise<PidFileFacts> {
  const content = await readText(path);
  if (content === undefined) return { path, exists: false };
  const pid = parsePid(content);
  return { path, exists: true, content, pid, process: pid === undefined ? undefined : processFacts(pid) };
}

async function configFacts(path: string): Promise<ConfigFacts> {
  const facts: ConfigFacts = await fileFacts(path);
  if (!facts.exists) return facts;
  const runAs = findRunAsUser((await readText(path)) ?? "");
  return runAs ? { ...facts, runAsUser: runAs.user, runAsUserLine: runAs.lineNumber } : facts;
}

async function nutguardConfFacts(path: string): Promise<FileFacts & { inlineSecrets: string[] }> {
  const facts = await fileFacts(path);
  const text = facts.exists ? await readText(path) : undefined;
  let secrets: string[] = [];
  try {
    secrets = text === undefined ? [] : inlineSecrets(parseNutguardConf(text, path));
  } catch {
    // a file that does not parse is the monitor's to report (file:line); no secrets known here
  }
  return { ...facts, inlineSecrets: secrets };
}

async function accountFacts(): Promise<AccountFacts> {
  return parseAccounts((await readText("/etc/passwd")) ?? "", (await readText("/etc/group")) ?? "");
}

/** Whether NUT's upsmon binary here can talk sd_notify (linked with libsystemd: 2.8.1+ builds). */
async function upsmonNotifies(): Promise<boolean> {
  for (const path of UPSMON_BINARIES) {
    const bytes = await readFile(path).catch(() => undefined);
    if (bytes === undefined || bytes.subarray(0, 4).toString("latin1") !== "\x7fELF") continue;
    return bytes.includes("libsystemd.so");
  }
  return false;
}

/**
 * The unit's journal messages of its last start, this boot only: those stamped with its InvocationID,
 * or, for entries without one, since InactiveExitTimestampMonotonic (journald stamps entries with the
 * same CLOCK_MONOTONIC). See unitStartMessages.
 */
export async function gatherJournal(unit: string): Promise<string[] | undefined> {
  const show = await run("systemctl", [
    "show",
    "-p",
    "InactiveExitTimestampMonotonic,InvocationID",
    "--",
    unit,
  ]);
  const props = parseSystemctlShow(show.stdout);
  const since = Number(props.InactiveExitTimestampMonotonic ?? 0);
  if (show.code !== 0 || !(since > 0)) return undefined;
  const { code, stdout } = await run("journalctl", [
    "--no-pager",
    "-b",
    "-u",
    unit,
    "-o",
    "json",
    "--output-fields=MESSAGE,_SYSTEMD_INVOCATION_ID,INVOCATION_ID",
  ]);
  if (code !== 0) return undefined;
  return unitStartMessages(stdout, { invocationId: props.InvocationID ?? "", sinceMonotonicUs: since });
}

/** Everything doctor looks at for one daemon. */
export async function gatherFacts(
  which: DoctorTarget["name"],
  env: NodeJS.ProcessEnv = process.env,
): Promise<DoctorFacts> {
  let target = which === "nut" ? NUT_TARGET : nutguardTarget();
  const unit = await gatherUnit(target.unit);
  if (which === "nutguard") {
    // the daemon's PID file goes to $NUT_PIDPATH, else its unit's RuntimeDirectory=, else /run/nutguard
    const unitEnv = unit?.environment ?? {};
    const runtimeDirectory = unit?.loaded ? unit.runtimeDirectories[0] : undefined;
    target = nutguardTarget(
      unitEnv.NUT_PIDPATH ?? (runtimeDirectory ? `/run/${runtimeDirectory}` : env.NUT_PIDPATH),
      unitEnv.NUT_CONFPATH ?? env.NUT_CONFPATH,
    );
  }
  const tmpfiles = await tmpfilesFacts(target.runtimeDir);
  return {
    target,
    unit,
    runtimeDir: await fileFacts(target.runtimeDir),
    tmpfilesEntries: tmpfiles.entries,
    inertTmpfiles: tmpfiles.inert,
    pidFile: await pidFileFacts(target.pidFile),
    config: await configFacts(target.configFile),
    ...(which === "nutguard"
      ? { nutguardConf: await nutguardConfFacts(nutguardConfPathFor(target.configFile)) }
      : {}),
    accounts: await accountFacts(),
    daemonNotifies: which === "nutguard" ? true : await upsmonNotifies(),
    journal: which === "nut" && unit?.loaded ? await gatherJournal(target.unit) : undefined,
  };
}

/**
 * The daemons to check by default: those whose unit systemd has loaded, except NUT's upsmon while
 * nut.conf says MODE=none (Debian's default: the unit is installed but starts nothing).
 */
export async function installedTargets(): Promise<{ targets: DoctorTarget["name"][]; notes: string[] }> {
  const targets: DoctorTarget["name"][] = [];
  const notes: string[] = [];
  if ((await gatherUnit(NUT_TARGET.unit))?.loaded) {
    const mode = parseNutMode((await readText(NUT_CONF)) ?? "");
    if (mode === "none" || mode === undefined) {
      notes.push(
        `${NUT_TARGET.unit} not checked: ${NUT_CONF} says MODE=${mode ?? "(unset)"} (use --target nut)`,
      );
    } else targets.push("nut");
  }
  if ((await gatherUnit(nutguardTarget().unit))?.loaded) targets.push("nutguard");
  return { targets, notes };
}
