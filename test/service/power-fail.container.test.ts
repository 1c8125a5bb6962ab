// Under a real systemd: a power failure end to end, and a host without /run/nut.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bootContainer, type Container, waitFor } from "../helpers/container.js";
import { setUpsVar } from "../helpers/container-nut.js";
import {
  bootWithNutguard,
  expectNoBadLines,
  pidFileContent,
  UNIT,
  unitProcesses,
  upsmonConf,
  waitActive,
} from "./unit-scenarios.js";

describe("power failure under systemd (Type=notify)", () => {
  let ct: Container;
  beforeAll(async () => {
    ct = await bootWithNutguard("notify", ["dummy"]);
  });
  afterAll(async () => {
    await ct?.destroy();
  });

  it("OB LB: SHUTDOWNCMD runs as root exactly once while the monitor runs as nut; the unit ends cleanly", async () => {
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "start", UNIT]);
    await waitActive(ct);
    const users = (await unitProcesses(ct)).map((p) => p.user).sort();
    expect(users).toEqual(["nut", "root"]);

    await setUpsVar(ct, "dummy", "ups.status", "OB LB");
    await waitFor(
      "SHUTDOWNCMD to run",
      async () => (await ct.exec(["cat", "/root/shutdown.log"])).code === 0,
      {
        timeoutMs: 30_000,
      },
    );
    await waitFor(
      "the unit to stop",
      async () => (await ct.show(UNIT, ["ActiveState"])).ActiveState === "inactive",
      {
        timeoutMs: 30_000,
      },
    );
    await new Promise((r) => setTimeout(r, 2000)); // a second run would show up by now (POLLFREQ 1)
    expect(await ct.readFile("/root/shutdown.log")).toBe("uid=0\n");
    expect(await ct.readFile("/etc/killpower")).toBe("upsmon-shutdown-file");
    expect((await ct.exec(["nutguard", "monitor", "-K"])).code).toBe(0);
    const s = await ct.show(UNIT, ["Result", "NRestarts"]);
    expect(s).toEqual({ Result: "success", NRestarts: "0" });
    expect(await pidFileContent(ct)).toBe("");
    const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
    expect(journal).not.toMatch(/Refus/);
    expectNoBadLines(journal);
  });
});

describe("a host without /run/nut (nut-client only, upsd elsewhere)", () => {
  let ct: Container | undefined;
  afterEach(async () => {
    await ct?.destroy();
    ct = undefined;
  });

  it("starts cleanly: its own /run/nutguard, no fopen or PID file complaints, /run/nut left alone", async () => {
    ct = await bootContainer();
    await ct.run(["systemctl", "mask", "--now", "nut-monitor.service", "nut-server.service"]);
    await ct.run(["rm", "-rf", "/run/nut", "/run/nutguard"]);
    await ct.writeFile("/etc/nut/upsmon.conf", upsmonConf("dummy"), { mode: "0640", owner: "root:nut" });
    await ct.run(["nutguard", "install-service"]);
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "start", UNIT]);
    const pid = await waitActive(ct);
    expect(await pidFileContent(ct)).toBe(`${pid}\n`);
    expect((await ct.run(["stat", "-c", "%U:%G %a", "/run/nutguard"])).trim()).toBe("root:nut 770");
    expect((await ct.exec(["test", "-e", "/run/nut"])).code).toBe(1);
    const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
    expect(journal).not.toMatch(/\/run\/nut\b/);
    expectNoBadLines(journal);
    await ct.run(["systemctl", "stop", UNIT]);
  });
});
