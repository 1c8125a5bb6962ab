/**
 * The real path (Nutify's lesson: a test message that works proves nothing about real events):
 * `nutguard monitor -p` against a real upsd + dummy-ups, with nutguard.conf beside upsmon.conf.
 * A status change at upsd reaches the webhook with what the monitor polled; NOTIFYCMD naming
 * upssched runs upssched.conf's timers inside the monitor, listed by `nutguard upssched -l`;
 * a threshold from nutguard.conf shuts the host down with its reason.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runOurs } from "../cli/run-tool.js";
import { type HttpReceiver, startHttpReceiver } from "../helpers/http-receiver.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import {
  type NutguardMonitor,
  readLines,
  setUpsStatus,
  startNutguardMonitor,
} from "../helpers/nutguard-monitor.js";

const DEV = "ups.status: OL\nbattery.charge: 97\nbattery.runtime: 2400\nups.load: 30\n";

let stack: NutStack | undefined;
let receiver: HttpReceiver | undefined;
let monitor: NutguardMonitor | undefined;
let scratch: string | undefined;
afterEach(async () => {
  await monitor?.stop();
  await receiver?.close();
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
  monitor = stack = receiver = scratch = undefined;
});

describe("notifications, upssched and thresholds through nutguard monitor -p", () => {
  it("ONBATT at upsd reaches the webhook with status, charge and runtime as polled", async () => {
    stack = await startNutStack({ devices: { ups: { dev: DEV } } });
    receiver = await startHttpReceiver();
    monitor = await startNutguardMonitor(stack, {
      role: "secondary",
      files: {
        "nutguard.conf": `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\nevents = ONBATT ONLINE\n`,
      },
    });
    const sys = `ups@127.0.0.1:${stack.port}`;
    await stack.waitFor(async () => (await stack!.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 1");
    await setUpsStatus(stack, "ups", "OB DISCHRG");
    const [req] = await receiver.waitFor(1);
    expect(JSON.parse(req!.body)).toMatchObject({
      event: "ONBATT",
      ups: sys,
      status: "OB DISCHRG",
      charge: 97,
      runtime: 2400,
      message: expect.stringMatching(
        new RegExp(
          `^UPS ${sys.replace(/\./g, "\\.")} on battery \\(status OB DISCHRG, charge 97 %, runtime 2400 s\\) on `,
        ),
      ),
    });
    await setUpsStatus(stack, "ups", "OL");
    const reqs = await receiver.waitFor(2);
    expect(JSON.parse(reqs[1]!.body)).toMatchObject({ event: "ONLINE", ups: sys, status: "OL" });
  });

  it("-C names another nutguard.conf: its channel is the one used, not the file beside upsmon.conf", async () => {
    stack = await startNutStack({ devices: { ups: { dev: DEV } } });
    receiver = await startHttpReceiver();
    const beside = await startHttpReceiver();
    try {
      scratch = await mkdtemp(join(tmpdir(), "ng-conf-c-"));
      const other = join(scratch, "other-nutguard.conf");
      await writeFile(other, `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\nevents = ONBATT\n`);
      monitor = await startNutguardMonitor(stack, {
        role: "secondary",
        args: ["-p", "-D", "-C", other],
        files: { "nutguard.conf": `[beside]\ntype = webhook\nurl = ${beside.url}/hook\nevents = ONBATT\n` },
      });
      await stack.waitFor(async () => (await stack!.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 1");
      await setUpsStatus(stack, "ups", "OB DISCHRG");
      const [req] = await receiver.waitFor(1);
      expect(JSON.parse(req!.body)).toMatchObject({ event: "ONBATT", status: "OB DISCHRG" });
      expect(beside.requests).toEqual([]);
    } finally {
      await beside.close();
    }
  });

  it("NOTIFYCMD naming upssched: the timer runs in the monitor, upssched -l lists it, CMDSCRIPT fires", async () => {
    stack = await startNutStack({ devices: { ups: { dev: DEV } } });
    scratch = await mkdtemp(join(tmpdir(), "nutguard-path-"));
    const calls = join(scratch, "calls");
    await writeFile(join(scratch, "cmd"), `#!/bin/sh\necho "$1 $UPSNAME $NOTIFYTYPE" >> "${calls}"\n`, {
      mode: 0o755,
    });
    monitor = await startNutguardMonitor(stack, {
      role: "secondary",
      extraConfig: ["NOTIFYCMD /usr/sbin/upssched"],
      files: {
        "upssched.conf": `CMDSCRIPT ${scratch}/cmd\nPIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\nAT ONBATT * START-TIMER onbatt 4\nAT ONBATT * START-TIMER later 600\n`,
      },
    });
    const sys = `ups@127.0.0.1:${stack.port}`;
    await stack.waitFor(async () => (await stack!.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 1");
    await setUpsStatus(stack, "ups", "OB DISCHRG");
    await stack.waitFor(async () => readLines(calls).length > 0, 15_000);
    expect(readLines(calls)).toEqual([`onbatt ${sys} ONBATT`]);
    const list = await runOurs("upssched", ["-l"], { env: { NUT_PIDPATH: monitor.dir } });
    expect(list.code).toBe(0);
    const lines = list.stdout.split("\n").filter(Boolean);
    expect(lines.map((l) => l.split("\t")).map((f) => [f[0], f[3], f[4]])).toEqual([
      ["later", "ONBATT", sys],
      ["END LIST TIMERS", undefined, undefined],
    ]);
    expect(readLines(monitor.log).join("\n")).toContain("NOTIFYCMD names upssched: running the timers of");
  });

  it("a runtime threshold shuts a primary down with its reason while upsmon's rules see no LB", async () => {
    stack = await startNutStack({ devices: { ups: { dev: DEV } } });
    monitor = await startNutguardMonitor(stack, {
      role: "primary",
      files: { "nutguard.conf": "[thresholds]\nruntime = 600\n" },
    });
    await stack.waitFor(async () => (await stack!.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 1");
    await setUpsStatus(stack, "ups", "OB DISCHRG");
    await new Promise((r) => setTimeout(r, 2500));
    expect(monitor.shutdowns()).toEqual([]);
    const c = await import("../../src/client/index.js");
    const client = await c.NutClient.connect({ host: stack.host, port: stack.port });
    await client.username(stack.users.admin.user);
    await client.password(stack.users.admin.pass);
    await client.setVar("ups", "battery.runtime", "500");
    await client.close();
    expect(await monitor.exited).toBe(0);
    expect(monitor.shutdowns()).toHaveLength(1);
    expect(await stack.query("GET VAR ups ups.status")).toBe('VAR ups ups.status "FSD OB DISCHRG"');
    expect(readLines(monitor.log).join("\n")).toMatch(
      /battery\.runtime 500 s is at or below the threshold of 600 s/,
    );
  });
});
