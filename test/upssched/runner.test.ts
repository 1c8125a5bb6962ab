/**
 * The built-in upssched's shell, fed by the monitor's real Notifier (monitor/actions.ts) as its
 * NOTIFYCMD handler: events with EXEC in NOTIFYFLAG reach the timers, CMDSCRIPT (a real recording
 * script) runs with argv + NUT 2.8.5's environment and no shell, and the state file for
 * `upssched -l` follows the timers (atomically written, removed on stop). Timers on a manual clock.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import type { NotifyType } from "../../src/config/upsmon-notify-types.js";
import { parseUpsschedConf } from "../../src/config/upssched-conf.js";
import { Notifier } from "../../src/monitor/actions.js";
import { BuiltinUpssched, loadUpsschedConf, type TimerState } from "../../src/upssched/runner.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { ManualClock } from "../helpers/manual-clock.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-upssched-"));
  await writeFile(
    join(dir, "cmd"),
    // one write per call, so a reader never sees half a line
    `#!/bin/sh\nline="$(printf '%s|' "$@")UPSNAME=$UPSNAME NOTIFYTYPE=$NOTIFYTYPE NOTIFYMSG=$NOTIFYMSG"\necho "$line" >> "${dir}/calls"\n`,
    { mode: 0o755 },
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function calls(count: number): Promise<string[]> {
  for (;;) {
    const text = existsSync(join(dir, "calls")) ? await readFile(join(dir, "calls"), "utf8") : "";
    const lines = text.split("\n").filter(Boolean);
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const UPSMON = [
  "NOTIFYCMD /usr/sbin/upssched",
  "NOTIFYFLAG ONBATT SYSLOG+EXEC",
  "NOTIFYFLAG ONLINE EXEC",
  "NOTIFYFLAG LOWBATT SYSLOG",
  "",
].join("\n");

function start(ats: string) {
  const clock = new ManualClock();
  clock.t = Date.UTC(2026, 11, 5, 16, 0, 0);
  const log = createMemoryLogger(9);
  const stateFile = join(dir, "upssched-timers.json");
  const sched = new BuiltinUpssched({
    conf: parseUpsschedConf(`CMDSCRIPT ${dir}/cmd --nut\nPIPEFN /p\nLOCKFN /l\n${ats}`, "upssched.conf"),
    log,
    stateFile,
    clock,
  });
  // The monitor's Notifier with the built-in upssched as its NOTIFYCMD handler (wall goes to `true`).
  const notifier = new Notifier({
    config: parseUpsmonConf(UPSMON, "upsmon.conf").config,
    log: createMemoryLogger(0),
    wallCommand: "true",
  });
  notifier.setNotifyCmdHandler(sched.exec);
  const notify = (type: NotifyType, system: string) => notifier.notify({ type, system });
  const state = async () => JSON.parse(await readFile(stateFile, "utf8")) as TimerState;
  return { clock, log, sched, state, stateFile, notify };
}

describe("built-in upssched runner", () => {
  it("a long outage: the timer fires CMDSCRIPT with its name and NUT 2.8.5's environment", async () => {
    const { clock, sched, state, notify } = start(
      "AT ONBATT * START-TIMER onbatt 30\nAT ONLINE * CANCEL-TIMER onbatt online\n",
    );
    notify("ONBATT", "rack@127.0.0.1");
    expect((await state()).timers).toMatchObject([
      { name: "onbatt", upsNames: ["rack@127.0.0.1"], dueMs: clock.t + 30_000 },
    ]);
    await clock.advance(clock.t + 30_000);
    expect(await calls(1)).toEqual([
      "--nut|onbatt|UPSNAME=rack@127.0.0.1 NOTIFYTYPE=ONBATT NOTIFYMSG=UPS rack@127.0.0.1 on battery",
    ]);
    expect((await state()).timers).toEqual([]);
    notify("ONLINE", "rack@127.0.0.1");
    expect((await calls(2))[1]).toBe(
      "--nut|online|UPSNAME=rack@127.0.0.1 NOTIFYTYPE=ONLINE NOTIFYMSG=UPS rack@127.0.0.1 on line power",
    );
    sched.stop();
  });

  it("only events whose NOTIFYFLAG has EXEC reach the timers (upsmon would not run upssched otherwise)", async () => {
    const { sched, state, notify } = start(
      "AT LOWBATT * START-TIMER low 1\nAT ONBATT * EXECUTE onbatt-now\n",
    );
    notify("LOWBATT", "rack@127.0.0.1");
    expect((await state()).timers).toEqual([]);
    notify("ONBATT", "rack@127.0.0.1");
    expect(await calls(1)).toEqual([
      expect.stringMatching(/^--nut\|onbatt-now\|UPSNAME=rack@127\.0\.0\.1 NOTIFYTYPE=ONBATT /),
    ]);
    sched.stop();
  });

  it("names with shell metacharacters reach CMDSCRIPT as one argument (no shell)", async () => {
    const { sched, notify } = start('AT ONBATT * EXECUTE "$(touch pwned); echo x"\n');
    notify("ONBATT", "rack@127.0.0.1");
    expect((await calls(1))[0]).toMatch(/^--nut\|\$\(touch pwned\); echo x\|/);
    expect(existsSync(join(dir, "pwned"))).toBe(false);
    sched.stop();
  });

  it("the state file is replaced whole, names the writer, and goes away on stop", async () => {
    const { sched, state, stateFile, notify } = start("AT ONBATT * START-TIMER-SHARED grp 60\n");
    expect(await state()).toMatchObject({ pid: process.pid, timers: [], conf: "upssched.conf" });
    notify("ONBATT", "a@h");
    notify("ONBATT", "b@h");
    expect((await state()).timers).toMatchObject([
      { name: "grp", upsNames: ["a@h", "b@h"], types: ["ONBATT", "ONBATT"] },
    ]);
    sched.stop();
    expect(existsSync(stateFile)).toBe(false);
  });

  it("a CMDSCRIPT that cannot run is logged, the monitor goes on", async () => {
    const log = createMemoryLogger(9);
    const sched = new BuiltinUpssched({
      conf: parseUpsschedConf(
        "CMDSCRIPT /nonexistent/cmd\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * EXECUTE x\n",
        "u.conf",
      ),
      log,
      clock: new ManualClock(),
    });
    sched.exec({ type: "ONBATT", system: "a@h", message: "m" });
    while (!log.lines.some((l) => l.level === "err")) await new Promise((r) => setTimeout(r, 10));
    expect(log.lines.filter((l) => l.level === "err").map((l) => l.message)).toEqual([
      "upssched: cannot run CMDSCRIPT /nonexistent/cmd: spawn /nonexistent/cmd ENOENT",
    ]);
    sched.stop();
  });
});

describe("loadUpsschedConf: NUT's file in Latin-1 still loads", () => {
  it("a Latin-1 comment is quiet, a Latin-1 timer name is a warning with its line; the rules load", async () => {
    const path = join(dir, "upssched.conf");
    await writeFile(
      path,
      Buffer.from(
        `# Zeitgeber f\xfcr den Stromausfall\nCMDSCRIPT ${dir}/cmd\nPIPEFN ${dir}/pipe\nLOCKFN ${dir}/lock\nAT ONBATT * START-TIMER sp\xe4t 30\n`,
        "latin1",
      ),
    );
    const conf = loadUpsschedConf(path);
    expect(conf.warnings).toEqual([
      `${path}:5: not UTF-8 text (byte 0xE4 at column 27): read as U+FFFD; save the file as UTF-8`,
    ]);
    expect(conf.rules).toHaveLength(1);
  });
});
