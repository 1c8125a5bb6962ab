/**
 * `nutguard doctor`'s judgement: pure rules from a host's facts (doctor-facts.ts) to findings, each
 * with the fix to apply and, where a fix cannot hurt a working system, a SafeFix `--fix` may apply.
 * The reasons behind each rule: docs of NUT's service integration (process model, PID file written by
 * upsmon's unprivileged child, Type=/PIDFile=/NotifyAccess= of Debian's and upstream units, tmpfiles).
 *
 * Must not do I/O or look at the clock: facts in, findings out. doctor-fix.ts applies SafeFixes.
 */
import {
  type DoctorFacts,
  type DoctorTarget,
  formatMode,
  type ProcessFacts,
  upsmonRunsInForeground,
} from "./doctor-facts.js";
import { JOURNAL_RULES } from "./doctor-journal-rules.js";

export type Severity = "error" | "warning";

/** A repair that only creates, re-owns or removes what is wrong; applied by `doctor --fix`. */
export type SafeFix =
  | { kind: "create-dir"; path: string; mode: number; owner: string; group: string }
  | { kind: "chown-chmod"; path: string; mode: number; owner: string; group: string }
  /** Removed only while it still holds `content` (a daemon may have rewritten it meanwhile). */
  | { kind: "remove-file"; path: string; content: string }
  /** Written only if absent (temp file + rename). `afterwards` runs next, e.g. systemd-tmpfiles. */
  | { kind: "create-file"; path: string; content: string; mode: number; afterwards?: string[] };

export interface Finding {
  /** Stable identifier (scripts and tests match on it). */
  id: string;
  severity: Severity;
  /** The unit (or daemon) the finding is about. */
  subject: string;
  message: string;
  fix: string;
  safeFix?: SafeFix;
}

type Rule = (facts: DoctorFacts) => Omit<Finding, "subject"> | undefined;

const NOTIFY_TYPES = new Set(["notify", "notify-reload"]);
const NON_FORKING_TYPES = new Set(["simple", "exec", "idle", "notify", "notify-reload"]);

/** Whether the unit's ExecStart keeps the daemon in the foreground. nutguard only backgrounds with -B. */
export function runsInForeground(target: DoctorTarget, argv: string[]): boolean {
  if (target.name === "nut") return upsmonRunsInForeground(argv);
  return !argv.slice(1).some((a) => /^-[A-Za-z]*B[A-Za-z]*$/.test(a));
}

function dropInHint(facts: DoctorFacts): string {
  const dropIns = facts.unit?.dropIns ?? [];
  return dropIns.length > 0 ? ` (drop-ins in effect: ${dropIns.join(", ")})` : "";
}

function editUnit(facts: DoctorFacts, lines: string): string {
  return `run 'systemctl edit ${facts.target.unit}' and set [Service] ${lines}, or remove the drop-in that sets it${dropInHint(facts)}; then 'systemctl daemon-reload' and restart`;
}

function ownerMatches(facts: DoctorFacts, uid: number | undefined): boolean {
  const { target, accounts } = facts;
  return [target.runtimeDirOwner, ...target.runtimeDirAltOwners].some(
    (name) => accounts.users[name]?.uid === uid,
  );
}

function processMatches(target: DoctorTarget, proc: ProcessFacts): boolean {
  const comm = proc.comm ?? "";
  const base = (proc.argv0 ?? "").split("/").pop();
  // comm is cut to 15 characters by the kernel
  return target.processNames.some(
    (n) => n === base || n === comm || (comm.length === 15 && n.startsWith(comm)),
  );
}

const runtimeDirMissing: Rule = ({ target, runtimeDir, accounts }) => {
  if (runtimeDir.exists) return undefined;
  const { runtimeDirOwner: owner, runtimeDirGroup: group, runtimeDirMode: mode } = target;
  const groupExists = accounts.groups[group] !== undefined;
  return {
    id: "runtime-dir-missing",
    severity: "error",
    message: `${runtimeDir.path} does not exist: ${target.label} cannot write ${target.pidFile}`,
    fix:
      `create it: install -d -m ${formatMode(mode)} -o ${owner} -g ${group} ${runtimeDir.path}` +
      (groupExists ? "" : ` (the group '${group}' does not exist yet: addgroup --system ${group})`),
    safeFix: groupExists ? { kind: "create-dir", path: runtimeDir.path, mode, owner, group } : undefined,
  };
};

const runtimeDirNotDirectory: Rule = ({ runtimeDir }) =>
  runtimeDir.exists && runtimeDir.isDirectory === false
    ? {
        id: "runtime-dir-not-directory",
        severity: "error",
        message: `${runtimeDir.path} exists but is not a directory`,
        fix: `move it away and create the directory (install -d ${runtimeDir.path})`,
      }
    : undefined;

const runtimeDirOwner: Rule = (facts) => {
  const { target, runtimeDir, accounts } = facts;
  if (!runtimeDir.exists || !runtimeDir.isDirectory) return undefined;
  const gid = accounts.groups[target.runtimeDirGroup];
  if (ownerMatches(facts, runtimeDir.uid) && runtimeDir.gid === gid) return undefined;
  const name = (id: number | undefined, table: Record<string, number>) =>
    Object.entries(table).find(([, v]) => v === id)?.[0] ?? String(id);
  const uids = Object.fromEntries(Object.entries(accounts.users).map(([k, v]) => [k, v.uid]));
  const want = `${target.runtimeDirOwner}:${target.runtimeDirGroup}`;
  return {
    id: "runtime-dir-owner",
    severity: "error",
    message: `${runtimeDir.path} is owned by ${name(runtimeDir.uid, uids)}:${name(runtimeDir.gid, accounts.groups)}, not ${want}: the unprivileged monitor cannot use it`,
    fix: `chown ${want} ${runtimeDir.path}`,
    safeFix:
      gid === undefined
        ? undefined
        : {
            kind: "chown-chmod",
            path: runtimeDir.path,
            mode: runtimeDir.mode ?? target.runtimeDirMode,
            owner: target.runtimeDirOwner,
            group: target.runtimeDirGroup,
          },
  };
};

const runtimeDirMode: Rule = ({ target, runtimeDir, accounts }) => {
  if (!runtimeDir.exists || !runtimeDir.isDirectory || runtimeDir.mode === undefined) return undefined;
  const mode = runtimeDir.mode & 0o7777;
  if (mode === target.runtimeDirMode) return undefined;
  const worldAccess = (mode & 0o007) !== 0;
  const groupExists = accounts.groups[target.runtimeDirGroup] !== undefined;
  return {
    id: "runtime-dir-mode",
    severity: worldAccess ? "error" : "warning",
    message: `${runtimeDir.path} has mode ${formatMode(mode)}, not ${formatMode(target.runtimeDirMode)}${worldAccess ? ": other users can reach the daemon's files" : ""}`,
    fix: `chmod ${formatMode(target.runtimeDirMode)} ${runtimeDir.path}`,
    safeFix: groupExists
      ? {
          kind: "chown-chmod",
          path: runtimeDir.path,
          mode: target.runtimeDirMode,
          owner: target.runtimeDirOwner,
          group: target.runtimeDirGroup,
        }
      : undefined,
  };
};

const tmpfilesMissing: Rule = ({ target, tmpfilesEntries, inertTmpfiles }) => {
  if (tmpfilesEntries.length > 0) return undefined;
  const file = `/etc/tmpfiles.d/${target.tmpfilesName}`;
  const line = `d ${target.runtimeDir} ${formatMode(target.runtimeDirMode)} ${target.runtimeDirOwner} ${target.runtimeDirGroup} - -`;
  const inert =
    inertTmpfiles.length > 0
      ? ` (${inertTmpfiles.join(", ")} mention${inertTmpfiles.length === 1 ? "s" : ""} it, but systemd-tmpfiles reads only *.conf files)`
      : "";
  return {
    id: "tmpfiles-missing",
    severity: "error",
    message: `no tmpfiles.d entry creates ${target.runtimeDir}${inert}: /run is empty after every reboot`,
    fix: `write '${line}' to ${file}, then run 'systemd-tmpfiles --create ${file}'`,
    safeFix: {
      kind: "create-file",
      path: file,
      content: `# Written by 'nutguard doctor --fix': ${target.label}'s runtime directory\n${line}\n`,
      mode: 0o644,
      afterwards: ["systemd-tmpfiles", "--create", file],
    },
  };
};

const unitTypeForking: Rule = (facts) => {
  const { unit, target } = facts;
  if (!unit?.loaded || unit.type !== "forking" || !runsInForeground(target, unit.execStart)) return undefined;
  return {
    id: "unit-type-forking-foreground",
    severity: "error",
    message: `Type=forking, but '${unit.execStart.join(" ")}' runs ${target.label} in the foreground: systemd waits for it to exit, the start times out and the service is killed`,
    fix: editUnit(facts, target.name === "nut" ? "Type=simple" : "Type=notify"),
  };
};

const unitTypeBackgrounding: Rule = (facts) => {
  const { unit, target } = facts;
  if (!unit?.loaded || !NON_FORKING_TYPES.has(unit.type) || runsInForeground(target, unit.execStart)) {
    return undefined;
  }
  return {
    id: "unit-type-simple-background",
    severity: "error",
    message: `Type=${unit.type}, but '${unit.execStart.join(" ")}' puts ${target.label} in the background: its first process exits at once and systemd loses track of the daemon`,
    fix:
      target.name === "nut"
        ? `add -F to ExecStart= (as NUT 2.8's own unit does): ${editUnit(facts, "ExecStart= and ExecStart=/sbin/upsmon -F")}`
        : `drop -B from ExecStart=: ${editUnit(facts, "ExecStart=")}`,
  };
};

const unitTypeNotifySilent: Rule = (facts) => {
  const { unit, target } = facts;
  if (!unit?.loaded || !NOTIFY_TYPES.has(unit.type) || facts.daemonNotifies) return undefined;
  return {
    id: "unit-type-notify-silent",
    severity: "error",
    message: `Type=${unit.type}, but ${target.label} on this host never sends READY=1 (not built with libsystemd): every start times out`,
    fix: editUnit(facts, "Type=simple"),
  };
};

/**
 * READY=1 from a process other than the main one needs NotifyAccess=all: upsmon 2.8.1+ built with
 * libsystemd sends it from its unprivileged child. (A daemon notifying from its main process cannot
 * be cut off: systemd turns NotifyAccess=none into main for Type=notify and for WatchdogSec=.)
 */
const unitNotifyAccess: Rule = (facts) => {
  const { unit, target } = facts;
  if (!unit?.loaded || !NOTIFY_TYPES.has(unit.type) || !facts.daemonNotifies) return undefined;
  if (target.pidFileWrittenBy !== "child" || unit.notifyAccess === "all") return undefined;
  return {
    id: "unit-notifyaccess-narrow",
    severity: "error",
    message: `NotifyAccess=${unit.notifyAccess}, but ${target.label} sends READY=1 from its unprivileged child: systemd drops the message and the start times out`,
    fix: editUnit(facts, "NotifyAccess=all"),
  };
};

const unitNotifyAccessWide: Rule = (facts) => {
  const { unit, target } = facts;
  if (!unit?.loaded || target.pidFileWrittenBy !== "main" || unit.notifyAccess !== "all") return undefined;
  return {
    id: "unit-notifyaccess-wide",
    severity: "warning",
    message: `NotifyAccess=all lets any process of the unit change its MainPID; ${target.label} notifies from its main process`,
    fix: editUnit(facts, "NotifyAccess=main"),
  };
};

const unitPidFilePath: Rule = (facts) => {
  const { unit, target } = facts;
  if (!unit?.loaded || unit.pidFile === "" || unit.pidFile === target.pidFile) return undefined;
  return {
    id: "unit-pidfile-path",
    severity: "error",
    message: `PIDFile=${unit.pidFile}, but ${target.label} writes ${target.pidFile}: systemd ${unit.type === "forking" ? "never learns the main PID and the start times out" : "cannot find the daemon on reload"}`,
    fix: editUnit(
      facts,
      unit.type === "forking"
        ? `PIDFile=${target.pidFile}`
        : "PIDFile= (empty: not needed without Type=forking)",
    ),
  };
};

const pidFileNotMainPid: Rule = (facts) => {
  const { unit, target, pidFile } = facts;
  if (!unit?.loaded || unit.mainPid <= 0 || pidFile.pid === undefined || pidFile.pid === unit.mainPid) {
    return undefined;
  }
  if (!pidFile.process?.alive || pidFile.process.zombie) return undefined; // stale: pidfile-stale says so
  // upsmon's child PID in its file is by design; it matters where systemd reads that file
  if (target.pidFileWrittenBy === "child" && unit.pidFile !== pidFile.path) return undefined;
  const child = target.pidFileWrittenBy === "child";
  return {
    id: "pidfile-not-mainpid",
    severity: child ? "warning" : "error",
    message: child
      ? `${pidFile.path} names PID ${pidFile.pid} (upsmon's unprivileged child), not the unit's MainPID ${unit.mainPid}: with PIDFile= set, systemd adopts it on reload ("Supervising process ${pidFile.pid} which is not our child") and may miss a crash`
      : `${pidFile.path} names PID ${pidFile.pid}, not the unit's MainPID ${unit.mainPid}: signals sent through the PID file miss the daemon`,
    fix: child
      ? editUnit(facts, "PIDFile= (empty; upsmon -F under Type=simple does not need it)")
      : `restart the unit ('systemctl restart ${target.unit}'); if it comes back, report a bug`,
  };
};

const mainPidNotOurChild: Rule = (facts) => {
  const { unit, target } = facts;
  if (!unit?.loaded || unit.mainPid <= 0 || unit.mainPidParent === undefined || unit.mainPidParent === 1) {
    return undefined;
  }
  return {
    id: "mainpid-not-our-child",
    severity: "warning",
    message: `the unit's MainPID ${unit.mainPid} is not systemd's child (its parent is PID ${unit.mainPidParent}): systemd logs "Supervising process ${unit.mainPid} which is not our child" and may record a crash as a clean stop`,
    fix:
      target.pidFileWrittenBy === "child"
        ? `drop PIDFile= so that systemd keeps upsmon's root process as MainPID (${editUnit(facts, "PIDFile=")})`
        : `restart the unit ('systemctl restart ${target.unit}'); if it comes back, report a bug`,
  };
};

const pidFileStale: Rule = ({ target, pidFile }) => {
  if (!pidFile.exists || pidFile.content === undefined) return undefined;
  const proc = pidFile.process;
  let why: string | undefined;
  if (pidFile.pid === undefined) why = "holds no PID";
  else if (!proc?.alive) why = `names PID ${pidFile.pid}, which is not running`;
  else if (proc.zombie) why = `names PID ${pidFile.pid}, a zombie`;
  else if (proc.comm !== undefined && !processMatches(target, proc)) {
    why = `names PID ${pidFile.pid}, which is ${proc.comm}, not ${target.processNames[0]}`;
  }
  if (why === undefined) return undefined;
  return {
    id: "pidfile-stale",
    severity: "error",
    message: `stale PID file: ${pidFile.path} ${why}; '-c stop|reload' would signal the wrong process, and upsmon before 2.8.3 refuses to start while that PID is alive`,
    fix: `rm ${pidFile.path}`,
    safeFix: { kind: "remove-file", path: pidFile.path, content: pidFile.content },
  };
};

const configMissing: Rule = ({ target, config }) =>
  config.exists
    ? undefined
    : {
        id: "config-missing",
        severity: "error",
        message: `${config.path} does not exist: ${target.label} has nothing to monitor`,
        fix: `write ${config.path} (MONITOR, RUN_AS_USER, SHUTDOWNCMD ...), mode 0640 root:${target.runtimeDirGroup}`,
      };

const configReadableByOthers: Rule = ({ target, config, accounts }) => {
  if (!config.exists || config.mode === undefined || (config.mode & 0o007) === 0) return undefined;
  const group = accounts.groups[target.runtimeDirGroup] !== undefined ? target.runtimeDirGroup : "root";
  const mode = group === "root" ? 0o600 : 0o640;
  return {
    id: "config-readable-by-others",
    severity: "error",
    message: `${config.path} has mode ${formatMode(config.mode)}: every local user can read the upsd passwords in it`,
    fix: `chown root:${group} ${config.path} && chmod ${formatMode(mode)} ${config.path}`,
    safeFix: { kind: "chown-chmod", path: config.path, mode, owner: "root", group },
  };
};

const nutguardConfSecretsReadable: Rule = ({ target, nutguardConf: f, accounts }) => {
  if (!f?.exists || f.mode === undefined || (f.mode & 0o007) === 0 || f.inlineSecrets.length === 0)
    return undefined;
  const group = accounts.groups[target.runtimeDirGroup] !== undefined ? target.runtimeDirGroup : "root";
  return {
    id: "nutguard-conf-secrets-readable",
    severity: "warning",
    message: `${f.path} has mode ${formatMode(f.mode)} and holds secrets (${f.inlineSecrets.join(", ")}): every local user can read them`,
    fix: `chown root:${group} ${f.path} && chmod 0640 ${f.path} (the monitor reads it as ${group === "root" ? "root" : `group ${group}`}), or move the secrets to *_file paths`,
    safeFix: { kind: "chown-chmod", path: f.path, mode: 0o640, owner: "root", group },
  };
};

const runAsUserMissing: Rule = ({ target, config, accounts }) => {
  if (!config.exists) return undefined;
  const user = config.runAsUser ?? target.defaultRunAsUser;
  if (accounts.users[user] !== undefined) return undefined;
  const where = config.runAsUser
    ? `RUN_AS_USER ${user} (${config.path} line ${config.runAsUserLine})`
    : `the default RUN_AS_USER ${user}`;
  return {
    id: "run-as-user-missing",
    severity: "error",
    message: `${where} is not an OS account: the monitor cannot drop privileges and does not start (RUN_AS_USER names a system user, not a upsd.users login)`,
    fix: `set RUN_AS_USER to an existing system account (Debian's is nut) in ${config.path}, or create it: adduser --system --no-create-home --ingroup ${target.runtimeDirGroup} ${user}`,
  };
};

/** Every rule, in the order findings are reported. */
export const RULES: readonly Rule[] = [
  runtimeDirMissing,
  runtimeDirNotDirectory,
  runtimeDirOwner,
  runtimeDirMode,
  tmpfilesMissing,
  unitTypeForking,
  unitTypeBackgrounding,
  unitTypeNotifySilent,
  unitNotifyAccess,
  unitNotifyAccessWide,
  unitPidFilePath,
  pidFileNotMainPid,
  mainPidNotOurChild,
  pidFileStale,
  configMissing,
  configReadableByOthers,
  nutguardConfSecretsReadable,
  runAsUserMissing,
  ...JOURNAL_RULES,
];

export function diagnose(facts: DoctorFacts): Finding[] {
  const subject = facts.unit?.loaded ? facts.target.unit : facts.target.label;
  return RULES.map((rule) => rule(facts))
    .filter((f): f is Omit<Finding, "subject"> => f !== undefined)
    .map((f) => ({ subject, ...f }));
}

/** One line per finding: "error [id] nut-monitor.service: <problem>. Fix: <fix> [--fix does this]". */
export function formatFinding(f: Finding): string {
  return `${f.severity} [${f.id}] ${f.subject}: ${f.message}. Fix: ${f.fix}${f.safeFix ? " [--fix does this]" : ""}`;
}
