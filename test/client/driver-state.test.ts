// ERR replies that depend on the driver behind upsd: DRIVER-NOT-CONNECTED (driver stopped),
// DATA-STALE (driver frozen longer than MAXAGE), and INVALID-VALUE / ENUM / RANGE (a scripted driver,
// since dummy-ups cannot declare enumerated or ranged variables). All against a real upsd 2.8.0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/index.js";
import { DataStaleError, DriverNotConnectedError, InvalidValueError } from "../../src/protocol/errors.js";
import { type FakeDriver, startFakeDriver } from "../helpers/fake-driver.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";

let stack: NutStack;
let driver: FakeDriver;
let c: NutClient;

beforeAll(async () => {
  stack = await startNutStack({
    devices: {
      dummy: { dev: "ups.status: OL\n" },
      scripted: { driver: "none", desc: "scripted driver" },
    },
    upsdConf: ["MAXAGE 3"],
  });
  driver = await startFakeDriver(
    stack.driverSocketPath("scripted"),
    {
      "ups.status": { value: "OL" },
      "input.sensitivity": { value: "normal", rw: true, maxLength: 10, enum: ["low", "normal", "high"] },
      "ups.delay.shutdown": { value: "20", rw: true, range: [[10, 120]] },
    },
    ["test.battery.start"],
  );
  c = await NutClient.connect({ host: stack.host, port: stack.port });
  await c.username(stack.users.admin.user);
  await c.password(stack.users.admin.pass);
  await stack.waitFor(
    async () => (await stack.query("GET VAR scripted ups.status")) === 'VAR scripted ups.status "OL"',
  );
});
afterAll(async () => {
  await c?.close();
  await driver?.close();
  await stack?.stop();
});

describe("enumerated and ranged variables", () => {
  it("LIST ENUM, LIST RANGE and GET TYPE show them", async () => {
    expect(await c.listEnum("scripted", "input.sensitivity")).toEqual(["low", "normal", "high"]);
    expect(await c.listRange("scripted", "ups.delay.shutdown")).toEqual([{ min: 10, max: 120 }]);
    expect((await c.getType("scripted", "input.sensitivity")).flags).toEqual(["RW", "ENUM", "STRING:10"]);
    expect((await c.getType("scripted", "ups.delay.shutdown")).flags).toEqual(["RW", "RANGE", "NUMBER"]);
  });

  it("SET VAR outside the enum or range gives INVALID-VALUE; a valid value is forwarded", async () => {
    const e1 = await c.setVar("scripted", "input.sensitivity", "medium").catch((e) => e);
    expect(e1).toBeInstanceOf(InvalidValueError);
    expect(e1.message).toBe("Invalid value for variable");
    expect(await c.setVar("scripted", "ups.delay.shutdown", "500").catch((e) => e)).toBeInstanceOf(
      InvalidValueError,
    );
    await c.setVar("scripted", "input.sensitivity", "high");
    await stack.waitFor(async () =>
      driver.received.some((w) => w.join(" ").startsWith("SET input.sensitivity high")),
    );
  });
});

describe("driver state", () => {
  it("a stopped driver gives DRIVER-NOT-CONNECTED, and the UPS comes back when it restarts", async () => {
    await stack.stopDriver("dummy");
    await stack.waitFor(async () => (await c.getVar("dummy", "ups.status").catch((e) => e)) instanceof Error);
    const err = await c.getVar("dummy", "ups.status").catch((e) => e);
    expect(err).toBeInstanceOf(DriverNotConnectedError);
    expect(err.message).toBe("Driver not connected");
    expect(await c.listVar("dummy").catch((e) => e)).toBeInstanceOf(DriverNotConnectedError);
    expect(await c.instcmd("dummy", "load.off").catch((e) => e)).toBeInstanceOf(DriverNotConnectedError);
    // upsd 2.8.0 also refuses NUMLOGINS without a driver (observed); LIST CLIENT still works
    expect(await c.getNumLogins("dummy").catch((e) => e)).toBeInstanceOf(DriverNotConnectedError);
    expect(await c.listClient("dummy")).toEqual([]);
    await stack.startDriver("dummy");
    expect(await c.getVar("dummy", "ups.status")).toBe("OL");
  });

  it("a driver frozen longer than MAXAGE gives DATA-STALE until it resumes", async () => {
    await stack.pauseDriver("dummy");
    try {
      await stack.waitFor(
        async () => (await c.getVar("dummy", "ups.status").catch((e) => e)) instanceof DataStaleError,
        20_000,
      );
      const err = await c.listCmd("dummy").catch((e) => e);
      expect(err).toBeInstanceOf(DataStaleError);
      expect(err.message).toBe("Data stale");
    } finally {
      await stack.resumeDriver("dummy");
    }
    await stack.waitFor(async () => (await c.getVar("dummy", "ups.status").catch(() => "")) === "OL", 20_000);
  });
});
