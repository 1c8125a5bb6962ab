/** The one loader of nutguard.conf (config/nutguard-conf-file.ts): what each kind of file gives. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadNutguardConf, tryLoadNutguardConf } from "../../src/config/nutguard-conf-file.js";

const dir = mkdtempSync(join(tmpdir(), "nutguard-conf-file-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("loadNutguardConf", () => {
  it("a missing file is an empty one (every feature at its defaults)", () => {
    expect(loadNutguardConf(join(dir, "absent.conf"))).toEqual({
      file: join(dir, "absent.conf"),
      sections: [],
    });
  });

  it("reads and parses a file", () => {
    const p = file("ok.conf", "[http]\n  listen = 127.0.0.1:9399\n");
    const conf = loadNutguardConf(p);
    expect(conf.file).toBe(p);
    expect(conf.sections.map((s) => s.name)).toEqual(["http"]);
  });

  it("a mistake is a file:line error", () => {
    const p = file("bad.conf", "[http]\nlisten\n");
    expect(() => loadNutguardConf(p)).toThrow(`${p}:2:`);
    const r = tryLoadNutguardConf(p);
    expect(r.conf).toBeUndefined();
    expect(r.error?.message).toContain(`${p}:2:`);
  });

  it.each([
    [
      "a link to /dev/zero",
      () => {
        const p = join(dir, "zero.conf");
        symlinkSync("/dev/zero", p);
        return p;
      },
      "a character device, not a regular file",
    ],
    [
      "a FIFO",
      () => {
        const p = join(dir, "fifo.conf");
        execFileSync("mkfifo", [p]);
        return p;
      },
      "a FIFO, not a regular file",
    ],
    ["a directory", () => dir, "a directory, not a regular file"],
  ])("%s is refused at once, naming the file", (_what, make, reason) => {
    const p = make();
    expect(() => loadNutguardConf(p)).toThrow(`Can't use ${p}: it is ${reason}`);
  });
});
