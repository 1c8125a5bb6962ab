/**
 * nutguard monitor -p against real upsd + dummy-ups (Debian's NUT 2.8.0): a primary on its own,
 * and with power values. Status changes come from SET VAR as admin.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type NutguardMonitor, setUpsStatus, startNutguardMonitor } from "../helpers/nutguard-monitor.js";

const OL_DEV = "ups.mfr: Test\nups.model: Test\nups.status: OL\nbattery.charge: 100\n";

let stack: NutStack | undefined;
let monitors: NutguardMonitor[] = [];
afterEach(async () => {
  for (const m of monitors) await m.stop();
  monitors = [];
  await stack?.stop();
  stack = undefined;
});

async function waitForEvent(s: NutStack, m: NutguardMonitor, type: string, timeoutMs = 15_000) {
  await s.waitFor(async () => m.events().some((e) => e.startsWith(`${type} `)), timeoutMs);
}

describe("interop: nutguard primary with real upsd", () => {
  it("OL → OB → OB LB: events in order, FSD set at upsd, SHUTDOWNCMD once, POWERDOWNFLAG written", async () => {
    stack = await startNutStack({ devices: { ups: { dev: OL_DEV, desc: "test" } } });
    const s = stack;
    const m = await startNutguardMonitor(s, { role: "primary" });
    monitors.push(m);
    const sys = `ups@127.0.0.1:${s.port}`;
    // logged in (NUMLOGINS counts us) before anything happens
    await s.waitFor(async () => (await s.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 1");
    await setUpsStatus(s, "ups", "OB DISCHRG");
    await waitForEvent(s, m, "ONBATT");
    await setUpsStatus(s, "ups", "OB LB DISCHRG");
    expect(await m.exited).toBe(0);
    // in order (the monitor's own log), and each delivered to NOTIFYCMD (children run concurrently)
    expect(m.notices()).toEqual([
      `UPS ${sys} on battery`,
      `UPS ${sys} battery is low`,
      `UPS ${sys}: forced shutdown in progress`,
      "Auto logout and shutdown proceeding",
    ]);
    expect(m.events().sort()).toEqual([
      `FSD ${sys} UPS ${sys}: forced shutdown in progress`,
      `LOWBATT ${sys} UPS ${sys} battery is low`,
      `ONBATT ${sys} UPS ${sys} on battery`,
      "SHUTDOWN Auto logout and shutdown proceeding",
    ]);
    expect(await s.query("GET VAR ups ups.status")).toBe('VAR ups ups.status "FSD OB LB DISCHRG"');
    expect(m.shutdowns()).toHaveLength(1);
    expect(readFileSync(m.flagPath, "latin1")).toBe("upsmon-shutdown-file");
    // logged out on exit
    expect(await s.query("GET NUMLOGINS ups")).toBe("NUMLOGINS ups 0");
  });

  it("two UPSes, power values 2 and 1, MINSUPPLIES 2: losing beta keeps running, losing alpha shuts down", async () => {
    stack = await startNutStack({
      devices: { alpha: { dev: OL_DEV, desc: "alpha" }, beta: { dev: OL_DEV, desc: "beta" } },
    });
    const s = stack;
    const p = s.users.primary;
    const m = await startNutguardMonitor(s, {
      role: "primary",
      monitors: [
        `MONITOR alpha@127.0.0.1:${s.port} 2 ${p.user} ${p.pass} primary`,
        `MONITOR beta@127.0.0.1:${s.port} 1 ${p.user} ${p.pass} primary`,
      ],
      extraConfig: ["MINSUPPLIES 2"],
    });
    monitors.push(m);
    await s.waitFor(async () => (await s.query("GET NUMLOGINS beta")) === "NUMLOGINS beta 1");
    await setUpsStatus(s, "beta", "OB LB");
    await waitForEvent(s, m, "LOWBATT");
    // three more poll rounds: still no shutdown
    await new Promise((r) => setTimeout(r, 3000));
    expect(m.shutdowns()).toEqual([]);
    expect(await s.query("GET VAR beta ups.status")).toBe('VAR beta ups.status "OB LB"');
    await setUpsStatus(s, "alpha", "OB LB");
    expect(await m.exited).toBe(0);
    expect(m.shutdowns()).toHaveLength(1);
    // FSD is set on every UPS this host is primary for
    expect(await s.query("GET VAR alpha ups.status")).toBe('VAR alpha ups.status "FSD OB LB"');
    expect(await s.query("GET VAR beta ups.status")).toBe('VAR beta ups.status "FSD OB LB"');
    expect(readFileSync(m.log, "utf8")).toContain(
      "Too few UPS(es) are healthy (0<2), initiating forced shutdown",
    );
  });
});
