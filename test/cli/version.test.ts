/** Every -V banner of the shipped CLI carries the package's version (one constant: src/util/version.ts). */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NUTGUARD_BIN } from "./run-tool.js";

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as {
  version: string;
};

describe("version banners", () => {
  it.each([
    [["-V"], `nutguard ${pkg.version}\n`],
    [["monitor", "-V"], `nutguard monitor ${pkg.version} (upsmon-compatible)\n`],
    [["server", "-V"], `Network UPS Tools upsd 2.8.0 compatible (nutguard server ${pkg.version})\n`],
    [["upsc", "-V"], `Network UPS Tools upsc (nutguard ${pkg.version})\n`],
  ])("nutguard %j prints %j", (args, banner) => {
    const r = spawnSync(process.execPath, [NUTGUARD_BIN, ...args], { encoding: "utf8" });
    expect(r.stdout).toBe(banner);
    expect(r.status).toBe(0);
  });
});
