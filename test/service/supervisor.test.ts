// The supervisor as a real process (dist/), with a fake monitor child speaking the privsep protocol.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listenNotify, type NotifyListener } from "../helpers/notify-listener.js";
import { isAlive, killAll, readIfExists, type Started, start, waitUntil } from "../helpers/processes.js";

const RUNNER = fileURLToPath(new URL("./fixtures/run-supervisor.mjs", import.meta.url));

let dir: string;
let notify: NotifyListener;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-supervisor-"));
  notify = listenNotify(dir);
});
afterEach(() => {
  killAll();
  notify.close();
  rmSync(dir, { recursive: true, force: true });
});

function startSupervisor(extra: NodeJS.ProcessEnv = {}): Started {
  return start(process.execPath, [RUNNER], {
    ...process.env,
    NOTIFY_SOCKET: notify.path,
    FAKE_PIDFILE: join(dir, "nutguard-monitor.pid"),
    FAKE_EVENTS: join(dir, "events"),
    FAKE_FLAG: join(dir, "killpower"),
    FAKE_SHUTDOWNCMD: `echo ran >> ${join(dir, "shutdown.log")}`,
    ...extra,
  });
}
const events = () => readIfExists(join(dir, "events"));
const childPid = () => Number(/started (\d+)/.exec(events())?.[1]);
const pidFile = () => join(dir, "nutguard-monitor.pid");

describe("supervisor", () => {
  it("writes its own PID to the PID file, relays READY and STATUS, removes the file on SIGTERM", async () => {
    const sup = startSupervisor();
    await notify.waitFor("READY=1");
    expect(readFileSync(pidFile(), "utf8")).toBe(`${sup.pid}\n`);
    expect(notify.messages.join("\n")).toContain("STATUS=1 UPS: dummy OL");
    expect(childPid()).not.toBe(sup.pid);
    sup.child.kill("SIGTERM");
    expect(await sup.exited).toEqual({ code: 0, signal: null });
    expect(events()).toContain("SIGTERM");
    expect(readIfExists(pidFile())).toBe("");
    await notify.waitFor("STOPPING=1");
  });

  it("exits 1 when the monitor is killed, so Restart=on-failure fires", async () => {
    const sup = startSupervisor();
    await notify.waitFor("READY=1");
    process.kill(childPid(), "SIGKILL");
    expect((await sup.exited).code).toBe(1);
    expect(sup.output()).toMatch(/Monitor process \d+ killed by signal SIGKILL unexpectedly/);
    expect(readIfExists(pidFile())).toBe("");
  });

  it("passes SIGHUP on as a reload with RELOADING=1 and MONOTONIC_USEC, then READY=1", async () => {
    const sup = startSupervisor();
    await notify.waitFor("READY=1");
    const from = notify.messages.length;
    sup.child.kill("SIGHUP");
    const reloading = await notify.waitFor("RELOADING=1", 10_000, from);
    expect(reloading).toMatch(/MONOTONIC_USEC=\d+/);
    await notify.waitFor("READY=1", 10_000, from + 1);
    expect(events()).toContain("SIGHUP");
  });

  it("passes SIGUSR1 (fsd) on to the monitor", async () => {
    const sup = startSupervisor();
    await notify.waitFor("READY=1");
    sup.child.kill("SIGUSR1");
    await waitUntil("SIGUSR1 at the monitor", () => events().includes("SIGUSR1")).catch((e) => {
      throw new Error(`${e} ${sup.output()} ${events()}`);
    });
  });

  it("on SHUTDOWN writes POWERDOWNFLAG and runs SHUTDOWNCMD exactly once, refusing other messages", async () => {
    const sup = startSupervisor({ FAKE_BEHAVIOUR: "shutdown" });
    expect(await sup.exited).toEqual({ code: 0, signal: null });
    expect(readFileSync(join(dir, "killpower"), "utf8")).toBe("upsmon-shutdown-file");
    expect(readFileSync(join(dir, "shutdown.log"), "utf8")).toBe("ran\n");
    expect(sup.output()).toContain(
      'Refused bogus message from the monitor process (unknown message): "RUN /bin/sh -c evil"',
    );
    expect(sup.output()).toContain("Refusing a second shutdown request");
    expect(notify.messages.join("\n")).toContain("EXTEND_TIMEOUT_USEC=");
  });

  it("refuses a second instance while the first runs, leaving its PID file alone", async () => {
    const first = startSupervisor();
    await notify.waitFor("READY=1");
    const second = startSupervisor({ FAKE_EVENTS: join(dir, "events2") });
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain(
      `A previous nutguard monitor instance is already running (PID ${first.pid}`,
    );
    expect(readFileSync(pidFile(), "utf8")).toBe(`${first.pid}\n`);
    expect(isAlive(first.pid)).toBe(true);
  });

  it("starts over a stale PID file left by a killed instance, with a notice", async () => {
    writeFileSync(pidFile(), "999999\n");
    const sup = startSupervisor();
    await notify.waitFor("READY=1");
    expect(sup.output()).toContain("Replacing stale PID file");
    expect(readFileSync(pidFile(), "utf8")).toBe(`${sup.pid}\n`);
  });

  it("when the supervisor is killed, the monitor notices its parent is gone", async () => {
    const sup = startSupervisor();
    await notify.waitFor("READY=1");
    const child = childPid();
    sup.child.kill("SIGKILL");
    await waitUntil("parent-gone at the monitor", () => events().includes("parent-gone"));
    await waitUntil("monitor exit", () => !isAlive(child));
  });

  it("pings the systemd watchdog (WATCHDOG=1) while the monitor reports in", async () => {
    startSupervisor({ WATCHDOG_USEC: "400000" });
    await notify.waitFor("READY=1");
    await notify.waitFor("WATCHDOG=1", 5000);
  });
});
