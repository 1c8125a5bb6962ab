import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lookupGroupId } from "../../src/service/accounts.js";
import { DEFAULT_RUNTIME_DIR, ensureRuntimeDir, resolvePidDir } from "../../src/service/runtime-dir.js";
import { createMemoryLogger } from "../../src/util/log.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-rundir-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("runtime directory", () => {
  it("is $NUT_PIDPATH, else systemd's $RUNTIME_DIRECTORY, else /run/nutguard (never /run/nut)", () => {
    expect(resolvePidDir({ NUT_PIDPATH: "/a", RUNTIME_DIRECTORY: "/b" })).toEqual({
      dir: "/a",
      source: "NUT_PIDPATH",
    });
    expect(resolvePidDir({ RUNTIME_DIRECTORY: "/b:/c" })).toEqual({ dir: "/b", source: "RUNTIME_DIRECTORY" });
    expect(resolvePidDir({})).toEqual({ dir: "/run/nutguard", source: "default" });
    expect(DEFAULT_RUNTIME_DIR).not.toBe("/run/nut");
  });

  it.runIf(process.getuid?.() === 0)("as root, a missing directory is created root:nut 0770", () => {
    const target = join(dir, "run", "nutguard");
    const log = createMemoryLogger();
    ensureRuntimeDir(target, log);
    const st = statSync(target);
    expect(st.mode & 0o7777).toBe(0o770);
    expect(st.uid).toBe(0);
    expect(st.gid).toBe(lookupGroupId("nut") ?? 0);
    expect(log.lines.map((l) => l.message)).toContain(
      `Created runtime directory ${target} (owner root, group nut, mode 0770)`,
    );
  });

  it("as another user, a missing directory stops start-up with what is needed", () => {
    const target = join(dir, "missing");
    expect(() => ensureRuntimeDir(target, createMemoryLogger(), 1000)).toThrow(
      `Runtime directory ${target} does not exist and only root can create it: create it (owner root, group nut, mode 0770)`,
    );
  });

  it("an existing directory is used as it is; a file in its place is an error", () => {
    const log = createMemoryLogger();
    ensureRuntimeDir(dir, log, 1000);
    expect(log.lines).toEqual([]);
    const file = join(dir, "file");
    writeFileSync(file, "");
    expect(() => ensureRuntimeDir(file, log, 0)).toThrow(
      `Runtime directory ${file} exists but is not a directory`,
    );
  });
});
