import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadUpsmonConfFile, reloadUpsmonConf } from "../../src/monitor/config-file.js";
import { createMemoryLogger } from "../../src/util/log.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-reload-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("reloading upsmon.conf", () => {
  it("gives the new configuration and logs the parser's warnings with file and line", async () => {
    const path = join(dir, "upsmon.conf");
    writeFileSync(path, "MONITOR ups@localhost 1 u p primary\nHOSTSYNC 9\nBOGUS 1\n");
    const log = createMemoryLogger();
    const config = await reloadUpsmonConf(path, log);
    expect(config?.hostSyncSec).toBe(9);
    expect(log.lines).toContainEqual({
      level: "warning",
      message: `${path} line 3: invalid directive BOGUS 1`,
    });
  });

  it("keeps the running configuration (undefined) and says why when the file is unusable", async () => {
    const log = createMemoryLogger();
    const path = join(dir, "missing.conf");
    expect(await reloadUpsmonConf(path, log)).toBeUndefined();
    expect(log.lines).toContainEqual({
      level: "err",
      message: `Reload failed: Can't open ${path}: No such file or directory`,
    });
  });

  it("refuses an upsmon.conf that is a symlink to /dev/zero at once, naming the file", async () => {
    const path = join(dir, "upsmon.conf");
    symlinkSync("/dev/zero", path);
    const parsed = await loadUpsmonConfFile(path);
    expect(parsed.fatal).toBe(`Can't use ${path}: it is a character device, not a regular file`);
  });

  it("an upsmon.conf written in Latin-1 still loads, as with NUT's upsmon: quiet in a comment, a warning with line and column in a setting; UTF-8 is kept", async () => {
    const path = join(dir, "upsmon.conf");
    const monitor = "MONITOR ups@localhost 1 mon pass primary\n";
    writeFileSync(
      path,
      Buffer.from(
        `# \xdcberwachung der USV im Keller\n${monitor}NOTIFYMSG ONBATT "Stromausfall: %s l\xe4uft auf Batterie" # sp\xe4ter\n`,
        "latin1",
      ),
    );
    const latin1 = await loadUpsmonConfFile(path);
    expect(latin1.fatal).toBeUndefined();
    expect(latin1.config.monitors.map((m) => m.system)).toEqual(["ups@localhost"]);
    expect(latin1.messages.filter((m) => m.message.includes("UTF-8"))).toEqual([
      {
        level: "warning",
        message: `${path}:3: not UTF-8 text (byte 0xE4 at column 37): read as U+FFFD; save the file as UTF-8`,
      },
    ]);
    expect(latin1.config.notifyMessages.ONBATT).toBe("Stromausfall: %s l\ufffduft auf Batterie");
    writeFileSync(path, `${monitor}NOTIFYMSG ONBATT "Stromausfall: %s läuft auf Batterie"\n`, "utf8");
    const parsed = await loadUpsmonConfFile(path);
    expect(parsed.fatal).toBeUndefined();
    expect(parsed.messages.filter((m) => m.message.includes("UTF-8"))).toEqual([]);
    expect(parsed.config.notifyMessages.ONBATT).toBe("Stromausfall: %s läuft auf Batterie");
  });
});
