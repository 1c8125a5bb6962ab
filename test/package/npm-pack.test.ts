/**
 * The npm route for hosts with Node 20+: `npm pack` makes an installable tarball of the built checkout
 * (no .deb, snapshot blobs or launchers tied to this machine's Node), `npm i -g ./nutguard-<version>.tgz`
 * into a temporary prefix installs it (building the unix-dgram addon), and the installed `nutguard`
 * runs: --version, and install-service writes a unit that runs exactly that installation.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NUTGUARD_VERSION } from "../../src/util/version.js";
import { REPO_ROOT } from "../helpers/container.js";

let dir: string;
let tgz: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-npm-pack-"));
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: REPO_ROOT, encoding: "utf8" }),
  ) as { filename: string; files: { path: string }[] }[];
  tgz = join(dir, packed[0]!.filename);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm pack / npm i -g", () => {
  it("packs the CLI bundle, tsc output and units, and nothing built for this machine only", () => {
    expect(tgz).toBe(join(dir, `nutguard-${NUTGUARD_VERSION}.tgz`));
    const files = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).trim().split("\n");
    for (const f of [
      "dist/cli/nutguard.cjs",
      "dist/cli/install-service.js",
      "units/nutguard-monitor.notify.service",
      "package.json",
    ]) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files.filter((f) => /\.(deb|blob|map)$|\/cli\/upsc$|-snapshot\.cjs$/.test(f))).toEqual([]);
  });

  it("installs globally into a prefix; nutguard --version and install-service work from there", () => {
    const prefix = join(dir, "prefix");
    execFileSync(
      "npm",
      ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tgz],
      {
        cwd: dir,
        encoding: "utf8",
        stdio: "pipe",
        timeout: 300_000,
      },
    );
    const bin = join(prefix, "bin/nutguard");
    expect(execFileSync(bin, ["--version"], { encoding: "utf8" })).toBe(`nutguard ${NUTGUARD_VERSION}\n`);
    // the addon sd_notify needs was built for this Node by the install
    const installed = join(prefix, "lib/node_modules/nutguard");
    execFileSync(process.execPath, [
      "-e",
      "require(process.argv[1])",
      join(installed, "node_modules/unix-dgram"),
    ]);
    const root = join(dir, "root");
    execFileSync(bin, ["install-service", "--root", root], { encoding: "utf8" });
    const unit = readFileSync(join(root, "etc/systemd/system/nutguard-monitor.service"), "utf8");
    expect(unit).toContain(
      `ExecStart=${process.execPath} ${realpathSync(join(installed, "dist/cli/nutguard.cjs"))} monitor -F`,
    );
  }, 300_000);
});
