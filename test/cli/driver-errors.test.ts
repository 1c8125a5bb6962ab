/**
 * Golden tests for a UPS whose driver is stopped, then stalled past MAXAGE: NUT's upscmd and upsrw
 * against `nutguard upscmd` / `nutguard upsrw` (upsc's cases are in upsc.test.ts), listing and acting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { runBoth } from "./run-tool.js";

let stack: NutStack;
let victim: string;
let admin: string[];

beforeAll(async () => {
  stack = await startNutStack({
    devices: {
      dummy: DEFAULT_DEVICES.dummy!,
      victim: { dev: "ups.status: OL\nups.load: 10\n", desc: "victim" },
    },
    upsdConf: ["MAXAGE 5"],
  });
  victim = `victim@127.0.0.1:${stack.port}`;
  admin = ["-u", stack.users.admin.user, "-p", stack.users.admin.pass];
});

afterAll(async () => {
  await stack?.stop();
});

/** Each tool, listing and acting, must print what NUT prints; returns the error lines seen. */
async function allFourAgree(): Promise<string[][]> {
  const cases: Array<[string, string[]]> = [
    ["upscmd", ["-l", victim]],
    ["upscmd", [...admin, victim, "load.off"]],
    ["upsrw", [victim]],
    ["upsrw", ["-s", "ups.load=5", ...admin, victim]],
  ];
  const errors: string[][] = [];
  for (const [tool, args] of cases) {
    const { nut, ours } = await runBoth(tool, args);
    expect(ours).toEqual(nut);
    errors.push(ours.errors);
  }
  return errors;
}

describe("upscmd and upsrw with a broken driver", () => {
  it("driver stopped", async () => {
    await stack.stopDriver("victim");
    await stack.waitFor(async () => (await stack.query("LIST RW victim")) === "ERR DRIVER-NOT-CONNECTED");
    expect(await allFourAgree()).toEqual([
      ["Error: Driver not connected"],
      ["Unexpected response from upsd: ERR DRIVER-NOT-CONNECTED"],
      ["Error: Driver not connected"],
      ["Unexpected response from upsd: ERR DRIVER-NOT-CONNECTED"],
    ]);
  });

  it("data stale", async () => {
    await stack.startDriver("victim");
    await stack.pauseDriver("victim");
    try {
      await stack.waitFor(async () => (await stack.query("LIST RW victim")) === "ERR DATA-STALE", 20_000);
      expect(await allFourAgree()).toEqual([
        ["Error: Data stale"],
        ["Unexpected response from upsd: ERR DATA-STALE"],
        ["Error: Data stale"],
        ["Unexpected response from upsd: ERR DATA-STALE"],
      ]);
    } finally {
      await stack.resumeDriver("victim");
    }
  });
});
