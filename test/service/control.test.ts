import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseControlCommand, sendControl } from "../../src/service/control.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { killAll, readIfExists, start, waitUntil } from "../helpers/processes.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-control-"));
});
afterEach(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const signalsFile = () => join(dir, "signals");

/** A process titled like the supervisor that records the signals it gets. */
async function daemon(): Promise<number> {
  const code = `process.title="nutguard-monitor";
    for (const s of ["SIGHUP","SIGUSR1","SIGTERM"]) process.on(s, () => require("fs").appendFileSync(${JSON.stringify(signalsFile())}, s+"\\n"));
    require("fs").writeFileSync(${JSON.stringify(join(dir, "up"))}, "");
    setInterval(()=>{},1e6)`;
  const p = start(process.execPath, ["-e", code]);
  await waitUntil("daemon up", () => existsSync(join(dir, "up")));
  return p.pid;
}

describe("monitor -c", () => {
  it("matches commands by prefix like upsmon", () => {
    expect(parseControlCommand("r")).toBe("reload");
    expect(parseControlCommand("fsd")).toBe("fsd");
    expect(parseControlCommand("st")).toBe("stop");
    expect(parseControlCommand("restart")).toBeUndefined();
    expect(parseControlCommand("")).toBeUndefined();
  });

  it("signals the daemon named in the PID file and leaves the file alone", async () => {
    const pid = await daemon();
    const pidFile = join(dir, "nutguard-monitor.pid");
    writeFileSync(pidFile, `${pid}\n`);
    const log = createMemoryLogger();
    const rc = sendControl("reload", { pidFile }, log);
    expect(log.lines).toEqual([]);
    expect(rc).toBe(0);
    // Signals pending at once may be handled in any order: wait for each before sending the next.
    await waitUntil("SIGHUP", () => readIfExists(signalsFile()) === "SIGHUP\n");
    expect(sendControl("fsd", { pidFile }, log)).toBe(0);
    await waitUntil("SIGUSR1", () => readIfExists(signalsFile()) === "SIGHUP\nSIGUSR1\n");
    expect(sendControl("stop", { pidFile }, log)).toBe(0);
    await waitUntil("SIGTERM", () => readIfExists(signalsFile()) === "SIGHUP\nSIGUSR1\nSIGTERM\n");
    expect(readFileSync(pidFile, "utf8")).toBe(`${pid}\n`);
  });

  it("-P signals the given PID without reading any PID file", async () => {
    const pid = await daemon();
    expect(sendControl("reload", { pidFile: join(dir, "none.pid"), pid }, createMemoryLogger())).toBe(0);
    await waitUntil("SIGHUP", () => readIfExists(signalsFile()) === "SIGHUP\n");
  });

  it("does not signal a stale PID (an unrelated program) and says why", () => {
    const other = start("sleep", ["30"]);
    const pidFile = join(dir, "nutguard-monitor.pid");
    writeFileSync(pidFile, `${other.pid}\n`);
    const log = createMemoryLogger();
    expect(sendControl("stop", { pidFile }, log)).toBe(1);
    expect(log.lines.map((l) => l.message)).toEqual([
      `PID file ${pidFile} is stale: PID ${other.pid} is another program (sleep)`,
      "Failed to signal the currently running daemon (if any)",
      "Try 'systemctl reload nutguard-monitor.service' or add '-P $PID' argument",
    ]);
    expect(readFileSync(pidFile, "utf8")).toBe(`${other.pid}\n`);
  });

  it("with no PID file names the file it looked for", () => {
    const log = createMemoryLogger();
    const pidFile = join(dir, "nutguard-monitor.pid");
    expect(sendControl("reload", { pidFile }, log)).toBe(1);
    expect(log.lines[0]?.message).toBe(`No PID file ${pidFile}: is the nutguard monitor running?`);
  });
});
