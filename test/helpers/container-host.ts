/**
 * The host side of the container harness: running host commands, polling, /proc and cgroup chores,
 * and the registry of live test containers (/run/nutguard-test-containers/<machine>.json) that lets
 * a later run clean up after a test worker that died (sweepStaleContainers).
 *
 * Must not: know how a container is booted or used (container.ts), or touch a container whose
 * registered owner process is still alive.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const REGISTRY_DIR = "/run/nutguard-test-containers";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Extra environment variables (the environment is otherwise clean: PATH, LANG, HOME). */
  env?: Record<string, string>;
  /** Kill the command after this long (default 60 s). */
  timeoutMs?: number;
}

export class ContainerCommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: ExecResult,
  ) {
    super(
      `'${argv.join(" ")}' exited with status ${result.code}` +
        (result.stderr.trim() ? `: ${result.stderr.trim()}` : "") +
        (result.stdout.trim() ? `\nstdout: ${result.stdout.trim()}` : ""),
    );
  }
}

/** What the registry records about one container: enough to tear it down from another process. */
export interface Registration {
  machine: string;
  ownerPid: number;
  dir: string;
  root: string;
  cgroups: string[];
  nspawnPid?: number;
  leaderPid?: number;
}

/** Runs a host command; never throws for a non-zero exit (the caller decides). */
export function hostExec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    const child = execFile(
      file!,
      args,
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          // killed by the timeout, or could not start at all
          if (err.killed || err.signal) {
            resolve({ code: 124, stdout, stderr: `${stderr}\n(killed: ${err.signal ?? "timeout"})` });
          } else reject(err);
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.on("error", () => undefined); // a command that exits without reading its stdin
    if (options.input !== undefined) child.stdin?.write(options.input);
    child.stdin?.end();
  });
}

/** Polls `check` until it returns a value other than undefined/false; throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function readProc(pid: number, file: string): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

export async function childPids(parentPid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readProc(Number(entry), "stat");
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split after the last ')'
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) : Number.NaN;
    if (ppid === parentPid) out.push(Number(entry));
  }
  return out;
}

/** The cgroup hierarchies nspawn must find its own private cgroup in (pure v2, or hybrid v1+v2). */
export async function cgroupHierarchies(): Promise<string[]> {
  const mounts = (await readFile("/proc/self/mounts", "utf8")).split("\n").map((l) => l.split(" "));
  const v2 = mounts.find((m) => m[1] === "/sys/fs/cgroup" && m[2] === "cgroup2");
  if (v2) return ["/sys/fs/cgroup"];
  return mounts
    .filter(
      (m) =>
        (m[2] === "cgroup2" && m[1]?.startsWith("/sys/fs/cgroup/")) ||
        (m[2] === "cgroup" && (m[3] ?? "").split(",").includes("name=systemd")),
    )
    .map((m) => m[1]!);
}

export function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export async function mustSucceed(argv: string[]): Promise<string> {
  const result = await hostExec(argv);
  if (result.code !== 0) throw new ContainerCommandError(argv, result);
  return result.stdout;
}

export async function removeCgroups(cgroups: string[]): Promise<void> {
  for (const cg of cgroups) {
    if (!existsSync(cg)) continue;
    // processes left in a v2 cgroup (a killed container) are killed as a group
    if (existsSync(join(cg, "cgroup.kill"))) {
      await writeFile(join(cg, "cgroup.kill"), "1").catch(() => undefined);
    }
    await rmdirDepthFirst(cg);
  }
}

async function rmdirDepthFirst(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await rmdirDepthFirst(join(dir, e.name));
  await waitFor(`cgroup ${dir} to empty`, async () => rmdir(dir).then(() => true), {
    timeoutMs: 5_000,
    intervalMs: 50,
  }).catch(() => undefined);
}

export async function cleanupHost(reg: Omit<Registration, "ownerPid">): Promise<void> {
  if (isAlive(reg.leaderPid) && (await readProc(reg.leaderPid!, "comm"))?.trim() === "systemd") {
    signal(reg.leaderPid, "SIGKILL");
  }
  if (isAlive(reg.nspawnPid) && (await readProc(reg.nspawnPid!, "comm"))?.trim() === "systemd-nspawn") {
    signal(reg.nspawnPid, "SIGKILL");
  }
  await removeCgroups(reg.cgroups);
  await rm(`/run/systemd/nspawn/propagate/${reg.machine}`, { recursive: true, force: true });
  const mounts = await readFile("/proc/self/mounts", "utf8");
  if (mounts.split("\n").some((l) => l.split(" ")[1] === reg.root)) {
    const result = await hostExec(["umount", reg.root]);
    if (result.code !== 0) await hostExec(["umount", "-l", reg.root]);
  }
  await rm(reg.dir, { recursive: true, force: true });
  await rm(join(REGISTRY_DIR, `${reg.machine}.json`), { force: true });
}

/** Cleans up containers whose test worker is gone (crashed or killed); returns their machine names. */
export async function sweepStaleContainers(): Promise<string[]> {
  const swept: string[] = [];
  for (const name of await readdir(REGISTRY_DIR).catch(() => [] as string[])) {
    if (!name.endsWith(".json")) continue;
    const reg = JSON.parse(
      await readFile(join(REGISTRY_DIR, name), "utf8").catch(() => "{}"),
    ) as Registration;
    if (!reg.machine || isAlive(reg.ownerPid)) continue;
    await cleanupHost(reg);
    swept.push(reg.machine);
  }
  return swept;
}

export async function writeRegistration(record: Registration): Promise<void> {
  const file = join(REGISTRY_DIR, `${record.machine}.json`);
  await mkdir(REGISTRY_DIR, { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(record));
  await rename(`${file}.tmp`, file);
}
