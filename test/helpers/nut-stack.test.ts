import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NutStack, queryOnce, startNutStack } from "./nut-stack.js";

describe("nut-stack: a private real NUT stack", () => {
  let stack: NutStack;
  beforeAll(async () => {
    stack = await startNutStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("serves the default devices on 127.0.0.1 at its own port", async () => {
    expect(await stack.query("NETVER")).toBe("1.3");
    expect(await stack.query("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
    expect(await stack.query("GET VAR quirky device.description")).toBe(
      'VAR quirky device.description "Rack \\"A\\"  slot \\#3 \\\\ left"',
    );
    expect(await stack.query("GET UPSDESC quirky")).toBe(
      'UPSDESC quirky "values with \\"quotes\\", \\\\ and spaces"',
    );
    expect(stack.devicePath("seq")).toMatch(/seq\.seq$/);
  });

  it("stops and restarts a driver mid-test", async () => {
    await stack.stopDriver("dummy");
    await stack.waitFor(
      async () => (await stack.query("GET VAR dummy ups.status")) === "ERR DRIVER-NOT-CONNECTED",
    );
    await stack.startDriver("dummy");
    expect(await stack.query("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("restarts upsd on the same port", async () => {
    const port = stack.port;
    await stack.restartUpsd();
    expect(stack.port).toBe(port);
    expect(await stack.query("GET VAR seq ups.mfr")).toBe('VAR seq ups.mfr "Dummy Manufacturer"');
  });

  it("runs a real upsmon secondary in its own mount namespace", async () => {
    const mon = await stack.startUpsmon({ role: "secondary", system: `dummy@127.0.0.1:${stack.port}` });
    await stack.waitFor(async () => (await stack.query("GET NUMLOGINS dummy")) === "NUMLOGINS dummy 1");
    expect(existsSync(`${mon.dir}/run/upsmon.pid`)).toBe(true);
    await mon.stop();
    await stack.waitFor(async () => (await stack.query("GET NUMLOGINS dummy")) === "NUMLOGINS dummy 0");
    expect(readFileSync(mon.log, "utf8")).toContain("UPS: dummy@127.0.0.1");
  });
});

describe("nut-stack: cleanup", () => {
  it("stops every process it started and removes its directory", async () => {
    const stack = await startNutStack({ devices: { one: { dev: "ups.status: OB LB\n", desc: "one" } } });
    const port = stack.port;
    expect(await stack.query("GET VAR one ups.status")).toBe('VAR one ups.status "OB LB"');
    await stack.stop();
    expect(existsSync(stack.dir)).toBe(false);
    await expect(queryOnce(port, "VER")).rejects.toThrow();
  });
});

describe("nut-stack: a real upsmon primary", () => {
  it("sees OB LB, sets FSD and runs the SHUTDOWNCMD stand-in, logging notifications", async () => {
    const stack = await startNutStack({
      devices: { seq: { seq: "ups.status: OL\nTIMER 2\nups.status: OB LB DISCHRG\nTIMER 60\n" } },
    });
    try {
      const mon = await stack.startUpsmon({ role: "primary", hostsyncSec: 1 });
      // with FINALDELAY 0 the SHUTDOWN notification (a forked NOTIFYCMD) races SHUTDOWNCMD: wait for both
      await stack.waitFor(
        async () =>
          existsSync(mon.shutdownLog) &&
          existsSync(mon.notifyLog) &&
          readFileSync(mon.notifyLog, "utf8").includes("NOTIFYTYPE=SHUTDOWN"),
        30_000,
      );
      expect(readFileSync(mon.shutdownLog, "utf8")).toMatch(/SHUTDOWNCMD uid=0/);
      expect(await stack.query("GET VAR seq ups.status")).toBe('VAR seq ups.status "FSD OB LB DISCHRG"');
      const notify = readFileSync(mon.notifyLog, "utf8");
      expect(notify).toMatch(/NOTIFYTYPE=LOWBATT UPSNAME=seq@127\.0\.0\.1/);
      expect(notify).toMatch(/NOTIFYTYPE=SHUTDOWN/);
    } finally {
      await stack.stop();
    }
  });
});
