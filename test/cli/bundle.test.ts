/**
 * The shipped bundle (scripts/bundle.mjs): the CLI runs from dist/cli/nutguard.cjs, node:tls and
 * node:crypto are not loaded for a plain `upsc`, and STARTTLS (with certificate pinning) still works
 * through their load-on-first-use proxies.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM build script without type declarations
import { bundleCli, lazyBuiltinsPlugin } from "../../scripts/bundle.mjs";
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

  it("does not load node:tls or node:crypto for a plain upsc", () => {
    // report at exit whether node:tls was ever required
    const r = spawnSync(
      process.execPath,
      [
        "-e",
        `const M=require("node:module");const o=M.prototype.require;const seen=[];` +
          `M.prototype.require=function(id){seen.push(id);return o.apply(this,arguments)};` +
          `process.on("exit",()=>process.stderr.write("required="+seen.join(",")+"\\n"));` +
          `process.argv=[process.argv[0],${JSON.stringify(NUTGUARD_BIN)},"upsc","dummy@127.0.0.1:${stack.port}","ups.status"];` +
          `require(${JSON.stringify(NUTGUARD_BIN)})`,
      ],
      { encoding: "utf8" },
    );
    expect(r.stdout).toBe("OL\n");
    const required = /required=(.*)\n/.exec(r.stderr)?.[1]?.split(",") ?? [];
    expect(required).toContain("node:net");
    expect(required).not.toContain("node:tls");
    expect(required).not.toContain("node:crypto");
  });

  it("does STARTTLS, with a pinned certificate, through the lazy node:tls and node:crypto proxies", async () => {
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
      plugins: [lazyBuiltinsPlugin(["node:tls", "node:crypto"])],
    });
    const text = readFileSync(out, "utf8");
    expect(text).toContain('??= require("node:tls")');
    expect(text).toContain('??= require("node:crypto")');
    const run = (...extra: string[]) =>
      spawnSync(process.execPath, [out, String(stack.port), pki.caFile, "dummy", "ups.status", ...extra], {
        encoding: "utf8",
        timeout: 20_000,
      }).stdout;
    expect(run()).toBe("encrypted OL\n");
    expect(run(pki.serverSha256)).toBe("encrypted OL\n");
    expect(run(pki.otherSha256)).toMatch(/^ERROR SSL error: .*pinned/);
  });

  it("leaves a subcommand whose modules use import.meta to tsc's output next to the bundle", async () => {
    // a miniature project: command "plain" is bundled; "located" finds a file relative to its module
    const root = join(dir, "project");
    const files: Record<string, string> = {
      "package.json": '{ "type": "module" }',
      "src/cli/main.ts":
        'import { SUBCOMMANDS } from "./commands.js";\n' +
        "const c = SUBCOMMANDS.find((x) => x.name === process.argv[2])!;\n" +
        "void c.load().then((m) => m.run());\n",
      "src/cli/commands.ts":
        "export const SUBCOMMANDS = [\n" +
        '  { name: "plain", load: () => import("./plain.js") },\n' +
        '  { name: "located", load: () => import("./located.js") },\n' +
        "];\n",
      "src/cli/plain.ts": 'export async function run() { console.log("plain ran"); }\n',
      "src/cli/located.ts":
        'import { here } from "../lib/here.js";\nexport async function run() { console.log(here()); }\n',
      "src/lib/here.ts": "export function here() { return new URL(import.meta.url).pathname; }\n",
      // what tsc would emit for the located command
      "dist/cli/located.js":
        'import { here } from "../lib/here.js";\nexport async function run() { console.log(here()); }\n',
      "dist/lib/here.js": "export function here() { return new URL(import.meta.url).pathname; }\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const outfile = join(root, "dist/cli/nutguard.cjs");
    expect(await bundleCli({ root, outfile })).toEqual(["src/cli/located.ts"]);
    const run = (cmd: string) => spawnSync(process.execPath, [outfile, cmd], { encoding: "utf8" }).stdout;
    expect(run("plain")).toBe("plain ran\n");
    expect(run("located")).toBe(`${join(root, "dist/lib/here.js")}\n`);
    expect(readFileSync(outfile, "utf8")).not.toContain("import.meta");
  });
});
