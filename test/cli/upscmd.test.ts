/**
 * Golden tests: NUT's /usr/bin/upscmd and `nutguard upscmd` against the same real upsd + dummy-ups.
 * NUT_QUIET_OK_NOTRACKING=true (set by run-tool.ts) makes NUT 2.8.5+ and nutguard print only `OK`,
 * as 2.8.0 does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer } from "../helpers/fake-server.js";
import { freePort, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { runBoth, runOurs } from "./run-tool.js";

let stack: NutStack;
let dummy: string;
let admin: string[];

beforeAll(async () => {
  stack = await startNutStack();
  dummy = `dummy@127.0.0.1:${stack.port}`;
  admin = ["-u", stack.users.admin.user, "-p", stack.users.admin.pass];
});

afterAll(async () => {
  await stack?.stop();
});

async function expectSame(args: string[], stdin?: string) {
  const { nut, ours } = await runBoth("upscmd", args, { stdin });
  expect(ours).toEqual(nut);
  return ours;
}

describe("upscmd matches NUT's upscmd", () => {
  it("lists instant commands with descriptions", async () => {
    expect((await expectSame(["-l", dummy])).stdout).toBe(
      "Instant commands supported on UPS [dummy]:\n\nload.off - Turn off the load immediately\n",
    );
    expect((await expectSame(["-l", `nosuch@127.0.0.1:${stack.port}`])).errors).toEqual([
      "Error: Unknown UPS",
    ]);
  });

  it("runs a command and prints OK on stderr", async () => {
    expect(await expectSame([...admin, dummy, "load.off"])).toEqual({ stdout: "", errors: ["OK"], code: 0 });
  });

  it("tracks a command with -w and exits 0 even on ERR", async () => {
    expect((await expectSame(["-w", ...admin, dummy, "load.off"])).errors).toEqual(["ERR UNKNOWN"]);
  });

  it("reports refusals with the raw reply, exit 1", async () => {
    expect((await expectSame([...admin, dummy, "no.such.cmd"])).errors).toEqual([
      "Unexpected response from upsd: ERR CMD-NOT-SUPPORTED",
    ]);
    const { user, pass } = stack.users.primary;
    expect((await expectSame(["-u", user, "-p", pass, dummy, "load.off"])).errors).toEqual([
      "Unexpected response from upsd: ERR ACCESS-DENIED",
    ]);
    expect((await expectSame(["-u", "admin", "-p", "wrongpass", dummy, "load.off"])).errors).toEqual([
      "Unexpected response from upsd: ERR ACCESS-DENIED",
    ]);
    expect((await expectSame([...admin, `nosuch@127.0.0.1:${stack.port}`, "load.off"])).errors).toEqual([
      "Unexpected response from upsd: ERR UNKNOWN-UPS",
    ]);
    expect((await expectSame([...admin, dummy, "oldstyle"])).errors).toEqual([
      "Error: old command names are not supported",
    ]);
  });

  it("reports an unreachable server", async () => {
    const closed = await freePort();
    expect((await expectSame([...admin, `dummy@127.0.0.1:${closed}`, "load.off"])).errors).toEqual([
      "Error: Connection failure: Connection refused",
    ]);
  });

  it("prompts for the user name on stdout and takes the password from stdin when it is not a terminal", async () => {
    const r = await runOurs("upscmd", [dummy, "load.off"], { stdin: "admin\nadminpass\n" });
    expect(r.stdout).toMatch(/^Username \([^)]+\): $/);
    expect(r.stderr).toBe("Password: OK\n");
    expect(r.code).toBe(0);
  });

  it("sends a parameter quoted, so the server gets it whole (NUT sends it bare and upsd drops it)", async () => {
    // upsd accepts it (dummy-ups then leaves it PENDING)
    expect(await runOurs("upscmd", [...admin, dummy, "load.off", "two words"])).toMatchObject({
      stderr: "OK\n",
      code: 0,
    });
    const server = await startFakeServer({ onLine: (l) => (l === "LOGOUT" ? "OK Goodbye\n" : "OK\n") });
    try {
      await runOurs("upscmd", [
        "-u",
        "a",
        "-p",
        "b",
        `ups@127.0.0.1:${server.port}`,
        "load.off",
        'two "words"',
      ]);
      expect(server.lines).toContain('INSTCMD ups load.off "two \\"words\\""');
    } finally {
      await server.close();
    }
  });

  it("shows the help with too few arguments, exit 0", async () => {
    for (const args of [[], [dummy]]) {
      const { nut, ours } = await runBoth("upscmd", args);
      expect(ours.code).toBe(nut.code);
      expect(ours.stdout).toContain("usage: upscmd");
    }
  });
});
