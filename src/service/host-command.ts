/**
 * Running a host command (systemctl, journalctl, dpkg-query ...) for the service shells: argv array,
 * no shell, a timeout, and the outcome as data — never an exception for a non-zero exit.
 */
import { execFile } from "node:child_process";

export interface CommandResult {
  /** Exit status; -1 when it could not run or was killed. */
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(file: string, args: string[], timeoutMs = 15_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout: stdout ?? "", stderr: stderr ?? "" });
      },
    );
  });
}

/** `systemctl ARGS` (up to 2 minutes: a stop may wait for the daemon); throws with systemctl's reason. */
export async function systemctl(args: string[]): Promise<void> {
  const r = await runCommand("systemctl", args, 120_000);
  if (r.code !== 0) {
    throw new Error(`'systemctl ${args.join(" ")}' failed: ${r.stderr.trim() || `status ${r.code}`}`);
  }
}
