import { mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSecret } from "../../src/http/secrets.js";

describe("[http] secrets read from files", () => {
  it("takes the file minus its final newline (util/secret-file.ts); refuses a missing, empty or non-regular file at the setting's line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ng-secret-"));
    await writeFile(join(dir, "token"), "s3cret\n");
    await writeFile(join(dir, "empty"), "\n");
    await symlink("/dev/zero", join(dir, "zero"));
    const conf = "/etc/nut/nutguard.conf";
    expect(readSecret({ file: join(dir, "token"), line: 3 }, conf, "token")).toBe("s3cret");
    expect(() => readSecret({ file: join(dir, "zero"), line: 4 }, conf, "token")).toThrow(
      `${conf}:4: cannot read token_file: Can't use ${join(dir, "zero")}: it is a character device, not a regular file`,
    );
    expect(() => readSecret({ file: join(dir, "missing"), line: 5 }, conf, "password")).toThrow(
      `${conf}:5: cannot read password_file: Can't open ${join(dir, "missing")}: No such file or directory`,
    );
    expect(() => readSecret({ file: join(dir, "empty"), line: 6 }, conf, "token")).toThrow(
      `${conf}:6: token_file ${join(dir, "empty")} is empty`,
    );
  });
});
