/**
 * Differential test of the built-in upssched: the same upssched.conf and a recording CMDSCRIPT under
 * Debian's real upsmon 2.8.0 + upssched and under nutguard's monitor, watching the same three dummy-ups
 * UPSes through one real upsd, through the same event sequences:
 *   a: a short outage (2 s, the 8 s timer is cancelled), then a long one (the timer fires; the ONLINE
 *      after it finds nothing to cancel and runs CANCEL-TIMER's command);
 *   b + c: both on battery at once, each starting a timer of the same name (both fire).
 * Compared: the CMDSCRIPT calls (their arguments). Not compared, because 2.8.0 and 2.8.5 differ: the
 * environment of runs made by 2.8.0's timer daemon (a fired timer, a CANCEL-TIMER command): it keeps
 * the environment of whichever event started the daemon (observed: UPSNAME of UPS b on a's "online-a"
 * when the daemon outlived one sequence), where 2.8.5 and nutguard pass each run's own (checked for
 * nutguard here); and
 * CANCEL-TIMER with several timers of one name (2.8.0 cancels the first, 2.8.5 and nutguard all).
 * Outages are kept well clear of 2.8.0's 4–6 s lateness (beyond.md §7): 2 s against 8 s timers, and
 * waits of 16 s for a timer to fire.
 */
import { chmod, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nutUser } from "../helpers/nut-process.js";
import { type NutStack, startNutStack, type UpsmonInstance } from "../helpers/nut-stack.js";
import {
  type NutguardMonitor,
  readLines,
  setUpsStatus,
  startNutguardMonitor,
} from "../helpers/nutguard-monitor.js";

const OL_DEV = "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 3600\n";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function upsschedConf(cmdScript: string, runDir: string, sys: (ups: string) => string): string {
  return [
    `CMDSCRIPT ${cmdScript}`,
    `PIPEFN ${runDir}/upssched.pipe`,
    `LOCKFN ${runDir}/upssched.lock`,
    `AT ONBATT ${sys("a")} START-TIMER onbatt-a 8`,
    `AT ONLINE ${sys("a")} CANCEL-TIMER onbatt-a online-a`,
    `AT ONBATT ${sys("b")} START-TIMER grid 8`,
    `AT ONBATT ${sys("c")} START-TIMER grid 8`,
    "",
  ].join("\n");
}

const recorder = (log: string) =>
  `#!/bin/sh\necho "$1 UPSNAME=$UPSNAME NOTIFYTYPE=$NOTIFYTYPE" >> "${log}"\n`;

let stack: NutStack;
let nut: UpsmonInstance;
let ours: NutguardMonitor;
let scratch: string;
let nutCalls: string;
let ourCalls: string;
const sys = (ups: string) => `${ups}@127.0.0.1:${stack.port}`;

beforeAll(async () => {
  stack = await startNutStack({ devices: { a: { dev: OL_DEV }, b: { dev: OL_DEV }, c: { dev: OL_DEV } } });
  const { primary, secondary } = stack.users;
  nut = await stack.startUpsmon({
    role: "primary",
    system: sys("a"),
    extraConfig: [
      `MONITOR ${sys("b")} 1 ${primary.user} ${primary.pass} primary`,
      `MONITOR ${sys("c")} 1 ${primary.user} ${primary.pass} primary`,
      "NOTIFYCMD /usr/sbin/upssched",
    ],
  });
  // upssched (run by upsmon's unprivileged child, as nut) reads $NUT_CONFPATH/upssched.conf per event
  const { gid } = nutUser();
  nutCalls = join(nut.dir, "out", "upssched-calls.log");
  const nutScript = join(nut.dir, "out", "upssched-cmd");
  await writeFile(nutScript, recorder(nutCalls), { mode: 0o755 });
  const nutConf = join(nut.dir, "etc", "upssched.conf");
  await writeFile(nutConf, upsschedConf(nutScript, join(nut.dir, "run"), sys));
  await chown(nutConf, 0, gid);
  await chmod(nutConf, 0o640);

  scratch = await mkdtemp(join(tmpdir(), "nutguard-upssched-diff-"));
  ourCalls = join(scratch, "calls.log");
  const ourScript = join(scratch, "upssched-cmd");
  await writeFile(ourScript, recorder(ourCalls), { mode: 0o755 });
  ours = await startNutguardMonitor(stack, {
    role: "secondary",
    monitors: ["a", "b", "c"].map((u) => `MONITOR ${sys(u)} 1 ${secondary.user} ${secondary.pass} secondary`),
    extraConfig: ["NOTIFYCMD /usr/sbin/upssched"],
    files: { "upssched.conf": upsschedConf(ourScript, join(scratch, "run-unused"), sys) },
  });
  await sleep(3000); // both see every UPS online (the first OL is silent)
}, 60_000);

afterAll(async () => {
  await ours?.stop();
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("built-in upssched against Debian's upsmon 2.8.0 + upssched", () => {
  it("same CMDSCRIPT calls through a short outage, a long one, and two UPSes starting one timer name", async () => {
    // a: short outage, the timer is cancelled
    await setUpsStatus(stack, "a", "OB DISCHRG");
    await sleep(2000);
    await setUpsStatus(stack, "a", "OL");
    await sleep(10_000); // past the 8 s timer: nothing may fire
    // a: long outage, the timer fires; ONLINE then finds nothing to cancel and runs "online-a"
    await setUpsStatus(stack, "a", "OB DISCHRG");
    await sleep(16_000);
    await setUpsStatus(stack, "a", "OL");
    // b + c together: two timers named "grid", both fire
    await setUpsStatus(stack, "b", "OB DISCHRG");
    await setUpsStatus(stack, "c", "OB DISCHRG");
    await sleep(17_000);

    const nutLines = readLines(nutCalls);
    const ourLines = readLines(ourCalls);
    const forA = (lines: string[]) => lines.filter((l) => /^(onbatt|online)-a /.test(l));
    const args = (lines: string[]) => lines.map((l) => l.split(" ")[0]).sort();
    expect(args(forA(nutLines))).toEqual(["onbatt-a", "online-a"]);
    expect(args(nutLines)).toEqual(["grid", "grid", "onbatt-a", "online-a"]);
    expect(args(ourLines)).toEqual(args(nutLines));
    expect(forA(ourLines)).toEqual([
      `onbatt-a UPSNAME=${sys("a")} NOTIFYTYPE=ONBATT`,
      `online-a UPSNAME=${sys("a")} NOTIFYTYPE=ONLINE`,
    ]);
    expect(
      ourLines
        .filter((l) => l.startsWith("grid"))
        .map((l) => l.split(" ")[1])
        .sort(),
    ).toEqual([`UPSNAME=${sys("b")}`, `UPSNAME=${sys("c")}`]);
  }, 120_000);
});
