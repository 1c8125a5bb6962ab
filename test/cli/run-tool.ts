/**
 * Runs a client tool as a user would: NUT's own binary (/usr/bin/<tool>) or ours (the built
 * `nutguard` bin, as `nutguard <tool> ...`), with stdin, a clean environment and a time limit, and
 * returns what the user sees. `errorLines()` drops what legitimately differs between NUT 2.8.0 and
 * nutguard: NSS's `Init SSL without certificate database` and libupsclient's split*() diagnostics
 * (reworded in NUT 2.8.5+), so golden tests compare the `Error: ...` line itself.
 *
 * Must not: leave a process behind (each run is killed by PID at its time limit).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
/** The installed entry point (package.json "bin".nutguard), as built by `npm run build`. */
export const NUTGUARD_BIN = join(ROOT, pkg.bin.nutguard!);

export interface ToolRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  cwd?: string;
}

const BASE_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/root",
  LANG: "C",
  TZ: "UTC",
  NUT_QUIET_OK_NOTRACKING: "true",
  NUT_QUIET_INIT_SSL: "true",
  NUT_QUIET_INIT_BANNER: "true",
};

export function runCommand(file: string, args: readonly string[], o: RunOptions = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...BASE_ENV, ...o.env }, cwd: o.cwd, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 20_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(o.stdin ?? "");
  });
}

/** NUT's own tool. */
export function runNut(tool: string, args: readonly string[], o?: RunOptions): Promise<ToolRun> {
  return runCommand(`/usr/bin/${tool}`, args, o);
}

/** nutguard's drop-in, as `nutguard <tool> ...`. */
export function runOurs(tool: string, args: readonly string[], o?: RunOptions): Promise<ToolRun> {
  return runCommand(process.execPath, [NUTGUARD_BIN, tool, ...args], o);
}

/** stderr without the lines that differ by design between NUT 2.8.0 and nutguard (see header). */
export function errorLines(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter(
      (l) => l !== "" && l !== "Init SSL without certificate database" && !l.startsWith("upscli_split"),
    );
}

/** What a golden test compares: stdout bytes, the error lines and the exit code. */
export function observable(r: ToolRun): { stdout: string; errors: string[]; code: number | null } {
  return { stdout: r.stdout, errors: errorLines(r.stderr), code: r.code };
}

/** Runs NUT's tool and ours with the same arguments (one after the other, never in parallel). */
export async function runBoth(
  tool: string,
  args: readonly string[],
  o?: RunOptions,
): Promise<{ nut: ReturnType<typeof observable>; ours: ReturnType<typeof observable> }> {
  const nut = observable(await runNut(tool, args, o));
  const ours = observable(await runOurs(tool, args, o));
  return { nut, ours };
}

export interface UpslogArgs {
  system: string;
  logFile: string;
  pidFile: string;
  format?: string;
  /** -d: stop after this many polls. */
  polls?: number;
  /** Options placed first (e.g. -F, -N). */
  before?: string[];
}

/** upslog's arguments for one system polled every second, staying root (tests own their files). */
export function upslogArgs(o: UpslogArgs): string[] {
  return [
    ...(o.before ?? []),
    ...["-s", o.system, "-l", o.logFile, "-i", "1", "-u", "root", "-p", o.pidFile],
    ...(o.polls !== undefined ? ["-d", String(o.polls)] : []),
    ...(o.format !== undefined ? ["-f", o.format] : []),
  ];
}

/** Our upslog on `system`, logging `format` to stdout for `polls` polls (its PID file in a temporary directory). */
export async function runOurUpslog(system: string, polls: number, format: string): Promise<ToolRun> {
  const pidDir = mkdtempSync(join(tmpdir(), "nutguard-upslog-"));
  try {
    return await runOurs(
      "upslog",
      upslogArgs({ system, logFile: "-", pidFile: join(pidDir, "upslog.pid"), polls, format }),
    );
  } finally {
    rmSync(pidDir, { recursive: true, force: true });
  }
}

/** The logged lines of an upslog run whose format starts with `[`. */
export function bracketLines(r: ToolRun): string[] {
  return r.stdout.split("\n").filter((l) => l.startsWith("["));
}
