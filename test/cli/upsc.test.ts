/**
 * Golden tests: NUT's /usr/bin/upsc and `nutguard upsc` against the same real upsd + dummy-ups,
 * comparing stdout bytes, the error lines and the exit code, for every mode and error.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, freePort, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { NUTGUARD_BIN, observable, runBoth, runCommand, runNut, runOurs } from "./run-tool.js";

let stack: NutStack;
let ups: (name: string) => string;

beforeAll(async () => {
  stack = await startNutStack({
    devices: {
      ...DEFAULT_DEVICES,
      victim: { dev: "ups.status: OL\nbattery.charge: 50\n", desc: "stopped and paused" },
    },
    upsdConf: ["MAXAGE 5"],
  });
  ups = (name) => `${name}@127.0.0.1:${stack.port}`;
});

afterAll(async () => {
  await stack?.stop();
});

async function expectSame(args: string[]) {
  const { nut, ours } = await runBoth("upsc", args);
  expect(ours).toEqual(nut);
  return ours;
}

describe("upsc matches NUT's upsc", () => {
  it("lists all variables of a UPS, values unescaped", async () => {
    const r = await expectSame([ups("dummy")]);
    expect(r.stdout).toContain("ups.status: OL\n");
    await expectSame([ups("quirky")]);
  });

  it("prints one variable, with names in any case", async () => {
    expect((await expectSame([ups("dummy"), "ups.status"])).stdout).toBe("OL\n");
    await expectSame([ups("quirky"), "device.description"]);
    await expectSame([ups("DUMMY"), "UPS.STATUS", "extra", "words"]);
  });

  it("lists UPS names (-l) and descriptions (-L), ignoring extra words", async () => {
    expect((await expectSame(["-l", `127.0.0.1:${stack.port}`])).stdout).toBe(
      `${stack.upsNames.join("\n")}\n`,
    );
    await expectSame(["-L", `127.0.0.1:${stack.port}`, "extra"]);
  });

  it("lists clients (-c), none and one logged in", async () => {
    expect((await expectSame(["-c", ups("dummy")])).stdout).toBe("");
    const sock = net.connect(stack.port, "127.0.0.1");
    try {
      const { user, pass } = stack.users.secondary;
      sock.write(`USERNAME ${user}\nPASSWORD ${pass}\nLOGIN dummy\n`);
      await stack.waitFor(async () => (await stack.query("GET NUMLOGINS dummy")) === "NUMLOGINS dummy 1");
      expect((await expectSame(["-c", ups("dummy")])).stdout).toBe("127.0.0.1\n");
    } finally {
      sock.destroy();
    }
  });

  it("reports an unknown UPS, an unknown variable and an old-style name", async () => {
    expect((await expectSame([ups("nosuch")])).errors).toEqual(["Error: Unknown UPS"]);
    expect((await expectSame([ups("dummy"), "no.such.var"])).errors).toEqual([
      "Error: Variable not supported by UPS",
    ]);
    expect((await expectSame([ups("dummy"), "ups"])).errors).toEqual([
      "Error: old-style variable names are not supported",
    ]);
  });

  it("reports an unreachable server, an unknown host and bad UPS definitions", async () => {
    const closed = await freePort();
    expect((await expectSame(["-l", `127.0.0.1:${closed}`])).errors).toEqual([
      "Error: Connection failure: Connection refused",
    ]);
    expect((await expectSame([`dummy@127.0.0.1:${closed}`, "ups.status"])).code).toBe(1);
    expect((await expectSame(["-l", "nosuchhost.invalid"])).errors).toEqual(["Error: No such host"]);
    expect((await expectSame([])).errors).toEqual([
      "Error: invalid UPS definition.",
      "Required format: upsname[@hostname[:port]]",
    ]);
    await expectSame(["dummy@"]);
    await expectSame(["-l", "127.0.0.1:abc"]);
  });

  it("reports a stopped driver, then stale data", async () => {
    await stack.stopDriver("victim");
    await stack.waitFor(
      async () => (await stack.query("GET VAR victim ups.status")) === "ERR DRIVER-NOT-CONNECTED",
    );
    expect((await expectSame([ups("victim"), "ups.status"])).errors).toEqual(["Error: Driver not connected"]);
    await expectSame([ups("victim")]);
    const json = await runOurs("upsc", ["-j", ups("victim")]);
    expect(json).toMatchObject({ stdout: '{\n  "error": "Driver not connected"\n}\n', code: 1 });

    await stack.startDriver("victim");
    await stack.pauseDriver("victim");
    try {
      await stack.waitFor(
        async () => (await stack.query("GET VAR victim ups.status")) === "ERR DATA-STALE",
        20_000,
      );
      expect((await expectSame([ups("victim"), "ups.status"])).errors).toEqual(["Error: Data stale"]);
      await expectSame([ups("victim")]);
    } finally {
      await stack.resumeDriver("victim");
    }
  });

  it("runs under the plain name upsc (a symlink to the nutguard bin)", async () => {
    const linkDir = mkdtempSync(join(tmpdir(), "nutguard-upsc-link-"));
    try {
      symlinkSync(NUTGUARD_BIN, join(linkDir, "upsc"));
      const nut = observable(await runNut("upsc", [ups("dummy")]));
      const ours = observable(await runCommand(join(linkDir, "upsc"), [ups("dummy")]));
      expect(ours).toEqual(nut);
    } finally {
      rmSync(linkDir, { recursive: true, force: true });
    }
  });

  it("shows help on -h and on an unknown option, exit 0", async () => {
    for (const args of [["-h"], ["-x"]]) {
      const { nut, ours } = await runBoth("upsc", args);
      expect(ours.code).toBe(nut.code);
      expect(ours.stdout).toContain("usage: upsc");
    }
  });
});

// Debian's upsc 2.8.0 has no -j: these follow NUT 2.8.5+'s clients/upsc.c (reference clients.md §1.3).
describe("upsc -j (JSON, NUT 2.8.5+)", () => {
  it("prints the JSON forms", async () => {
    const list = await runOurs("upsc", ["-j", "-l", `127.0.0.1:${stack.port}`]);
    expect(list.stdout).toBe(`[\n${stack.upsNames.map((n) => `  "${n}"`).join(",\n")}\n]\n`);
    const listDesc = await runOurs("upsc", ["-j", "-L", `127.0.0.1:${stack.port}`]);
    expect(JSON.parse(listDesc.stdout).quirky).toBe('values with "quotes", \\ and spaces');
    const one = await runOurs("upsc", ["-j", ups("dummy"), "device.model"]);
    expect(one.stdout).toBe('"Dummy UPS 1500"\n');
    const all = await runOurs("upsc", ["-j", ups("quirky")]);
    expect(all.stdout.startsWith('{\n  "battery.charge": "87",\n')).toBe(true);
    expect(JSON.parse(all.stdout)["device.description"]).toBe('Rack "A"  slot #3 \\ left');
    expect((await runOurs("upsc", ["-j", "-c", ups("quirky")])).stdout).toBe("[\n\n]\n");
  });

  it("puts the error object on stdout and the Error line on stderr, exit 1", async () => {
    const bad = await runOurs("upsc", ["-j", ups("dummy"), "ups.bogus.value"]);
    expect(bad).toMatchObject({
      stdout: '{"error": "Variable not supported by UPS"}\n',
      stderr: "Error: Variable not supported by UPS\n",
      code: 1,
    });
    const unknown = await runOurs("upsc", ["-j", ups("nosuch")]);
    expect(unknown).toMatchObject({ stdout: '{\n  "error": "Unknown UPS"\n}\n', code: 1 });
    const closed = await freePort();
    const refused = await runOurs("upsc", ["-j", "-l", `127.0.0.1:${closed}`]);
    expect(refused).toMatchObject({
      stdout: '{"error": "Connection failure: Connection refused"}\n',
      code: 1,
    });
  });
});
