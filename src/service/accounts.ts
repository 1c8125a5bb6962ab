/**
 * Looks up OS accounts by name (for RUN_AS_USER and the runtime directory's group).
 * Reads /etc/passwd and /etc/group; when a name is not there (NSS sources such as LDAP), asks
 * `getent`. Read-only; never changes the process's identity (privilege-drop.ts does that).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parseDbLine(line: string): string[] | undefined {
  const fields = line.split(":");
  return fields.length >= 4 ? fields : undefined;
}

function lookup(db: "passwd" | "group", file: string, name: string): string[] | undefined {
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const fields = parseDbLine(line);
      if (fields?.[0] === name) return fields;
    }
  } catch {
    // no file: fall through to getent
  }
  try {
    const out = execFileSync("getent", [db, name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return parseDbLine(out.trim());
  } catch {
    return undefined;
  }
}

export function lookupUser(name: string, passwdFile = "/etc/passwd"): OsUser | undefined {
  const f = lookup("passwd", passwdFile, name);
  if (!f) return undefined;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { name, uid, gid, home: f[5] ?? "/" };
}

export function lookupGroupId(name: string, groupFile = "/etc/group"): number | undefined {
  const f = lookup("group", groupFile, name);
  const gid = Number(f?.[2]);
  return f && Number.isInteger(gid) ? gid : undefined;
}
