/**
 * nutguard monitor -p when communication fails (real upsd + dummy-ups): driver stopped while OL or
 * OB, upsd restarted, and `-c fsd` from the command line.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import {
  type NutguardMonitor,
  nutguardBundle,
  setUpsStatus,
  startNutguardMonitor,
} from "../helpers/nutguard-monitor.js";

const OL_DEV = "ups.mfr: Test\nups.model: Test\nups.status: OL\nbattery.charge: 100\n";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: NutStack | undefined;
let monitor: NutguardMonitor | undefined;
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
  await stack?.stop();
  stack = undefined;
});

async function setup(o: Partial<Parameters<typeof startNutguardMonitor>[1]> = {}) {
  stack = await startNutStack({ devices: { ups: { dev: OL_DEV, desc: "test" } } });
  const s = stack;
  monitor = await startNutguardMonitor(s, { role: "primary", ...o });
  await s.waitFor(async () => (await s.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 1");
  return { s, m: monitor, sys: `ups@127.0.0.1:${s.port}` };
}
/** Notices without OTHER/NOTOTHER: upsd may briefly show `WAIT` while a driver goes away or comes back. */
const types = (m: NutguardMonitor) => m.notices().filter((n) => !/unclassified status token/.test(n));

describe("interop: lost communication", () => {
  it("driver stopped while OL: COMMBAD, then NOCOMM, and no shutdown past DEADTIME", async () => {
    const { s, m, sys } = await setup({ deadtimeSec: 2, extraConfig: ["NOCOMMWARNTIME 2"] });
    await s.stopDriver("ups");
    await s.waitFor(async () => types(m).includes(`UPS ${sys} is unavailable`));
    await sleep(3000); // past DEADTIME (2 s) once more
    expect(types(m).slice(0, 2)).toEqual([
      `Communications with UPS ${sys} lost`,
      `UPS ${sys} is unavailable`,
    ]);
    expect(m.shutdowns()).toEqual([]);
    expect(readFileSync(m.log, "utf8")).toContain(`Poll UPS [${sys}] failed - Driver not connected`);
  });

  it("driver stopped while OB: shutdown once DEADTIME has passed", async () => {
    const { s, m, sys } = await setup({ deadtimeSec: 2 });
    await setUpsStatus(s, "ups", "OB DISCHRG");
    await s.waitFor(async () => types(m).includes(`UPS ${sys} on battery`));
    await s.stopDriver("ups");
    expect(await m.exited).toBe(0);
    expect(m.shutdowns()).toHaveLength(1);
    const log = readFileSync(m.log, "utf8");
    expect(log).toContain(`Promoting dead UPS: ${sys}`);
    expect(types(m)).toEqual([
      `UPS ${sys} on battery`,
      `Communications with UPS ${sys} lost`,
      `UPS ${sys}: forced shutdown in progress`,
      "Auto logout and shutdown proceeding",
    ]);
  });

  it("upsd restarted: COMMBAD, then COMMOK with a fresh LOGIN (NUMLOGINS right again)", async () => {
    const { s, m, sys } = await setup();
    await s.stopUpsd();
    await s.waitFor(async () => types(m).includes(`Communications with UPS ${sys} lost`));
    await s.startUpsd();
    await s.waitFor(async () => types(m).includes(`Communications with UPS ${sys} established`));
    expect(await s.query("GET NUMLOGINS ups")).toBe("NUMLOGINS ups 1");
    expect(types(m)).toEqual([
      `Communications with UPS ${sys} lost`,
      `Communications with UPS ${sys} established`,
    ]);
    expect(m.shutdowns()).toEqual([]);
  });
});

describe("interop: the command line", () => {
  it("-c fsd -P <pid> makes a running monitor shut down with the UPS online", async () => {
    const { s, m } = await setup();
    const bundle = await nutguardBundle();
    await promisify(execFile)(process.execPath, [bundle, "monitor", "-c", "fsd", "-P", String(m.pid)]);
    expect(await m.exited).toBe(0);
    expect(m.shutdowns()).toHaveLength(1);
    expect(await s.query("GET VAR ups ups.status")).toBe('VAR ups ups.status "FSD OL"');
    expect(readFileSync(m.log, "utf8")).toContain("Signal 10: User requested FSD");
  });

  it("SIGTERM stops it cleanly: logged out, no shutdown, exit 0", async () => {
    const { s, m } = await setup();
    process.kill(m.pid, "SIGTERM");
    expect(await m.exited).toBe(0);
    expect(readFileSync(m.log, "utf8")).toContain("Signal 15: exiting");
    expect(await s.query("GET NUMLOGINS ups")).toBe("NUMLOGINS ups 0");
    expect(m.shutdowns()).toEqual([]);
  });
});
