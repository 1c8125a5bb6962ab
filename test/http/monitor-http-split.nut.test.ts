/**
 * `nutguard monitor --http` in split mode (as root, the default): the HTTP surface is served by the
 * unprivileged monitor process, never by the root supervisor; and a non-loopback address without
 * authentication stops the monitor before anything starts, naming the setting.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { request } from "../helpers/nutguard-exporter.js";
import { nutguardBundle, startNutguardMonitor } from "../helpers/nutguard-monitor.js";

let stack: NutStack;
let dir: string;
beforeAll(async () => {
  stack = await startNutStack({ devices: { dummy: DEFAULT_DEVICES.dummy! } });
  dir = await mkdtemp(join(tmpdir(), "nutguard-monitor-split-"));
  chmodSync(dir, 0o777); // the monitor's user reads nutguard.conf and writes its history here
});
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The process that listens on a TCP port of 127.0.0.1 (from ss). */
function listenerPid(port: number): number {
  const line = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  return Number(/pid=(\d+)/.exec(line)![1]);
}

/** Its uid (from /proc). */
function listenerUid(port: number): number {
  const pid = listenerPid(port);
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

/** `nutguard monitor -F` as root (split mode) with `args`; its log so far, and a stop. */
async function splitMonitor(args: string[]) {
  const { user, pass } = stack.users.primary;
  await writeFile(
    join(dir, "upsmon.conf"),
    `MONITOR dummy@127.0.0.1:${stack.port} 1 ${user} ${pass} primary\nRUN_AS_USER nut\nPOLLFREQ 1\nSHUTDOWNCMD "/bin/true"\n`,
    { mode: 0o644 },
  );
  let log = "";
  const child = spawn(
    process.execPath,
    [await nutguardBundle(), "monitor", "-F", ...args, "-f", join(dir, "upsmon.conf")],
    { env: { ...process.env, NUT_PIDPATH: dir }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.resume();
  child.stderr!.on("data", (d) => (log += d));
  /** The port of the n-th "listening on" line for `host`. */
  const listening = async (host: string, n = 0) => {
    const re = new RegExp(`http: listening on http://${host.replace(/\./g, "\\.")}:(\\d+)/`, "g");
    await stack
      .waitFor(async () => [...log.matchAll(re)].length > n)
      .catch((e) => {
        throw new Error(`${e.message}\n${log}`);
      });
    return Number([...log.matchAll(re)][n]![1]);
  };
  const stop = async () => {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { child, log: () => log, listening, stop };
}

const nutUid = () => Number(execFileSync("id", ["-u", "nut"], { encoding: "utf8" }).trim());

it("the unprivileged monitor process serves it, not the root supervisor", async () => {
  // split mode: the monitor's user (nut) must read upsmon.conf and nutguard.conf, and write the history
  const conf = join(dir, "nutguard.conf");
  await writeFile(conf, `[history]\n  dir = ${join(dir, "state")}\n`, { mode: 0o644 });
  const mon = await splitMonitor(["--http", "127.0.0.1:0", "-C", conf]);
  try {
    const port = await mon.listening("127.0.0.1");
    const U = `dummy@127.0.0.1:${stack.port}`;
    await stack.waitFor(async () =>
      (await request(`http://127.0.0.1:${port}/metrics`)).body.includes(`nut_ups_up{ups="${U}"} 1`),
    );
    expect(listenerUid(port)).toBe(nutUid());
    expect(mon.child.pid).toBeDefined();
    expect(listenerPid(port)).not.toBe(mon.child.pid);
  } finally {
    await mon.stop();
  }
});

it("a reload (SIGHUP to the supervisor) applies a changed [http] in the monitor process", async () => {
  const conf = join(dir, "reload.conf");
  const history = `[history]\n  dir = ${join(dir, "state-reload")}\n`;
  await writeFile(conf, `${history}[http]\n  listen = 127.0.0.1:0\n`, { mode: 0o644 });
  const mon = await splitMonitor(["-C", conf]);
  try {
    const old = await mon.listening("127.0.0.1");
    await writeFile(conf, `${history}[http]\n  listen = 127.0.0.2:0\n  token = s3cret\n`, { mode: 0o644 });
    mon.child.kill("SIGHUP");
    const port = await mon.listening("127.0.0.2");
    expect(listenerUid(port)).toBe(nutUid());
    expect((await request(`http://127.0.0.2:${port}/metrics`)).status).toBe(401);
    const auth = { authorization: "Bearer s3cret" };
    expect((await request(`http://127.0.0.2:${port}/metrics`, { headers: auth })).status).toBe(200);
    await expect(request(`http://127.0.0.1:${old}/metrics`)).rejects.toThrow("ECONNREFUSED");
  } finally {
    await mon.stop();
  }
});

it("refuses to start on a non-loopback address without authentication, naming the setting", async () => {
  const conf = join(dir, "open.conf");
  await writeFile(conf, "[http]\n  listen = 0.0.0.0:0\n", { mode: 0o644 });
  const mon = await startNutguardMonitor(stack, { role: "primary", args: ["-p", "-C", conf] });
  expect(await mon.exited).toBe(1);
  expect(readFileSync(mon.log, "utf8")).toContain(
    `nutguard monitor: refusing to listen on 0.0.0.0:0 (${conf} [http]): it is not a loopback address and no authentication is configured; set "token" (or "token_file"), or "user" and "password" (or "password_file"), in [http] of ${conf}`,
  );
  expect(mon.events()).toEqual([]);
});
