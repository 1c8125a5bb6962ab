/** `nutguard server` as a process: NUT_CONFPATH, PID file, -c reload|stop, refusing other drivers. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../helpers/nut-stack.js";
import { waitUntil } from "../helpers/processes.js";
import { RawClient, writeConfDir } from "../server/server-fixture.js";

const MAIN = join(import.meta.dirname, "../../dist/cli/main.js");
const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function confDir(): Promise<{ dir: string; port: number }> {
  const dir = await mkdtemp(join(tmpdir(), "nutguard-server-cli-"));
  dirs.push(dir);
  await writeConfDir(dir);
  const port = await freePort();
  writeFileSync(join(dir, "upsd.conf"), `LISTEN 127.0.0.1 ${port}\n`);
  return { dir, port };
}

function nutguard(args: string[], dir: string) {
  const env = { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir };
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, exited, err: () => stderr };
}

function runOnce(args: string[], dir: string): Promise<{ code: number; stderr: string }> {
  const env = { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir };
  return new Promise((resolve) =>
    execFile(process.execPath, [MAIN, ...args], { env }, (e, _o, stderr) =>
      resolve({ code: e ? Number(e.code ?? 1) : 0, stderr }),
    ),
  );
}

describe("nutguard server (process)", () => {
  it("serves the files in NUT_CONFPATH, reloads on -c reload, exits 0 on -c stop and removes its PID file", async () => {
    const { dir, port } = await confDir();
    const server = nutguard(["server", "-F"], dir);
    const pidFile = join(dir, "nutguard-server.pid");
    await waitUntil("the PID file", () => existsSync(pidFile));
    expect(Number(readFileSync(pidFile, "utf8"))).toBe(server.child.pid);
    const c = await RawClient.connect(port);
    try {
      expect(await c.ask("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
      writeFileSync(join(dir, "upsd.users"), "[newuser]\n\tpassword = p\n\tupsmon secondary\n");
      expect((await runOnce(["server", "-c", "reload"], dir)).code).toBe(0);
      await waitUntil("the reload", () => server.err().includes("configuration reloaded"));
      expect(await c.ask("USERNAME newuser")).toBe("OK");
      expect(await c.ask("PASSWORD p")).toBe("OK");
      expect(await c.ask("LOGIN dummy")).toBe("OK");
    } finally {
      c.close();
    }
    expect((await runOnce(["server", "-c", "stop"], dir)).code).toBe(0);
    expect(await server.exited).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });

  it("a second server refuses to start beside a running one, and keeps its PID file intact", async () => {
    const { dir } = await confDir();
    const first = nutguard(["server"], dir);
    const pidFile = join(dir, "nutguard-server.pid");
    await waitUntil("the PID file", () => existsSync(pidFile));
    const second = await runOnce(["server"], dir);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `Fatal error: A previous nutguard server instance is already running (PID ${first.child.pid}, ${pidFile})!`,
    );
    expect(Number(readFileSync(pidFile, "utf8"))).toBe(first.child.pid);
    expect((await runOnce(["server", "-c", "stop"], dir)).code).toBe(0);
    expect(await first.exited).toBe(0);
  });

  it("-c stop does not signal a PID file's process that is not a nutguard server (a stale file, PID reused)", async () => {
    const { dir } = await confDir();
    const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
    started.push(bystander);
    writeFileSync(join(dir, "nutguard-server.pid"), `${bystander.pid}\n`);
    const r = await runOnce(["server", "-c", "stop"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`is stale: PID ${bystander.pid} is another program (sleep)`);
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
  });

  it("refuses a UPS with another driver: exit 1 and a message naming the section", async () => {
    const { dir } = await confDir();
    writeFileSync(join(dir, "ups.conf"), "[rack]\n\tdriver = usbhid-ups\n\tport = auto\n");
    const server = nutguard(["server"], dir);
    expect(await server.exited).toBe(1);
    expect(server.err()).toContain(
      `${join(dir, "ups.conf")}:2: UPS [rack]: driver "usbhid-ups" is not supported`,
    );
  });

  it("says so when -c finds no running server", async () => {
    const { dir } = await confDir();
    const r = await runOnce(["server", "-c", "stop"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is nutguard server running?");
  });
});
