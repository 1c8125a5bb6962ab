import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigFileError,
  firstInvalidUtf8,
  MAX_CONFIG_FILE_BYTES,
  readConfigFile,
  readNutConfigFile,
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

  it("keeps UTF-8 text whole and removes a byte order mark", () => {
    const f = join(dir, "nutguard.conf");
    const text = '[ops]\n  template = "Stromausfall – Batterie bei {charge} % ⚡"\n';
    writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]));
    expect(readConfigFile(f)).toBe(text);
  });

  it.each([
    [
      "Latin-1 ä in a template",
      Buffer.from('[ops]\ntemplate = "Batterie f\xfcr {ups}"\n', "latin1"),
      2,
      "FC",
      23,
    ],
    ["a UTF-8 sequence cut short at the end", Buffer.from([0x61, 0x0a, 0x62, 0xe2, 0x80]), 2, "E2", 2],
    ["an overlong encoding of /", Buffer.from([0x78, 0xc0, 0xaf, 0x0a]), 1, "C0", 2],
    ["a UTF-16 surrogate encoded in UTF-8", Buffer.from([0x0a, 0x0a, 0xed, 0xa0, 0x80]), 3, "ED", 1],
  ])("refuses a file that is not UTF-8 with its line: %s", (_what, bytes, line, byte, column) => {
    const f = join(dir, "upssched.conf");
    writeFileSync(f, bytes);
    expect(() => readConfigFile(f)).toThrow(
      `${f}:${line}: not UTF-8 text (byte 0x${byte} at column ${column}); save the file as UTF-8`,
    );
    // the explicit Latin-1 read (binary data files) is not checked
    expect(readConfigFile(f, "latin1")).toBe(bytes.toString("latin1"));
  });

  it("finds the first malformed byte exactly where a strict decoder fails", () => {
    const valid = Buffer.from("aä€😀\u{10ffff}", "utf8");
    expect(firstInvalidUtf8(valid)).toBe(valid.length);
    for (const bad of [
      [0x80],
      [0xf5, 0x80, 0x80, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe0, 0x9f, 0xbf],
      [0xc1, 0xbf],
    ]) {
      expect(firstInvalidUtf8(Buffer.from([0x41, ...bad])), JSON.stringify(bad)).toBe(1);
      expect(() => new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(bad))).toThrow();
    }
  });
});

describe("readNutConfigFile: NUT's client files in Latin-1 still load", () => {
  const cases: [string, string, string[]][] = [
    ["a comment line", "# \xdcberwachung\nMONITOR ups@h 1 u p primary\n", []],
    ["a comment after a setting", "MINSUPPLIES 1 # sp\xe4ter\n", []],
    ["a quoted value", 'NOTIFYMSG ONBATT "l\xe4uft"\n', ["f:1: not UTF-8 text (byte 0xE4 at column 20)"]],
    [
      "a # inside quotes is not a comment",
      'NOTIFYMSG ONBATT "# l\xe4uft"\n',
      ["f:1: not UTF-8 text (byte 0xE4 at column 22)"],
    ],
    [
      "an escaped quote does not end the quote",
      'NOTIFYMSG ONBATT "a\\"b # \xe4"\n',
      ["f:1: not UTF-8 text (byte 0xE4 at column 26)"],
    ],
    [
      "one warning a line, each line",
      "A \xe4\xf6\nB \xfc\n",
      ["f:1: not UTF-8 text (byte 0xE4 at column 3)", "f:2: not UTF-8 text (byte 0xFC at column 3)"],
    ],
  ];
  it.each(cases)("%s", (_name, latin1, expected) => {
    const f = join(dir, "f");
    writeFileSync(f, Buffer.from(latin1, "latin1"));
    const { text, warnings } = readNutConfigFile(f);
    expect(warnings).toEqual(
      expected.map((w) => `${w.replace(/^f:/, `${f}:`)}: read as U+FFFD; save the file as UTF-8`),
    );
    expect(text).toBe(latin1.replace(/[\x80-\xff]/g, "\ufffd"));
  });

  it("UTF-8 and a byte order mark: no warning, the text whole", () => {
    const f = join(dir, "f");
    writeFileSync(f, '\ufeffNOTIFYMSG ONBATT "läuft – 🔋"\n', "utf8");
    expect(readNutConfigFile(f)).toEqual({ text: 'NOTIFYMSG ONBATT "läuft – 🔋"\n', warnings: [] });
  });

  it("a whole 1 MiB Latin-1 file: read in one pass, ten lines named and the rest counted", () => {
    const f = join(dir, "f");
    const line = 'NOTIFYMSG ONBATT "\xe4\xe4\xe4\xe4\xe4\xe4"\n'; // 26 bytes, six bad ones
    const lines = Math.floor(MAX_CONFIG_FILE_BYTES / line.length);
    writeFileSync(f, Buffer.from(line.repeat(lines), "latin1"));
    const { warnings } = readNutConfigFile(f);
    expect(warnings).toHaveLength(11);
    expect(warnings[9]).toBe(
      `${f}:10: not UTF-8 text (byte 0xE4 at column 19): read as U+FFFD; save the file as UTF-8`,
    );
    expect(warnings[10]).toBe(`${f}: ${lines - 10} more lines are not UTF-8 text`);
  });

  it("refuses what readConfigFile refuses", () => {
    const f = join(dir, "f");
    symlinkSync("/dev/zero", f);
    expect(() => readNutConfigFile(f)).toThrow(
      `Can't use ${f}: it is a character device, not a regular file`,
    );
  });
});
