/**
 * The upsc launcher built by `npm run build` (dist/cli/upsc: Node started from the V8 start-up snapshot
 * dist/cli/upsc.blob) prints exactly what `nutguard upsc` prints (golden-tested against NUT's upsc in
 * upsc.test.ts), for every mode and error; it works through a symlink named upsc, and runs the bundle
 * when Node cannot load the blob or NODE_OPTIONS is set.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { NUTGUARD_BIN, observable, runCommand, runNut, runOurs } from "./run-tool.js";

const LAUNCHER = join(dirname(NUTGUARD_BIN), "upsc");
const BLOB = join(dirname(NUTGUARD_BIN), "upsc.blob");

let stack: NutStack;
let ups: (name: string) => string;
let dir: string;

beforeAll(async () => {
  stack = await startNutStack();
  ups = (name) => `${name}@127.0.0.1:${stack.port}`;
  dir = mkdtempSync(join(tmpdir(), "nutguard-upsc-snapshot-"));
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("upsc from the start-up snapshot (dist/cli/upsc)", () => {
  it("prints the same bytes, errors and exit codes as nutguard upsc", async () => {
    const host = `127.0.0.1:${stack.port}`;
    const closed = `127.0.0.1:${await freePort()}`;
    const cases = [
      [ups("dummy")],
      [ups("quirky")],
      [ups("dummy"), "ups.status"],
      ["-l", host],
      ["-L", host],
      ["-c", ups("dummy")],
      [ups("nosuch")],
      [ups("dummy"), "ups.bogus.value"],
      [ups("dummy"), "oldstyle"],
      ["-j", ups("quirky")],
      ["-j", ups("nosuch")],
      ["-l", closed],
      ["-W", "soon", ups("dummy")],
      ["bad@@name"],
      [],
      ["-h"],
      ["-x"],
      ["-V"],
    ];
    for (const args of cases) {
      const ours = await runOurs("upsc", args);
      expect({ args, ...(await runCommand(LAUNCHER, args)) }).toEqual({ args, ...ours });
      // the blob itself, so a launcher that fell back to the bundle cannot pass for it
      const fromBlob = await runCommand(process.execPath, ["--snapshot-blob", BLOB, "--", ...args]);
      expect({ args, ...fromBlob }).toEqual({ args, ...ours });
    }
  }, 120_000); // 54 process starts: past vitest's 30 s default on a loaded 2-core machine

  it("matches NUT's upsc through a symlink named upsc", async () => {
    symlinkSync(LAUNCHER, join(dir, "upsc"));
    for (const args of [[ups("quirky")], [ups("nosuch")]]) {
      const nut = observable(await runNut("upsc", args));
      expect(observable(await runCommand(join(dir, "upsc"), args))).toEqual(nut);
    }
  });

  it("falls back to the bundle when Node cannot load the blob", async () => {
    const broken = join(dir, "upsc-broken");
    writeFileSync(broken, readFileSync(LAUNCHER, "utf8").replace(BLOB, join(dir, "missing.blob")), {
      mode: 0o755,
    });
    const ours = await runOurs("upsc", [ups("dummy")]);
    const fallback = await runCommand(broken, [ups("dummy")]);
    expect(fallback.stdout).toBe(ours.stdout);
    expect(fallback.code).toBe(0);
    expect(fallback.stderr).toContain("missing.blob"); // Node's own "Cannot open ..." line
  });

  it("runs the bundle when NODE_OPTIONS is set (V8 flags there make Node refuse the blob)", async () => {
    const env = { NODE_OPTIONS: "--max-old-space-size=100" };
    const ours = await runOurs("upsc", [ups("dummy")], { env });
    expect(await runCommand(LAUNCHER, [ups("dummy")], { env })).toEqual(ours);
    expect(ours).toMatchObject({ stderr: "", code: 0 });
  });
});
