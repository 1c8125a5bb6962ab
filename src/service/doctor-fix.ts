/**
 * `nutguard doctor --fix`: applies the SafeFixes the rules attached to findings — create the runtime
 * directory, re-own/re-mode a directory or upsmon.conf, remove a stale PID file, add a tmpfiles.d file.
 *
 * Must not: touch units, accounts or config contents (those fixes are the administrator's), overwrite
 * a file that exists, or remove a PID file whose content changed since it was judged stale.
 */
import { execFile } from "node:child_process";
import { chmod, chown, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AccountFacts } from "./doctor-facts.js";
import { formatMode } from "./doctor-facts.js";
import type { SafeFix } from "./doctor-rules.js";

function ids(accounts: AccountFacts, owner: string, group: string): { uid: number; gid: number } {
  const uid = accounts.users[owner]?.uid;
  const gid = accounts.groups[group];
  if (uid === undefined) throw new Error(`no such user: ${owner}`);
  if (gid === undefined) throw new Error(`no such group: ${group}`);
  return { uid, gid };
}

function runCommand(argv: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 30_000 }, (err, _stdout, stderr) =>
      resolve(err ? `'${argv.join(" ")}' failed: ${String(stderr).trim() || err.message}` : undefined),
    );
  });
}

/** Applies one fix; resolves to a line saying what was done (or why it was left alone). */
export async function applySafeFix(fix: SafeFix, accounts: AccountFacts): Promise<string> {
  switch (fix.kind) {
    case "create-dir": {
      const { uid, gid } = ids(accounts, fix.owner, fix.group);
      await mkdir(fix.path, { recursive: true });
      await chown(fix.path, uid, gid);
      await chmod(fix.path, fix.mode); // after chown, and not subject to the umask
      return `created ${fix.path} (${formatMode(fix.mode)} ${fix.owner}:${fix.group})`;
    }
    case "chown-chmod": {
      const { uid, gid } = ids(accounts, fix.owner, fix.group);
      await chown(fix.path, uid, gid);
      await chmod(fix.path, fix.mode);
      return `set ${fix.path} to ${formatMode(fix.mode)} ${fix.owner}:${fix.group}`;
    }
    case "remove-file": {
      const now = await readFile(fix.path, "utf8").catch(() => undefined);
      if (now === undefined) return `${fix.path} is already gone`;
      if (now !== fix.content) return `left ${fix.path} alone: it changed since it was checked`;
      await rm(fix.path);
      return `removed stale ${fix.path}`;
    }
    case "create-file": {
      const existing = await readFile(fix.path, "utf8").catch(() => undefined);
      if (existing !== undefined) return `left ${fix.path} alone: it exists`;
      await mkdir(dirname(fix.path), { recursive: true });
      const tmp = `${fix.path}.nutguard-${process.pid}.tmp`;
      await writeFile(tmp, fix.content, { mode: fix.mode });
      await chmod(tmp, fix.mode);
      await rename(tmp, fix.path);
      const failed = fix.afterwards ? await runCommand(fix.afterwards) : undefined;
      return `wrote ${fix.path}${fix.afterwards ? (failed ? ` (${failed})` : ` and ran '${fix.afterwards.join(" ")}'`) : ""}`;
    }
  }
}
