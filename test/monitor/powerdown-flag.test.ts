/** POWERDOWNFLAG: upsmon's magic content, start-up cleanup, and the -K verdict. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkPowerDownFlag,
  clearPowerDownFlagAtStartup,
  writePowerDownFlag,
} from "../../src/monitor/powerdown-flag.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-flag-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("POWERDOWNFLAG", () => {
  it("is written with upsmon's magic string and no newline, and -K then says it is set", () => {
    const path = join(dir, "killpower");
    writePowerDownFlag(path);
    expect(readFileSync(path, "latin1")).toBe("upsmon-shutdown-file");
    expect(checkPowerDownFlag(path)).toEqual({ exitCode: 0, message: "Power down flag is set" });
  });

  it("-K exits 1 when the file is absent or POWERDOWNFLAG is not configured", () => {
    expect(checkPowerDownFlag(join(dir, "none")).exitCode).toBe(1);
    expect(checkPowerDownFlag(undefined).exitCode).toBe(1);
  });

  it("a leftover flag is deleted at start-up", () => {
    const path = join(dir, "killpower");
    writePowerDownFlag(path);
    expect(clearPowerDownFlagAtStartup(path)).toEqual({ path });
    expect(checkPowerDownFlag(path).exitCode).toBe(1);
  });

  it("a file without the magic string is never deleted: the flag is disabled instead", () => {
    const path = join(dir, "precious");
    writeFileSync(path, "important data");
    expect(clearPowerDownFlagAtStartup(path)).toEqual({
      path: undefined,
      warning: `POWERDOWNFLAG (${path}) does not contain the upsmon magic string - disabling!`,
    });
    expect(readFileSync(path, "utf8")).toBe("important data");
    expect(checkPowerDownFlag(path).exitCode).toBe(1);
  });
});
