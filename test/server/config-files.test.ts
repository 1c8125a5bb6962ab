/**
 * nutguard server's config and data files go through the one safe reader: anything but a regular
 * file of at most 1 MiB is refused at once, naming the file; only a missing upsd.conf / upsd.users
 * means the defaults.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startServer } from "../../src/server/server.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { RawClient, writeConfDir } from "./server-fixture.js";

let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-srvconf-"));
  await writeConfDir(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const start = (log = createMemoryLogger()) =>
  startServer({
    confPath: dir,
    log,
    listen: [{ host: "127.0.0.1", port: 0 }],
    cmdvartabPath: join(dir, "none"),
  });

describe("server: upsd.conf, ups.conf and upsd.users that are not plain files are refused", () => {
  it.each([
    ["upsd.conf", "a directory", (f: string) => mkdirSync(f), "it is a directory, not a regular file"],
    ["upsd.conf", "a symlink loop", (f: string) => symlinkSync(f, f), "Too many levels of symbolic links"],
    [
      "upsd.conf",
      "a symlink to /dev/zero",
      (f: string) => symlinkSync("/dev/zero", f),
      "it is a character device",
    ],
    [
      "upsd.users",
      "a symlink to /dev/zero",
      (f: string) => symlinkSync("/dev/zero", f),
      "it is a character device",
    ],
    ["ups.conf", "a directory", (f: string) => mkdirSync(f), "it is a directory, not a regular file"],
    [
      "upsd.conf",
      "larger than 1 MiB",
      (f: string) => writeFileSync(f, `${"# padding\n".repeat(110_000)}LISTEN 127.0.0.1 0\n`),
      "larger than 1 MiB",
    ],
  ])("%s as %s: startServer fails naming the file (no defaults)", async (name, _what, make, reason) => {
    const file = join(dir, name);
    rmSync(file);
    make(file);
    const log = createMemoryLogger();
    await expect(start(log)).rejects.toThrow(new RegExp(`^Can't (open|use) ${file}: .*${reason}`));
    expect(log.lines.some((l) => l.message.includes("using defaults"))).toBe(false);
  });

  it("a missing upsd.conf means the defaults, with a warning", async () => {
    rmSync(join(dir, "upsd.conf"));
    const log = createMemoryLogger();
    const server = await start(log);
    try {
      expect(log.lines).toContainEqual({
        level: "warning",
        message: `${join(dir, "upsd.conf")} not found: using defaults`,
      });
    } finally {
      await server.close();
    }
  });

  it("a data file that is a symlink to /dev/zero is a driver that is not connected, and the log says why", async () => {
    const dev = join(dir, "dummy.dev");
    rmSync(dev);
    symlinkSync("/dev/zero", dev);
    const log = createMemoryLogger();
    const server = await start(log);
    try {
      const c = await RawClient.connect(server.addresses[0]!.port);
      expect(await c.ask("GET VAR dummy ups.status")).toBe("ERR DRIVER-NOT-CONNECTED");
      expect(await c.ask("GET VAR quirky ups.status")).toBe('VAR quirky ups.status "OL"');
      c.close();
      expect(log.lines).toContainEqual({
        level: "err",
        message: `dummy-ups [dummy]: Can't use ${dev}: it is a character device, not a regular file`,
      });
    } finally {
      await server.close();
    }
  });
});
