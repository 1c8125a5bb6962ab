/**
 * Running NUT daemons from tests: processes this worker started (tracked by PID, stopped only after a
 * /proc/PID/comm identity check, SIGKILLed by an exit hook if a test crashed), polling until a
 * condition holds, and files owned root:nut as the daemons need them after dropping to user nut.
 *
 * Must not: signal a process it did not start, or one whose PID now names another program.
 */
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { chmod, chown, writeFile } from "node:fs/promises";
import { isAlive as isRunning } from "./processes.js";

export interface Tracked {
  name: string; // expected /proc/PID/comm
  child: ChildProcess;
  exited: Promise<void>;
}

/** Every process started by any stack in this worker, for the last-resort exit hook. */
export const livePids = new Set<number>();
export const liveDirs = new Set<string>();
let exitHookInstalled = false;

export function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function procComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** PID is running (not a zombie) and its /proc/PID/comm is `name`. */
export function isAlive(pid: number, name: string): boolean {
  return isRunning(pid) && procComm(pid) === name;
}

export function track(name: string, child: ChildProcess): Tracked {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  livePids.add(pid);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
  }).then(() => {
    livePids.delete(pid);
  });
  return { name, child, exited };
}

export function hasExited(t: Tracked): boolean {
  return t.child.exitCode !== null || t.child.signalCode !== null;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM (then SIGKILL after 5 s) a process we started, only while it still is what we started. */
export async function stopTracked(t: Tracked): Promise<void> {
  const pid = t.child.pid!;
  if (hasExited(t)) return t.exited;
  // identity check: the comm may still be a launcher (unshare/sh/ip netns exec) just after spawn
  const comm = procComm(pid);
  if (comm !== undefined && comm !== t.name && !["unshare", "sh", "ip"].includes(comm)) {
    throw new Error(`refusing to signal PID ${pid}: it is ${comm}, not ${t.name}`);
  }
  t.child.kill("SIGCONT");
  t.child.kill("SIGTERM");
  const killed = await Promise.race([t.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!killed) {
    t.child.kill("SIGKILL");
    await t.exited;
  }
}

/** Signal a PID we did not spawn ourselves (upsmon's child), after an identity check; wait for it to go. */
export async function stopForeignPid(pid: number, name: string): Promise<void> {
  if (!isAlive(pid, name)) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && isAlive(pid, name); i++) await sleep(100);
  if (isAlive(pid, name)) process.kill(pid, "SIGKILL");
}

/** Thrown by a waitUntil check to stop waiting at once (e.g. the process being waited for exited). */
export class StopWaiting extends Error {}

export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      if (e instanceof StopWaiting) throw e;
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

// ------------------------------------------------------------------------------------------------
// Files for daemons that run as user nut

let nutIds: { uid: number; gid: number } | undefined;
export function nutUser(): { uid: number; gid: number } {
  if (!nutIds) {
    const uid = Number(execFileSync("id", ["-u", "nut"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "nut"], { encoding: "utf8" }).trim());
    nutIds = { uid, gid };
  }
  return nutIds;
}

export async function writeOwned(path: string, text: string, mode = 0o640): Promise<void> {
  await writeFile(path, text);
  await chown(path, 0, nutUser().gid);
  await chmod(path, mode);
}
