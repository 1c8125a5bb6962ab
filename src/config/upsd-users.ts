/**
 * upsd.users reader: `[user]` sections with `password`, `actions` (SET, FSD), `instcmds`
 * (names or ALL) and `upsmon primary|secondary` (old names master|slave). Pure: text in, object
 * out, no file access. Checking a request against these rights is `userMay()`.
 */
import { assignment, ConfigError, readConfigLines, sectionName } from "./reader.js";

export type UpsmonRole = "primary" | "secondary";

export interface UpsdUser {
  name: string;
  password: string | undefined;
  /** Upper-case action names: "SET", "FSD". */
  actions: Set<string>;
  /** Lower-case instant command names, or "all". */
  instcmds: Set<string>;
  upsmon: UpsmonRole | undefined;
}

export type UserRight = "SET" | "FSD" | "LOGIN" | "PRIMARY" | { instcmd: string };

export function parseUpsdUsers(text: string, file = "upsd.users"): Map<string, UpsdUser> {
  const users = new Map<string, UpsdUser>();
  let current: UpsdUser | undefined;
  for (const { words, line } of readConfigLines(text, file, { asciiOnly: true })) {
    const name = sectionName(words);
    if (name !== undefined) {
      current = users.get(name) ?? {
        name,
        password: undefined,
        actions: new Set(),
        instcmds: new Set(),
        upsmon: undefined,
      };
      users.set(name, current);
      continue;
    }
    if (!current) throw new ConfigError(file, line, `"${words[0]}" outside of a [user] section`);
    const pair = assignment(words);
    const key = (pair ? pair[0] : words[0]!).toLowerCase();
    const values = pair ? words.slice(2) : words.slice(1);
    switch (key) {
      case "password":
        if (values.length === 0) throw new ConfigError(file, line, "password needs a value");
        current.password = values.join(" ");
        break;
      case "actions":
        for (const v of values) current.actions.add(v.toUpperCase());
        break;
      case "instcmds":
        for (const v of values) current.instcmds.add(v.toLowerCase());
        break;
      case "upsmon": {
        const role = values[0]?.toLowerCase();
        if (role === "primary" || role === "master") current.upsmon = "primary";
        else if (role === "secondary" || role === "slave") current.upsmon = "secondary";
        else
          throw new ConfigError(
            file,
            line,
            `upsmon needs "primary" or "secondary", got ${JSON.stringify(values.join(" "))}`,
          );
        break;
      }
      case "allowfrom":
        break; // obsolete (NUT < 2.4); upsd ignores it too
      default:
        throw new ConfigError(file, line, `Unrecognized directive "${words[0]}" for user [${current.name}]`);
    }
  }
  return users;
}

/** upsd's user_checkaction(): the user exists, the password matches, and the right is granted. */
export function userMay(
  users: ReadonlyMap<string, UpsdUser>,
  username: string,
  password: string,
  right: UserRight,
): boolean {
  const user = users.get(username);
  if (!user || user.password === undefined || user.password !== password) return false;
  if (typeof right === "object")
    return user.instcmds.has("all") || user.instcmds.has(right.instcmd.toLowerCase());
  switch (right) {
    case "SET":
      return user.actions.has("SET");
    case "FSD":
      return user.actions.has("FSD") || user.upsmon === "primary";
    case "PRIMARY":
      return user.upsmon === "primary";
    case "LOGIN":
      return user.upsmon !== undefined;
  }
}
