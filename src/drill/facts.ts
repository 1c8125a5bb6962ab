/**
 * The host facts the drill's findings need (I/O, read-only): whether SHUTDOWNCMD's and NOTIFYCMD's
 * programs exist and may be executed by the user that will run them (root for SHUTDOWNCMD,
 * RUN_AS_USER for NOTIFYCMD), whether the monitor's user may read nutguard.conf and its secret files,
 * whether POWERDOWNFLAG's directory exists, this host's addresses, and
 * how long the host takes to shut down (--shutdown-takes, else the last boot's journal, else 60 s).
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import { lookupUser } from "../service/accounts.js";
import { DEFAULT_RUN_AS_USER } from "../service/service-main.js";
import type { FileCheck, HostFacts, ProgramCheck } from "./drill-types.js";

/** systemd's PATH for services, searched besides the drill's own. */
const SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const DEFAULT_SHUTDOWN_TAKES_SEC = 60;

/** The program a shell command line starts (its first word), or undefined when it is not a plain word. */
export function shellProgram(commandLine: string): string | undefined {
  const m = /^\s*(?:"([^"]+)"|'([^']+)'|([^\s;|&<>()$`"'\\]+))(?=\s|$)/.exec(commandLine);
  const word = m?.[1] ?? m?.[2] ?? m?.[3];
  if (word === undefined || /^(exec|env|sudo|nohup)$/.test(word)) return undefined;
  return word;
}

interface Identity {
  name: string;
  uid: number;
  groups: number[];
}

function identityOf(name: string): Identity | undefined {
  if (name === "root") return { name, uid: 0, groups: [0] };
  const u = lookupUser(name);
  if (!u) return undefined;
  let groups = [u.gid];
  try {
    const out = execFileSync("id", ["-G", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    groups = out.trim().split(/\s+/).map(Number).filter(Number.isInteger);
  } catch {
    // keep the primary group
  }
  return { name, uid: u.uid, groups };
}

/**
 * Whether `id` may use `path` with the permission bit `bit` (1 = execute/search, 4 = read), as the
 * kernel decides (root reads anything and executes what has any execute bit).
 */
function allowed(path: string, id: Identity, bit: number): boolean {
  const st = statSync(path);
  if (id.uid === 0) return bit === 4 || st.isDirectory() || (st.mode & 0o111) !== 0;
  if (st.uid === id.uid) return (st.mode & (bit << 6)) !== 0;
  if (id.groups.includes(st.gid)) return (st.mode & (bit << 3)) !== 0;
  return (st.mode & bit) !== 0;
}

function resolveProgram(program: string): string | undefined {
  if (program.includes("/")) return existsSync(program) ? program : undefined;
  const dirs = [...(process.env.PATH ?? "").split(":"), ...SERVICE_PATH.split(":")].filter((d) =>
    isAbsolute(d),
  );
  for (const d of dirs) {
    const p = join(d, program);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether `user` can run `program` (found on PATH or by its path; every directory searchable). */
export function checkProgram(program: string, user: string): ProgramCheck {
  const id = identityOf(user);
  if (!id) return { program, path: undefined, user, problem: "unknown-user" };
  const path = resolveProgram(program);
  if (path === undefined) return { program, path, user, problem: "not-found" };
  const r = mayUse(path, id, 1);
  return {
    program,
    path,
    user,
    problem: r === "ok" ? undefined : r === "missing" ? "not-found" : "not-executable",
  };
}

/** Whether `user` can read the file at `path` (every directory on the way searchable). */
export function checkReadable(what: string, path: string, user: string): FileCheck {
  const id = identityOf(user);
  if (!id) return { what, path, user, problem: "unknown-user" };
  const r = mayUse(path, id, 4);
  return {
    what,
    path,
    user,
    problem: r === "ok" ? undefined : r === "missing" ? "not-found" : "not-readable",
  };
}

/** A regular file `id` may use with `bit` (1 execute, 4 read), every directory on the way searchable. */
function mayUse(path: string, id: Identity, bit: number): "ok" | "denied" | "missing" {
  try {
    if (!statSync(path).isFile()) return "denied";
    for (let d = dirname(path); ; d = dirname(d)) {
      if (!allowed(d, id, 1)) return "denied";
      if (d === dirname(d)) break;
    }
    return allowed(path, id, bit) ? "ok" : "denied";
  } catch {
    return "missing";
  }
}

/**
 * How long the previous boot took to shut down, from `journalctl -b -1 _PID=1 -o short-unix`: from
 * the first "Stopping ..." after the last "Startup finished" to the boot's last line. Pure.
 */
export function shutdownSecondsFromJournal(text: string): number | undefined {
  const lines = text
    .split("\n")
    .map((l) => /^(\d+(?:\.\d+)?)\s+\S+\s+\S+:\s(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ t: Number(m[1]), msg: m[2]! }));
  if (lines.length === 0) return undefined;
  let from = 0;
  lines.forEach((l, i) => {
    if (l.msg.startsWith("Startup finished")) from = i + 1;
  });
  const start = lines.slice(from).find((l) => l.msg.startsWith("Stopping "));
  if (!start) return undefined;
  const sec = Math.ceil(lines.at(-1)!.t - start.t);
  return sec > 0 && sec < 3600 ? sec : undefined;
}

function shutdownTakesFromJournal(): number | undefined {
  try {
    const out = execFileSync("journalctl", ["-b", "-1", "_PID=1", "-o", "short-unix", "--no-pager", "-q"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return shutdownSecondsFromJournal(out);
  } catch {
    return undefined;
  }
}

function localAddresses(): string[] {
  const out = ["127.0.0.1", "::1"];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

export interface FactOptions {
  /** upssched.conf's CMDSCRIPT program when the monitor runs upssched's timers (NOTIFYCMD is then not run). */
  cmdScript?: string | undefined;
  /** false: the configuration is an example (the demo): this host's programs are not checked. */
  checkPrograms?: boolean;
  /** Files the monitor reads as RUN_AS_USER (nutguard.conf, its `*_file` secrets): what → path. */
  monitorReads?: readonly { what: string; path: string }[];
}

export function gatherHostFacts(
  config: UpsmonConfig,
  shutdownTakesSec: number | undefined,
  o: FactOptions = {},
): HostFacts {
  const check = o.checkPrograms !== false;
  const runAs = config.runAsUser ?? DEFAULT_RUN_AS_USER;
  const shutdownProgram = config.shutdownCmd !== undefined ? shellProgram(config.shutdownCmd) : undefined;
  // with the built-in upssched, NOTIFYCMD's program is never started: CMDSCRIPT is
  const notifyProgram = o.cmdScript === undefined ? config.notifyCmd?.[0] : undefined;
  let shutdownTakes: HostFacts["shutdownTakes"];
  if (shutdownTakesSec !== undefined) shutdownTakes = { sec: shutdownTakesSec, source: "option" };
  else {
    const j = shutdownTakesFromJournal();
    shutdownTakes =
      j !== undefined
        ? { sec: j, source: "journal" }
        : { sec: DEFAULT_SHUTDOWN_TAKES_SEC, source: "default" };
  }
  return {
    shutdownCmd: check && shutdownProgram !== undefined ? checkProgram(shutdownProgram, "root") : undefined,
    notifyCmd: check && notifyProgram !== undefined ? checkProgram(notifyProgram, runAs) : undefined,
    cmdScript: check && o.cmdScript !== undefined ? checkProgram(o.cmdScript, runAs) : undefined,
    monitorReads: check ? (o.monitorReads ?? []).map((f) => checkReadable(f.what, f.path, runAs)) : [],
    powerDownFlagDir:
      check && config.powerDownFlag !== undefined
        ? { dir: dirname(config.powerDownFlag), exists: existsSync(dirname(config.powerDownFlag)) }
        : undefined,
    localAddresses: localAddresses(),
    shutdownTakes,
  };
}
