/**
 * Process helpers for tests: start a child with captured output, wait for conditions, and kill
 * everything a test started (by PID) even when it fails.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

export interface Started {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<number>();

export function start(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  as?: { uid: number; gid: number },
): Started {
  const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], ...as });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const pid = child.pid ?? -1;
  started.add(pid);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      started.delete(pid);
      resolve({ code, signal });
    }),
  );
  return { child, pid, output: () => out, exited };
}

/** Kills every process started through start() that is still running, and any extra PIDs given. */
export function killAll(extra: number[] = []): void {
  for (const pid of [...started, ...extra]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  started.clear();
}

export async function waitUntil(what: string, test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
