import { chmod, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/reader.js";
import { readSecretFile, readSecretListFile } from "../../src/util/secret-file.js";

const CONF = "/etc/nut/nutguard.conf";

describe("what a secret file holds (one rule for [http] and the notification channels)", () => {
  it.each([
    ["one line with a newline", "s3cret\n", "s3cret"],
    ["no newline at the end", "s3cret", "s3cret"],
    ["a CRLF at the end", "s3cret\r\n", "s3cret"],
    ["spaces kept", "  pass word  \n", "  pass word  "],
    ["a leading # is part of the password", "#not-a-comment\n", "#not-a-comment"],
    ["only one newline removed: a second one is a second line", "x\n\n", undefined],
    ["UTF-8 kept", "Päßwörd–€\n", "Päßwörd–€"],
  ])("%s", async (_what, content, expected) => {
    const dir = await mkdtemp(join(tmpdir(), "ng-secret-"));
    const file = join(dir, "secret");
    await writeFile(file, content);
    const setting = { confFile: CONF, line: 7, key: "token", file };
    if (expected === undefined) {
      expect(() => readSecretFile(setting)).toThrow(
        `${CONF}:7: token_file ${file} holds more than one line (a secret file holds the secret, and at most one newline at its end)`,
      );
    } else {
      expect(readSecretFile(setting)).toBe(expected);
    }
  });

  it("refuses an empty, multi-line, missing, unreadable or non-regular file, naming it at the setting's line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ng-secret-"));
    const at = (name: string, key = "password") => ({ confFile: CONF, line: 3, key, file: join(dir, name) });
    await writeFile(join(dir, "empty"), "");
    await writeFile(join(dir, "newline"), "\n");
    await writeFile(join(dir, "two"), "first\nsecond\n");
    await writeFile(join(dir, "latin1"), Buffer.from([0x70, 0xe4, 0x73, 0x73, 0x0a]));
    await symlink("/dev/zero", join(dir, "zero"));
    const cases: [string, string][] = [
      ["empty", `${CONF}:3: password_file ${join(dir, "empty")} is empty`],
      ["newline", `${CONF}:3: password_file ${join(dir, "newline")} is empty`],
      ["two", `${CONF}:3: password_file ${join(dir, "two")} holds more than one line`],
      [
        "missing",
        `${CONF}:3: cannot read password_file: Can't open ${join(dir, "missing")}: No such file or directory`,
      ],
      [
        "zero",
        `${CONF}:3: cannot read password_file: Can't use ${join(dir, "zero")}: it is a character device, not a regular file`,
      ],
      ["latin1", `${CONF}:3: cannot read password_file: ${join(dir, "latin1")}:1: not UTF-8 text`],
    ];
    for (const [name, message] of cases) {
      let caught: unknown;
      try {
        readSecretFile(at(name));
      } catch (err) {
        caught = err;
      }
      expect(caught, name).toBeInstanceOf(ConfigError);
      expect((caught as Error).message, name).toContain(message);
    }
    if (process.getuid?.() !== 0) {
      await writeFile(join(dir, "locked"), "x\n");
      await chmod(join(dir, "locked"), 0o000);
      expect(() => readSecretFile(at("locked"))).toThrow(
        `${CONF}:3: cannot read password_file: Can't open ${join(dir, "locked")}: Permission denied`,
      );
    }
  });

  it("a list (urls_file): one value a line, blank and # lines skipped; nothing in it is an error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ng-secret-"));
    await writeFile(join(dir, "urls"), "# telegram\ntgram://a/b\n\n  ntfy://t  \r\n");
    await writeFile(join(dir, "comments"), "# nothing yet\n\n");
    const at = (name: string) => ({ confFile: CONF, line: 9, key: "urls", file: join(dir, name) });
    expect(readSecretListFile(at("urls"))).toEqual(["tgram://a/b", "ntfy://t"]);
    expect(() => readSecretListFile(at("comments"))).toThrow(
      `${CONF}:9: urls_file ${join(dir, "comments")} is empty`,
    );
  });
});
