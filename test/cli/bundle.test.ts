/**
 * The shipped bundle (scripts/bundle.mjs): the CLI runs from dist/cli/nutguard.cjs, node:tls is not
 * loaded for a plain `upsc`, and STARTTLS still works through the load-on-first-use node:tls proxy.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM build script without type declarations
import { lazyBuiltinsPlugin } from "../../scripts/bundle.mjs";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { makeTestPki, type TestPki } from "../helpers/tls-certs.js";
import { NUTGUARD_BIN } from "./run-tool.js";

let pki: TestPki;
let stack: NutStack;
let dir: string;

beforeAll(async () => {
  pki = await makeTestPki();
  stack = await startNutStack({ devices: { dummy: DEFAULT_DEVICES.dummy! }, upsdConf: pki.upsdConf });
  dir = mkdtempSync(join(tmpdir(), "nutguard-bundle-"));
});

afterAll(async () => {
  await stack?.stop();
  await pki?.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe("the CLI bundle", () => {
  it("is what package.json's bin points at, one CommonJS file with a shebang", () => {
    expect(NUTGUARD_BIN.endsWith("dist/cli/nutguard.cjs")).toBe(true);
    expect(readFileSync(NUTGUARD_BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("does not load node:tls for a plain upsc", () => {
    // report at exit whether node:tls was ever required
    const r = spawnSync(
      process.execPath,
      [
        "-e",
        `const M=require("node:module");const o=M.prototype.require;let tls=false;` +
          `M.prototype.require=function(id){if(id==="node:tls"||id==="tls")tls=true;return o.apply(this,arguments)};` +
          `process.on("exit",()=>process.stderr.write("tls-loaded="+tls+"\\n"));` +
          `process.argv=[process.argv[0],${JSON.stringify(NUTGUARD_BIN)},"upsc","dummy@127.0.0.1:${stack.port}","ups.status"];` +
          `require(${JSON.stringify(NUTGUARD_BIN)})`,
      ],
      { encoding: "utf8" },
    );
    expect(r.stdout).toBe("OL\n");
    expect(r.stderr).toContain("tls-loaded=false");
  });

  it("does STARTTLS through the lazy node:tls proxy", async () => {
    const out = join(dir, "tls-get-var.cjs");
    await build({
      entryPoints: [fileURLToPath(new URL("./fixtures/tls-get-var.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      packages: "external",
      logLevel: "error",
      outfile: out,
      plugins: [lazyBuiltinsPlugin(["node:tls"])],
    });
    expect(readFileSync(out, "utf8")).toContain('tlsLoaded ??= require("node:tls")');
    const r = spawnSync(process.execPath, [out, String(stack.port), pki.caFile, "dummy", "ups.status"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(r.stdout).toBe("encrypted OL\n");
  });
});
