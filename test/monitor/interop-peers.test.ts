/**
 * nutguard monitor beside a real NUT 2.8.0 upsmon on the same UPS (real upsd + dummy-ups):
 * the primary/secondary shutdown handshake works in both directions, and both keep polling without
 * LOGIN when upsd refuses it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NutSession } from "../../src/client/index.js";
import { type NutStack, startNutStack, type UpsmonInstance } from "../helpers/nut-stack.js";
import { startUpsmonInstance } from "../helpers/nut-upsmon.js";
import {
  eventsOf,
  type NutguardMonitor,
  setUpsStatus,
  shutdownTimes,
  startNutguardMonitor,
} from "../helpers/nutguard-monitor.js";

const OL_DEV = "ups.mfr: Test\nups.model: Test\nups.status: OL\nbattery.charge: 100\n";

let stack: NutStack | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  await stack?.stop();
  stack = undefined;
});

async function freshStack(extraUsers?: string): Promise<NutStack> {
  stack = await startNutStack({
    devices: { ups: { dev: OL_DEV, desc: "test" } },
    ...(extraUsers ? { extraUsers } : {}),
  });
  return stack;
}
async function nutguard(
  s: NutStack,
  o: Parameters<typeof startNutguardMonitor>[1],
): Promise<NutguardMonitor> {
  const m = await startNutguardMonitor(s, o);
  cleanups.push(() => m.stop());
  return m;
}
async function upsmon(s: NutStack, o: Parameters<NutStack["startUpsmon"]>[0]): Promise<UpsmonInstance> {
  const m = await s.startUpsmon(o);
  cleanups.push(() => m.stop());
  return m;
}
const logins = (s: NutStack) => s.query("GET NUMLOGINS ups");

describe("interop: nutguard primary, real upsmon secondary", () => {
  it("waits until the real secondary has shut down and logged out, then shuts down itself", async () => {
    const s = await freshStack();
    const secondary = await upsmon(s, { role: "secondary", hostsyncSec: 60 });
    const primary = await nutguard(s, { role: "primary", hostsyncSec: 30 });
    await s.waitFor(async () => (await logins(s)) === "NUMLOGINS ups 2");
    await setUpsStatus(s, "ups", "OB LB");
    expect(await primary.exited).toBe(0);
    const secondaryShutdowns = shutdownTimes(secondary.shutdownLog);
    expect(secondaryShutdowns).toHaveLength(1);
    expect(primary.shutdowns()).toHaveLength(1);
    expect(secondaryShutdowns[0]!).toBeLessThan(primary.shutdowns()[0]!);
    expect(primary.notices()).toContain(
      "Shutdown initiated; primary system is waiting for secondaries to log out or time out",
    );
    expect(eventsOf(secondary.notifyLog).map((e) => e.split(" ")[0])).toContain("FSD");
  });

  it("shuts down anyway when HOSTSYNC expires and a secondary never logs out", async () => {
    const s = await freshStack();
    const stuck = new NutSession({
      host: s.host,
      port: s.port,
      username: s.users.secondary.user,
      password: s.users.secondary.pass,
      login: "ups",
    });
    stuck.start();
    cleanups.push(() => stuck.close());
    await stuck.whenConnected();
    const primary = await nutguard(s, { role: "primary", hostsyncSec: 2 });
    await s.waitFor(async () => (await logins(s)) === "NUMLOGINS ups 2");
    await setUpsStatus(s, "ups", "OB LB");
    expect(await primary.exited).toBe(0);
    expect(primary.shutdowns()).toHaveLength(1);
    expect(await logins(s)).toBe("NUMLOGINS ups 1"); // the stuck one is still there
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(primary.log, "utf8")).toContain("Host sync timer expired, forcing shutdown");
  });
});

describe("interop: real upsmon primary, nutguard secondary", () => {
  it("sees the primary's FSD and shuts down before the primary does", async () => {
    const s = await freshStack();
    const secondary = await nutguard(s, { role: "secondary", hostsyncSec: 30 });
    const primary = await upsmon(s, { role: "primary", hostsyncSec: 30 });
    await s.waitFor(async () => (await logins(s)) === "NUMLOGINS ups 2");
    await setUpsStatus(s, "ups", "OB LB");
    expect(await secondary.exited).toBe(0);
    await s.waitFor(async () => shutdownTimes(primary.shutdownLog).length === 1);
    expect(secondary.shutdowns()).toHaveLength(1);
    expect(secondary.shutdowns()[0]!).toBeLessThan(shutdownTimes(primary.shutdownLog)[0]!);
    const sys = `ups@127.0.0.1:${s.port}`;
    // OB, LB and FSD may arrive in one poll (the primary can set FSD first), so their order varies
    const notices = secondary.notices();
    expect(notices.slice(0, 3).sort()).toEqual([
      `UPS ${sys} battery is low`,
      `UPS ${sys} on battery`,
      `UPS ${sys}: forced shutdown in progress`,
    ]);
    expect(notices.slice(3)).toEqual(["Auto logout and shutdown proceeding"]);
  });
});

/** A user upsd knows, with a password and no rights at all (no `upsmon` line, no actions). */
const NOBODY = { user: "nobody", pass: "nopass" };

describe("interop: LOGIN refused by real upsd (MONITOR user without an upsmon line)", () => {
  it("nutguard, like upsmon 2.8.0, logs the refusal, keeps polling without LOGIN and shuts down on OB LB", async () => {
    const s = await freshStack(`[${NOBODY.user}]\n\tpassword = ${NOBODY.pass}\n`);
    const sys = `ups@127.0.0.1:${s.port}`;
    const primary = await nutguard(s, { role: "primary", credentials: NOBODY });
    const real = await startUpsmonInstance({
      dir: join(s.dir, "upsmon-nobody"),
      system: sys,
      cred: NOBODY,
      options: { role: "primary" },
      onStop: () => {},
    });
    cleanups.push(() => real.stop());
    const refused = `Login on UPS [${sys}] failed - got [ERR ACCESS-DENIED]`;
    await s.waitFor(async () => readFileSync(real.log, "utf8").includes(refused));
    await s.waitFor(async () => readFileSync(primary.log, "utf8").includes(refused));
    expect(await logins(s)).toBe("NUMLOGINS ups 0"); // neither is counted by upsd
    await setUpsStatus(s, "ups", "OB LB");
    expect(await primary.exited).toBe(0);
    expect(primary.shutdowns()).toHaveLength(1);
    await s.waitFor(async () => shutdownTimes(real.shutdownLog).length === 1);
    const log = readFileSync(primary.log, "utf8");
    expect(log).toContain(
      `UPS [${sys}]: monitoring without LOGIN: this host is not counted in NUMLOGINS and has no primary rights (no PRIMARY without LOGIN)`,
    );
    // FSD needs the upsmon primary right: both log upsd's refusal the same way
    expect(log).toContain(`FSD set on UPS ${sys} failed: ERR ACCESS-DENIED`);
    expect(readFileSync(real.log, "utf8")).toContain(`FSD set on UPS ${sys} failed: ERR ACCESS-DENIED`);
    expect(primary.notices()).toEqual([
      `UPS ${sys} on battery`,
      `UPS ${sys} battery is low`,
      "Auto logout and shutdown proceeding",
    ]);
  });
});
