import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyRunningError, acquirePidFile, inspectPidFile, parsePid } from "../../src/service/pidfile.js";
import { readProcInfo } from "../../src/service/proc-identity.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { killAll, start, waitUntil } from "../helpers/processes.js";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-pidfile-"));
  path = join(dir, "nutguard-monitor.pid");
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** A process that looks like a running nutguard supervisor (same process title). */
async function fakeDaemon(): Promise<number> {
  const p = start(process.execPath, ["-e", 'process.title="nutguard-monitor"; setInterval(()=>{},1e6)']);
  await waitUntil("title set", () => {
    try {
      return readFileSync(`/proc/${p.pid}/cmdline`, "utf8").startsWith("nutguard-monitor\0");
    } catch {
      return false;
    }
  });
  return p.pid;
}

describe("PID file", () => {
  it("holds 'PID\\n' and is removed by release()", () => {
    const log = createMemoryLogger();
    const held = acquirePidFile(path, log, 4242);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
    held.release();
    expect(inspectPidFile(path)).toEqual({ kind: "absent" });
    expect(log.lines).toEqual([]);
  });

  it("refuses to start while a live instance's PID is in it", async () => {
    const pid = await fakeDaemon();
    writeFileSync(path, `${pid}\n`);
    expect(() => acquirePidFile(path, createMemoryLogger())).toThrow(AlreadyRunningError);
    expect(readFileSync(path, "utf8")).toBe(`${pid}\n`);
  });

  it("replaces a file naming a dead PID, with a notice", () => {
    const dead = spawn("true");
    const deadPid = dead.pid as number;
    return new Promise<void>((resolve) =>
      dead.on("exit", () => {
        writeFileSync(path, `${deadPid}\n`);
        const log = createMemoryLogger();
        acquirePidFile(path, log, 777);
        expect(readFileSync(path, "utf8")).toBe("777\n");
        expect(log.lines).toEqual([
          { level: "notice", message: `Replacing stale PID file ${path}: PID ${deadPid} is not running` },
        ]);
        resolve();
      }),
    );
  });

  it("replaces a file whose PID now belongs to an unrelated program", () => {
    const other = start("sleep", ["30"]);
    writeFileSync(path, `${other.pid}\n`);
    const log = createMemoryLogger();
    acquirePidFile(path, log, 778);
    expect(log.lines[0]?.message).toMatch(/is another program \(sleep\)/);
    expect(readFileSync(path, "utf8")).toBe("778\n");
  });

  it("replaces a file older than the nutguard process its PID now names (PID reuse)", async () => {
    const pid = await fakeDaemon();
    writeFileSync(path, `${pid}\n`);
    const longAgo = new Date(Date.now() - 3600_000);
    utimesSync(path, longAgo, longAgo);
    const log = createMemoryLogger();
    acquirePidFile(path, log, 779);
    expect(log.lines[0]?.message).toMatch(/was reused by a process started after the file was written/);
  });

  it("replaces garbage with a notice", () => {
    writeFileSync(path, "hello\n");
    const log = createMemoryLogger();
    acquirePidFile(path, log, 780);
    expect(readFileSync(path, "utf8")).toBe("780\n");
    expect(log.lines[0]?.message).toContain("Replacing unparsable PID file");
  });

  it("release() leaves a file that now names another process", () => {
    const held = acquirePidFile(path, createMemoryLogger(), 781);
    writeFileSync(path, "782\n");
    held.release();
    expect(readFileSync(path, "utf8")).toBe("782\n");
  });

  it("parses PIDs like NUT: first line, decimal, 2..4194304", () => {
    expect(parsePid("123\n")).toBe(123);
    expect(parsePid(" 123 \nextra")).toBe(123);
    expect(parsePid("1\n")).toBeUndefined();
    expect(parsePid("12a\n")).toBeUndefined();
    expect(parsePid("99999999999\n")).toBeUndefined();
  });
});

describe("/proc facts (proc-identity, also read by doctor)", () => {
  it("reads state, parent, comm and argv[0], even when comm holds spaces and parentheses", async () => {
    const bin = join(dir, "sl) eep (x");
    symlinkSync("/bin/sleep", bin);
    const p = start(bin, ["600"]);
    await waitUntil("sleeping", () => readProcInfo(p.pid)?.state === "S");
    expect(readProcInfo(p.pid)).toMatchObject({
      pid: p.pid,
      state: "S",
      ppid: process.pid,
      comm: "sl) eep (x",
      argv0: bin,
    });
    p.child.kill("SIGKILL");
    await p.exited;
    expect(readProcInfo(p.pid)).toBeUndefined();
  });
});
