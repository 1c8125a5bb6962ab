/**
 * The built-in upssched's shell: events with EXEC in NOTIFYFLAG reach the timers, CMDSCRIPT (a real
 * recording script) runs with argv + NUT 2.8.5's environment and no shell, and the state file for
 * `upssched -l` follows the timers (atomically written, removed on stop). Timers on a manual clock.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { parseUpsschedConf } from "../../src/config/upssched-conf.js";
import { BuiltinUpssched, type TimerState } from "../../src/upssched/runner.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { notification } from "../notify/notify-fixtures.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-upssched-"));
  await writeFile(
    join(dir, "cmd"),
    `#!/bin/sh\nprintf '%s|' "$@" >> "${dir}/calls"\necho "UPSNAME=$UPSNAME NOTIFYTYPE=$NOTIFYTYPE NOTIFYMSG=$NOTIFYMSG" >> "${dir}/calls"\n`,
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

const UPSMON =
  "NOTIFYCMD /usr/sbin/upssched\nNOTIFYFLAG ONBATT SYSLOG+EXEC\nNOTIFYFLAG ONLINE EXEC\nNOTIFYFLAG LOWBATT SYSLOG\n";

function start(ats: string) {
  const clock = new ManualClock();
  clock.t = Date.UTC(2026, 11, 5, 16, 0, 0);
  const log = createMemoryLogger(9);
  const stateFile = join(dir, "upssched-timers.json");
  const sched = new BuiltinUpssched({
    conf: parseUpsschedConf(`CMDSCRIPT ${dir}/cmd --nut\nPIPEFN /p\nLOCKFN /l\n${ats}`, "upssched.conf"),
    upsmon: parseUpsmonConf(UPSMON, "upsmon.conf").config,
    log,
    stateFile,
    clock,
  });
  const state = async () => JSON.parse(await readFile(stateFile, "utf8")) as TimerState;
  return { clock, log, sched, state, stateFile };
}

describe("built-in upssched runner", () => {
  it("a long outage: the timer fires CMDSCRIPT with its name and NUT 2.8.5's environment", async () => {
    const { clock, sched, state } = start(
      "AT ONBATT * START-TIMER onbatt 30\nAT ONLINE * CANCEL-TIMER onbatt online\n",
    );
    sched.onEvent(notification("ONBATT", "rack@127.0.0.1", clock.t));
    expect((await state()).timers).toMatchObject([
      { name: "onbatt", upsNames: ["rack@127.0.0.1"], dueMs: clock.t + 30_000 },
    ]);
    await clock.advance(clock.t + 30_000);
    expect(await calls(1)).toEqual([
      "--nut|onbatt|UPSNAME=rack@127.0.0.1 NOTIFYTYPE=ONBATT NOTIFYMSG=UPS rack@127.0.0.1 on battery",
    ]);
    expect((await state()).timers).toEqual([]);
    sched.onEvent(notification("ONLINE", "rack@127.0.0.1", clock.t));
    expect((await calls(2))[1]).toBe(
      "--nut|online|UPSNAME=rack@127.0.0.1 NOTIFYTYPE=ONLINE NOTIFYMSG=UPS rack@127.0.0.1 on line power",
    );
    sched.stop();
  });

  it("only events whose NOTIFYFLAG has EXEC reach the timers (upsmon would not run upssched otherwise)", async () => {
    const { clock, sched, state } = start("AT LOWBATT * START-TIMER low 1\nAT ONBATT * EXECUTE onbatt-now\n");
    sched.onEvent(notification("LOWBATT", "rack@127.0.0.1", clock.t));
    expect((await state()).timers).toEqual([]);
    sched.onEvent(notification("ONBATT", "rack@127.0.0.1", clock.t));
    expect(await calls(1)).toEqual([
      expect.stringMatching(/^--nut\|onbatt-now\|UPSNAME=rack@127\.0\.0\.1 NOTIFYTYPE=ONBATT /),
    ]);
    sched.stop();
  });

  it("names with shell metacharacters reach CMDSCRIPT as one argument (no shell)", async () => {
    const { clock, sched } = start('AT ONBATT * EXECUTE "$(touch pwned); echo x"\n');
    sched.onEvent(notification("ONBATT", "rack@127.0.0.1", clock.t));
    expect((await calls(1))[0]).toMatch(/^--nut\|\$\(touch pwned\); echo x\|/);
    expect(existsSync(join(dir, "pwned"))).toBe(false);
    sched.stop();
  });

  it("the state file is replaced whole, names the writer, and goes away on stop", async () => {
    const { clock, sched, state, stateFile } = start("AT ONBATT * START-TIMER-SHARED grp 60\n");
    expect(await state()).toMatchObject({ pid: process.pid, timers: [], conf: "upssched.conf" });
    sched.onEvent(notification("ONBATT", "a@h", clock.t));
    sched.onEvent(notification("ONBATT", "b@h", clock.t + 1000));
    expect((await state()).timers).toMatchObject([
      { name: "grp", upsNames: ["a@h", "b@h"], types: ["ONBATT", "ONBATT"] },
    ]);
    sched.stop();
    expect(existsSync(stateFile)).toBe(false);
  });

  it("a CMDSCRIPT that cannot run is logged, the monitor goes on", async () => {
    const clock = new ManualClock();
    const log = createMemoryLogger(9);
    const sched = new BuiltinUpssched({
      conf: parseUpsschedConf(
        "CMDSCRIPT /nonexistent/cmd\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * EXECUTE x\n",
        "u.conf",
      ),
      upsmon: parseUpsmonConf(UPSMON, "upsmon.conf").config,
      log,
      clock,
    });
    sched.onEvent(notification("ONBATT", "a@h", 0));
    while (!log.lines.some((l) => l.level === "err")) await new Promise((r) => setTimeout(r, 10));
    expect(log.lines.filter((l) => l.level === "err").map((l) => l.message)).toEqual([
      "upssched: cannot run CMDSCRIPT /nonexistent/cmd: spawn /nonexistent/cmd ENOENT",
    ]);
    sched.stop();
  });
});
