/**
 * Test helper: runs the real `nutguard monitor -p` CLI as a child process against a NutStack, with the
 * same stand-in scripts as the harness's real upsmon (writeStandIns(): NOTIFYCMD and SHUTDOWNCMD only
 * append to log files), so the two can be compared line for line.
 *
 * The CLI is bundled once per test file with esbuild (from src/, so no stale dist/), into
 * node_modules/.cache so bare imports still resolve. Every process started is stopped by PID.
 * Must not: touch /etc/nut, or signal anything it did not start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NutClient } from "../../src/client/index.js";
import { NOTIFY_TYPES } from "../../src/config/upsmon-notify-types.js";
import type { NutStack } from "./nut-stack.js";
import { writeStandIns } from "./nut-upsmon.js";

/** The repository root: the nearest directory above this file (or its bundle) with src/cli/main.ts. */
function findRepo(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "src", "cli", "main.ts"))) {
    const up = resolve(dir, "..");
    if (up === dir) throw new Error("cannot find the nutguard repository above " + import.meta.url);
    dir = up;
  }
  return dir;
}
const REPO = findRepo();
let bundlePromise: Promise<string> | undefined;

/** The CLI bundled to one .mjs file (cached per process). */
export function nutguardBundle(): Promise<string> {
  bundlePromise ??= (async () => {
    const outDir = join(REPO, "node_modules", ".cache", "nutguard-test");
    mkdirSync(outDir, { recursive: true });
    const outfile = join(outDir, `nutguard-${process.pid}.mjs`);
    await build({
      entryPoints: [join(REPO, "src/cli/main.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      outfile,
      logLevel: "error",
    });
    return outfile;
  })();
  return bundlePromise;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

export interface NutguardMonitorOptions {
  role: "primary" | "secondary";
  /** MONITOR lines to use instead of the single default one. */
  monitors?: string[];
  system?: string;
  credentials?: { user: string; pass: string };
  pollFreqSec?: number;
  hostsyncSec?: number;
  deadtimeSec?: number;
  finalDelaySec?: number;
  extraConfig?: string[];
  /** Extra CLI arguments (default: -p -D). */
  args?: string[];
  /** Node's flags, before the bundle (default: none). */
  nodeArgs?: string[];
  /** Files written beside upsmon.conf before the monitor starts (name → text), e.g. upssched.conf, nutguard.conf. */
  files?: Record<string, string>;
}

export interface NutguardMonitor {
  pid: number;
  dir: string;
  notifyLog: string;
  shutdownLog: string;
  flagPath: string;
  log: string;
  /** Resolves with the exit code (or 128+signal). */
  exited: Promise<number>;
  /** NOTIFYCMD lines so far: `NOTIFYTYPE UPSNAME msg`. */
  events(): string[];
  /** The monitor's notice-priority log lines (NOTIFYFLAG SYSLOG), in the order the events happened. */
  notices(): string[];
  /** SHUTDOWNCMD runs so far (epoch seconds). */
  shutdowns(): number[];
  /** SIGTERM, then SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

export function readLines(path: string): string[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l !== "");
  } catch {
    return [];
  }
}

/** NOTIFYCMD log lines (harness format) → `TYPE UPSNAME msg` without timestamps and uids. */
export function eventsOf(notifyLog: string): string[] {
  return readLines(notifyLog).map((l) => {
    const m = /NOTIFYTYPE=(\S*) UPSNAME=(\S*) msg=(.*)$/.exec(l);
    return m ? `${m[1]} ${m[2]} ${m[3]}`.replace(/ {2,}/g, " ") : l;
  });
}

export function shutdownTimes(shutdownLog: string): number[] {
  return readLines(shutdownLog).map((l) => Number.parseFloat(l.split(" ")[0]!));
}

export async function startNutguardMonitor(
  stack: NutStack,
  o: NutguardMonitorOptions,
): Promise<NutguardMonitor> {
  const bundle = await nutguardBundle();
  const dir = await mkdtemp(join(tmpdir(), `nutguard-monitor-${o.role}-`));
  const notifyLog = join(dir, "notify.log");
  const shutdownLog = join(dir, "shutdown.log");
  const flagPath = join(dir, "killpower");
  const cred = o.credentials ?? (o.role === "primary" ? stack.users.primary : stack.users.secondary);
  const system = o.system ?? `${stack.upsNames[0]}@${stack.host}:${stack.port}`;
  const conf = [
    ...(o.monitors ?? [`MONITOR ${system} 1 ${cred.user} ${cred.pass} ${o.role}`]),
    ...(await writeStandIns(dir, { notifyLog, shutdownLog, powerDownFlag: flagPath }, o)),
    ...NOTIFY_TYPES.map((t) => `NOTIFYFLAG ${t} SYSLOG+EXEC`),
    ...(o.extraConfig ?? []),
  ];
  await writeFile(join(dir, "upsmon.conf"), `${conf.join("\n")}\n`);
  for (const [name, text] of Object.entries(o.files ?? {})) await writeFile(join(dir, name), text);
  const log = join(dir, "monitor.log");
  const fd = openSync(log, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [...(o.nodeArgs ?? []), bundle, "monitor", ...(o.args ?? ["-p", "-D"]), "-f", join(dir, "upsmon.conf")],
      // its own config and PID file directories, so parallel tests never see each other's instance
      { stdio: ["ignore", fd, fd], env: { ...process.env, NUT_CONFPATH: dir, NUT_PIDPATH: dir } },
    );
  } finally {
    closeSync(fd);
  }
  live.add(child);
  const exited = new Promise<number>((resolveExit) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolveExit(code ?? 128 + (signal === "SIGKILL" ? 9 : 15));
    });
  });
  let stopped = false;
  return {
    pid: child.pid!,
    dir,
    notifyLog,
    shutdownLog,
    flagPath,
    log,
    exited,
    events: () => eventsOf(notifyLog),
    notices: () =>
      readLines(log)
        .filter((l) => l.startsWith("<5>"))
        .map((l) => l.slice(3)),
    shutdowns: () => shutdownTimes(shutdownLog),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SET VAR <ups> ups.status as admin (dummy-ups applies it at once). */
export async function setUpsStatus(stack: NutStack, ups: string, status: string): Promise<void> {
  const c = await NutClient.connect({ host: stack.host, port: stack.port });
  try {
    await c.username(stack.users.admin.user);
    await c.password(stack.users.admin.pass);
    await c.setVar(ups, "ups.status", status);
  } finally {
    await c.close();
  }
}
