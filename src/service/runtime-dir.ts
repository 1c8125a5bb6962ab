/**
 * Where the PID file lives, and making sure that directory exists.
 *
 * Order: `$NUT_PIDPATH` (as in NUT >= 2.8.3), else `$RUNTIME_DIRECTORY` (systemd's
 * RuntimeDirectory=, first entry), else /run/nutguard. Not /run/nut: NUT's own daemons share that
 * one, and a RuntimeDirectory=nut would make systemd delete it under them.
 *
 * A missing directory is created (root:nut, 0770) when running as root; otherwise start-up stops
 * with an error that names the directory, the owner and the mode needed. Never deletes anything.
 */
import { chmodSync, chownSync, mkdirSync, statSync } from "node:fs";
import type { Logger } from "../util/log.js";
import { lookupGroupId } from "./accounts.js";

export const DEFAULT_RUNTIME_DIR = "/run/nutguard";
export const RUNTIME_DIR_MODE = 0o770;
export const RUNTIME_DIR_GROUP = "nut";

export type PidDirSource = "NUT_PIDPATH" | "RUNTIME_DIRECTORY" | "default";

export function resolvePidDir(env: NodeJS.ProcessEnv = process.env): { dir: string; source: PidDirSource } {
  if (env.NUT_PIDPATH) return { dir: env.NUT_PIDPATH, source: "NUT_PIDPATH" };
  const rd = env.RUNTIME_DIRECTORY?.split(":")[0];
  if (rd) return { dir: rd, source: "RUNTIME_DIRECTORY" };
  return { dir: DEFAULT_RUNTIME_DIR, source: "default" };
}

export class RuntimeDirError extends Error {
  override name = "RuntimeDirError";
}

/**
 * Makes sure `dir` exists as a directory. As root (uid 0) a missing one is created as
 * root:nut 0770 (root:root when there is no group "nut", with a warning).
 */
export function ensureRuntimeDir(dir: string, log: Logger, uid = process.getuid?.() ?? -1): void {
  try {
    if (statSync(dir).isDirectory()) return;
    throw new RuntimeDirError(`Runtime directory ${dir} exists but is not a directory`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const need = `owner root, group ${RUNTIME_DIR_GROUP}, mode 0770`;
  if (uid !== 0) {
    throw new RuntimeDirError(
      `Runtime directory ${dir} does not exist and only root can create it: create it (${need}), ` +
        "e.g. with 'systemd-tmpfiles --create /etc/tmpfiles.d/nutguard.conf', or set NUT_PIDPATH to a writable directory",
    );
  }
  mkdirSync(dir, { recursive: true, mode: RUNTIME_DIR_MODE });
  const gid = lookupGroupId(RUNTIME_DIR_GROUP);
  if (gid === undefined) log.warning(`No group '${RUNTIME_DIR_GROUP}': created ${dir} as root:root 0770`);
  chownSync(dir, 0, gid ?? 0);
  chmodSync(dir, RUNTIME_DIR_MODE); // mkdir applied the umask
  log.info(`Created runtime directory ${dir} (${need})`);
}
