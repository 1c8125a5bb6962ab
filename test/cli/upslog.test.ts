/**
 * upslog: the format language and NUT's default format compared with NUT's own /usr/bin/upslog
 * (2.8.0: no -d/-m/-N, so it is stopped by PID after its first line), and the HEAD features
 * (-m with `*`, -N, -d, SIGHUP reopening, background mode, PID file) against a real upsd.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { NUTGUARD_BIN, runOurs, upslogArgs } from "./run-tool.js";

let stack: NutStack;
let dir: string;
let quirky: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  stack = await startNutStack();
  quirky = `quirky@127.0.0.1:${stack.port}`;
});

afterAll(async () => {
  await stack?.stop();
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-upslog-"));
});

afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ENV = {
  TZ: "UTC",
  NUT_QUIET_INIT_BANNER: "true",
  NUT_QUIET_INIT_SSL: "true",
  PATH: process.env.PATH ?? "",
};

function start(file: string, args: string[]): ChildProcess {
  const child = spawn(file, args, { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.resume();
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  Object.defineProperty(child, "stderrText", { get: () => stderr });
  started.push(child);
  return child;
}

const lines = (path: string): string[] =>
  existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once("exit", (code) => resolve(code)));

/** NUT's upslog in the foreground, logging to a file; stopped by PID after its first line. */
async function nutFirstLine(format: string, name: string): Promise<string> {
  const file = join(dir, `${name}.nut.log`);
  const child = start(
    "/usr/bin/upslog",
    upslogArgs({ before: ["-F"], system: quirky, logFile: file, pidFile: join(dir, `${name}.pid`), format }),
  );
  await stack.waitFor(async () => lines(file).length > 0);
  child.kill("SIGTERM");
  await exited(child);
  return lines(file)[0]!;
}

async function oursFirstLine(format: string, name: string): Promise<string> {
  const file = join(dir, `${name}.ours.log`);
  const r = await runOurs(
    "upslog",
    upslogArgs({
      before: ["-F"],
      system: quirky,
      logFile: file,
      pidFile: join(dir, `${name}.ours.pid`),
      format,
      polls: 1,
    }),
  );
  expect(r.code).toBe(0);
  return lines(file)[0]!;
}

describe("upslog matches NUT's upslog", () => {
  it("renders the format language identically", async () => {
    const format =
      "%UPSHOST% %HOST% [%VAR ups.status%] %VAR device.description% %VAR nosuch.var% %VAR bad% %BOGUS% x 100%% no end %VAR ups.status";
    const ours = await oursFirstLine(format, "lang");
    expect(ours).toBe(await nutFirstLine(format, "lang"));
    expect(ours).toContain(
      '[OL] Rack "A"  slot #3 \\ left NA INVALID INVALID x 100% no end INVALIDVAR ups.status',
    );
  });

  it("uses NUT's default format (compared without the timestamp)", async () => {
    const ours = await oursFirstLine(
      "%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%",
      "default",
    );
    const nut = await nutFirstLine(
      "%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%",
      "default",
    );
    expect(ours.slice(16)).toBe(nut.slice(16));
    expect(ours).toMatch(/^\d{8} \d{6} 87 NA NA \[OL\] NA NA$/);
    const plain = await runOurs("upslog", [
      "-s",
      quirky,
      "-l",
      "-",
      "-i",
      "1",
      "-d",
      "1",
      "-u",
      "root",
      "-p",
      join(dir, "d.pid"),
    ]);
    expect(plain.stdout).toMatch(/\n\d{8} \d{6} 87 NA NA \[OL\] NA NA\n$/);
  });
});

describe("upslog (NUT 2.8.5+ options)", () => {
  it("expands -m '*@host' to every UPS, prefixes UPSHOST with -N, and stops after -d polls", async () => {
    const r = await runOurs("upslog", [
      "-m",
      `*@127.0.0.1:${stack.port},-`,
      "-N",
      "-i",
      "1",
      "-d",
      "2",
      "-u",
      "root",
      "-p",
      join(dir, "m.pid"),
      "-f",
      "[%VAR ups.status%]",
    ]);
    expect(r.code).toBe(0);
    const data = r.stdout.split("\n").filter((l) => l.includes("\t"));
    expect(data).toHaveLength(2 * stack.upsNames.length);
    expect(data.slice(0, stack.upsNames.length).map((l) => l.split("\t")[0])).toEqual(
      stack.upsNames.map((n) => `${n}@127.0.0.1:${stack.port}`),
    );
    expect(r.stdout).toContain(`logging status of dummy@127.0.0.1:${stack.port} to stdout (1s intervals)\n`);
  });

  it("keeps logging NA while the server is unreachable", async () => {
    const closed = await freePort();
    const r = await runOurs(
      "upslog",
      upslogArgs({
        system: `dummy@127.0.0.1:${closed}`,
        logFile: "-",
        pidFile: join(dir, "u.pid"),
        polls: 2,
        format: "%UPSHOST% [%VAR ups.status%]",
      }),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Warning: initial connect failed: Connection failure: Connection refused\n");
    expect(r.stdout.split("\n").filter((l) => l.startsWith("dummy@"))).toEqual([
      `dummy@127.0.0.1:${closed} [NA]`,
      `dummy@127.0.0.1:${closed} [NA]`,
    ]);
  });

  it("reopens its file on SIGHUP, writes a PID file, and exits cleanly on SIGTERM", async () => {
    const file = join(dir, "rotate.log");
    const pidFile = join(dir, "rotate.pid");
    const child = start(process.execPath, [
      NUTGUARD_BIN,
      "upslog",
      ...upslogArgs({ before: ["-F"], system: quirky, logFile: file, pidFile, format: "%VAR ups.status%" }),
    ]);
    await stack.waitFor(async () => lines(file).length > 0);
    expect(readFileSync(pidFile, "utf8")).toBe(`${child.pid}\n`);
    renameSync(file, `${file}.1`);
    child.kill("SIGHUP");
    await stack.waitFor(async () => lines(file).length > 0);
    expect(lines(file)[0]).toBe("OL");
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect((child as unknown as { stderrText: string }).stderrText).toContain("Signal 15: exiting");
    expect(existsSync(pidFile)).toBe(false);
  });

  it("goes to the background when logging to a file without -F", async () => {
    const file = join(dir, "bg.log");
    const pidFile = join(dir, "bg.pid");
    const r = await runOurs("upslog", ["-s", quirky, "-l", file, "-i", "1", "-u", "root", "-p", pidFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`logging status of ${quirky} to ${file} (1s intervals)`);
    await stack.waitFor(async () => existsSync(pidFile) && lines(file).length > 0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("upslog");
    } finally {
      process.kill(pid, "SIGTERM");
    }
    await stack.waitFor(async () => !existsSync(pidFile));
  });

  it("rejects bad arguments with NUT's messages", async () => {
    expect(await runOurs("upslog", ["-m", "nocomma"])).toMatchObject({
      stderr: "Argument '-m upsspec,logfile' requires exactly 2 components in the tuple\n",
      code: 1,
    });
    const none = await runOurs("upslog", []);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^No UPS defined for monitoring/);
    expect((await runOurs("upslog", ["-s", quirky])).stderr).toMatch(/^No filename defined for logging/);
    expect(await runOurs("upslog", ["-x"])).toMatchObject({
      stdout: "",
      stderr: "upslog: invalid option -- 'x'\nError: unknown option -?. Try -h for help.\n",
      code: 1,
    });
    expect(await runOurs("upslog", ["-s", "@127.0.0.1", "-l", "-"])).toMatchObject({
      stdout: "",
      stderr:
        "upscli_splitname: got empty upsname string\nError: invalid UPS definition.  Required format: upsname[@hostname[:port]]\n",
      code: 1,
    });
  });

  it("prints its help on stdout, nothing on stderr, exit 0", async () => {
    const r = await runOurs("upslog", ["-h"]);
    expect(r).toMatchObject({ stderr: "", code: 0 });
    expect(r.stdout).toMatch(
      /^NUT read-only client program - UPS status logger \(nutguard\)\.\n\nusage: upslog \[OPTIONS\]\n/,
    );
  });
});
