/** `nutguard upssched -l` reading the monitor's timer state file, as a user runs it (the built bin). */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TimerState } from "../../src/upssched/runner.js";
import { runOurs } from "./run-tool.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-upssched-l-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (state: Partial<TimerState>) =>
  writeFile(join(dir, "upssched-timers.json"), JSON.stringify(state));
const dueMs = 4_102_444_800_000; // 2100-01-01: far enough that "seconds left" is large and positive

describe("nutguard upssched -l", () => {
  it("lists the running timers in upssched -l's format", async () => {
    await write({
      pid: process.pid,
      writtenMs: 0,
      conf: "/etc/nut/upssched.conf",
      timers: [
        {
          name: "onbatt",
          startedMs: 0,
          dueMs,
          types: ["ONBATT"],
          upsNames: ["rack@localhost"],
          messages: ["UPS rack@localhost on battery"],
        },
        {
          name: "grp",
          startedMs: 0,
          dueMs,
          types: ["ONBATT", "ONBATT"],
          upsNames: ["a@h", "b@h"],
          messages: ["m1", "m2"],
        },
      ],
    });
    const r = await runOurs("upssched", ["-l"], { env: { NUT_PIDPATH: dir } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.map((l) => l.split("\t").filter((_, i) => i !== 2))).toEqual([
      ["onbatt", "4102444800", "ONBATT", "rack@localhost", "UPS rack@localhost on battery"],
      ["grp", "4102444800", "ONBATT,ONBATT", "a@h,b@h", "m1.", "m2"],
      ["END LIST TIMERS"],
    ]);
    expect(Number(lines[0]!.split("\t")[2])).toBeGreaterThan(1_000_000);
  });

  it("no state file: says the built-in upssched is not running, exit 1", async () => {
    const r = await runOurs("upssched", ["-l"], { env: { NUT_PIDPATH: join(dir, "none") } });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe(
      `nutguard upssched: no timers: the monitor's built-in upssched is not running (no ${join(dir, "none", "upssched-timers.json")})\n`,
    );
  });

  it("a file left by a monitor that is gone is stale, exit 1", async () => {
    const gone = spawnSync("true").pid!;
    await write({ pid: gone, writtenMs: 0, conf: "x", timers: [] });
    const r = await runOurs("upssched", ["-l"], { env: { NUT_PIDPATH: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`is stale: the monitor that wrote it (PID ${gone}) is gone`);
  });

  it("usage error exit 2", async () => {
    const r = await runOurs("upssched", ["-x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: nutguard upssched -l/);
  });
});
