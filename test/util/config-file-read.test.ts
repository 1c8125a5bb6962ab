import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigFileError,
  MAX_CONFIG_FILE_BYTES,
  readConfigFile,
  readOptionalConfigFile,
} from "../../src/util/config-file-read.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-cfgread-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Each case makes `<dir>/f` something and names the message readConfigFile must give. */
const REFUSED: [string, (f: string) => void, (f: string) => string][] = [
  [
    "a symlink to /dev/zero",
    (f) => symlinkSync("/dev/zero", f),
    (f) => `Can't use ${f}: it is a character device, not a regular file`,
  ],
  ["a directory", (f) => mkdirSync(f), (f) => `Can't use ${f}: it is a directory, not a regular file`],
  [
    "a FIFO (no hang)",
    (f) => execFileSync("mkfifo", [f]),
    (f) => `Can't use ${f}: it is a FIFO, not a regular file`,
  ],
  ["a symlink loop", (f) => symlinkSync(f, f), (f) => `Can't open ${f}: Too many levels of symbolic links`],
  ["a path under a file", (f) => writeFileSync(f, "x"), (f) => `Can't open ${f}/x: Not a directory`],
  [
    "larger than 1 MiB",
    (f) => writeFileSync(f, "#".repeat(MAX_CONFIG_FILE_BYTES + 1)),
    (f) =>
      `Can't use ${f}: it is larger than 1 MiB (${MAX_CONFIG_FILE_BYTES + 1} bytes), the limit for a configuration file`,
  ],
];

describe("readConfigFile: only a regular file of at most 1 MiB", () => {
  it.each(REFUSED)("refuses %s, naming the file", (name, make, message) => {
    const f = join(dir, "f");
    make(f);
    const target = name === "a path under a file" ? `${f}/x` : f;
    expect(() => readConfigFile(target)).toThrow(ConfigFileError);
    expect(() => readConfigFile(target)).toThrow(message(f));
    // refused the same way when the file is optional: only a missing file means the defaults
    expect(() => readOptionalConfigFile(target)).toThrow(message(f));
  });

  it("reads a regular file (also through a symlink), up to exactly 1 MiB", () => {
    const f = join(dir, "f");
    writeFileSync(f, "LISTEN 127.0.0.1 3493\n");
    symlinkSync(f, join(dir, "link"));
    expect(readConfigFile(join(dir, "link"))).toBe("LISTEN 127.0.0.1 3493\n");
    writeFileSync(f, "#".repeat(MAX_CONFIG_FILE_BYTES));
    expect(readConfigFile(f).length).toBe(MAX_CONFIG_FILE_BYTES);
  });

  it("a missing file: NUT's Can't open text, and undefined when optional", () => {
    const f = join(dir, "none.conf");
    expect(() => readConfigFile(f)).toThrow(`Can't open ${f}: No such file or directory`);
    expect(readOptionalConfigFile(f)).toBeUndefined();
    // a dangling symlink is missing too (open gives ENOENT), as for upsd
    symlinkSync(join(dir, "nowhere"), join(dir, "dangling"));
    expect(readOptionalConfigFile(join(dir, "dangling"))).toBeUndefined();
  });
});
