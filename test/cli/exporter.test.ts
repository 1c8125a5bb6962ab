/** `nutguard exporter`'s command line as a user runs it (the built bin). */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExporterArgs } from "../../src/cli/exporter-args.js";
import { runOurs } from "./run-tool.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-exporter-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[]) =>
  runOurs("exporter", args, {
    env: { NUT_CONFPATH: dir, STATE_DIRECTORY: dir },
    timeoutMs: 15_000,
  });

describe("nutguard exporter command line", () => {
  it("refuses to listen beyond loopback without authentication, naming the setting", async () => {
    const r = await run(["--http", "0.0.0.0:0", "ups@127.0.0.1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `nutguard exporter: refusing to listen on 0.0.0.0:0 (--http): it is not a loopback address and no authentication is configured; set "token" (or "token_file"), or "user" and "password" (or "password_file"), in [http] of ${dir}/nutguard.conf\n`,
    );
  });

  it("--check prints what it understood, from nutguard.conf", async () => {
    const conf = join(dir, "custom.conf");
    await writeFile(
      conf,
      "[exporter]\n target = *@10.0.0.2 ups@10.0.0.3:3494\n interval = 15\n[http]\n listen = 0.0.0.0:9399\n token = x\n",
    );
    const r = await run(["-C", conf, "--check"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `nutguard.conf: ${conf}`,
        "targets: *@10.0.0.2 ups@10.0.0.3:3494",
        "interval: 15 s",
        "listen: 0.0.0.0:9399",
        "authentication: bearer token",
        `history: ${dir} (24 h)`,
        "",
      ].join("\n"),
    );
  });

  it("a config mistake names file and line", async () => {
    const conf = join(dir, "bad.conf");
    await writeFile(conf, "[exporter]\n target = *@h\n interval = soon\n");
    const r = await run(["-C", conf]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `nutguard exporter: ${conf}:3: interval must be from 1 to 3600 seconds, got "soon"\n`,
    );
  });

  it("without targets it says where to give them", async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `nutguard exporter: no UPS to watch: give ups@host[:port] or *@host[:port], or "target" in [exporter] of ${dir}/nutguard.conf\n`,
    );
  });

  it.each([
    [["--http"], "option '--http' requires an argument ADDR:PORT"],
    [["-i", "0", "u@h"], '-i: interval must be from 1 to 3600 seconds, got "0"'],
    [["--bogus"], "unknown option '--bogus'"],
    [["host-only"], '"host-only": a target is ups@host[:port] or *@host[:port]'],
  ])("%j → %s", (argv, error) => {
    expect(parseExporterArgs(argv)).toEqual({ error });
  });
});
