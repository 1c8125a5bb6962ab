/**
 * Turns a root process into RUN_AS_USER for good: initgroups, setgid, setuid, then checks that
 * root cannot be regained. Used by the monitor child before it opens any socket. Refuses to
 * "drop" to root: a monitor that keeps root must be asked for explicitly with `-p`.
 */
import { lookupUser } from "./accounts.js";

export class PrivilegeDropError extends Error {
  override name = "PrivilegeDropError";
}

export function dropPrivileges(userName: string): { uid: number; gid: number } {
  const user = lookupUser(userName);
  if (!user) throw new PrivilegeDropError(`OS user ${userName} not found`);
  if (user.uid === 0) {
    throw new PrivilegeDropError(
      `Refusing to run the monitor process as ${userName} (uid 0): set RUN_AS_USER to an unprivileged account, or use -p for one privileged process`,
    );
  }
  if (process.getuid?.() !== 0) {
    if (process.getuid?.() === user.uid) return { uid: user.uid, gid: user.gid };
    throw new PrivilegeDropError(`Cannot switch to user ${userName}: not running as root`);
  }
  // initgroups(3): the account's supplementary groups (e.g. dialout for serial NOTIFYCMD helpers).
  (process as unknown as { initgroups(user: string, extraGroup: number): void }).initgroups(
    userName,
    user.gid,
  );
  process.setgid?.(user.gid);
  process.setuid?.(user.uid);
  let regained = false;
  try {
    process.setuid?.(0);
    regained = true;
  } catch {
    // expected: EPERM
  }
  if (regained || process.getuid?.() !== user.uid || process.geteuid?.() !== user.uid) {
    throw new PrivilegeDropError(`Failed to drop privileges to ${userName}`);
  }
  return { uid: user.uid, gid: user.gid };
}
