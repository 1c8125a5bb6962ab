/**
 * Golden tests: NUT's /usr/bin/upsrw and `nutguard upsrw` against the same real upsd + dummy-ups.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, freePort, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { runBoth, runOurs } from "./run-tool.js";

let stack: NutStack;
let ups: (name: string) => string;
let admin: string[];

beforeAll(async () => {
  stack = await startNutStack({
    devices: {
      ...DEFAULT_DEVICES,
      victim: { dev: "ups.status: OL\nups.load: 10\n", desc: "target of SETs" },
    },
  });
  ups = (name) => `${name}@127.0.0.1:${stack.port}`;
  admin = ["-u", stack.users.admin.user, "-p", stack.users.admin.pass];
});

afterAll(async () => {
  await stack?.stop();
});

async function expectSame(args: string[], stdin?: string) {
  const { nut, ours } = await runBoth("upsrw", args, { stdin });
  expect(ours).toEqual(nut);
  return ours;
}

describe("upsrw matches NUT's upsrw", () => {
  it("lists writable variables with description, type and value", async () => {
    const r = await expectSame([ups("dummy")]);
    expect(r.stdout).toContain("[ups.status]\nUPS status\nType: STRING\nMaximum length: 32\nValue: OL\n\n");
    await expectSame([ups("quirky")]);
    await expectSame(["-l", ups("dummy")]);
  });

  it("sets a variable (OK) and tracks a set with -w (SUCCESS)", async () => {
    expect(await expectSame(["-s", "ups.load=42", ...admin, ups("victim")])).toEqual({
      stdout: "",
      errors: ["OK"],
      code: 0,
    });
    expect((await expectSame(["-w", "-s", "ups.load=33", ...admin, ups("victim")])).errors).toEqual([
      "SUCCESS",
    ]);
  });

  it("reports refusals with the raw reply, exit 1", async () => {
    expect(
      (await expectSame(["-s", "ups.load=43", "-u", "admin", "-p", "wrongpass", ups("dummy")])).errors,
    ).toEqual(["Unexpected response from upsd: ERR ACCESS-DENIED"]);
    const { user, pass } = stack.users.primary;
    expect((await expectSame(["-s", "ups.load=44", "-u", user, "-p", pass, ups("dummy")])).errors).toEqual([
      "Unexpected response from upsd: ERR ACCESS-DENIED",
    ]);
    expect((await expectSame(["-s", "no.such=1", ...admin, ups("dummy")])).errors).toEqual([
      "Unexpected response from upsd: ERR VAR-NOT-SUPPORTED",
    ]);
    expect((await expectSame(["-s", "oldstyle=1", ...admin, ups("dummy")])).errors).toEqual([
      "Error: old variable names are not supported",
    ]);
    expect((await expectSame([ups("nosuch")])).errors).toEqual(["Error: Unknown UPS"]);
  });

  it("reports an unreachable server", async () => {
    const closed = await freePort();
    expect((await expectSame([`dummy@127.0.0.1:${closed}`])).errors).toEqual([
      "Error: Connection failure: Connection refused",
    ]);
  });

  it("prompts for a value with -s VAR and sends it quoted, spaces intact", async () => {
    const r = await runOurs("upsrw", ["-s", "device.contact", ...admin, ups("quirky")], {
      stdin: "two  words here\n",
    });
    expect(r).toMatchObject({ stdout: "Enter new value for device.contact: ", stderr: "OK\n", code: 0 });
    await stack.waitFor(
      async () =>
        (await stack.query("GET VAR quirky device.contact")) ===
        'VAR quirky device.contact "two  words here"',
    );
  });

  it("fails at end of input instead of sending garbage (NUT sends an uninitialised buffer)", async () => {
    const r = await runOurs("upsrw", ["-s", "ups.load", ...admin, ups("dummy")], { stdin: "" });
    expect(r).toMatchObject({ stderr: "Error: no value given (end of input)\n", code: 1 });
  });
});
