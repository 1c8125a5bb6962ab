/**
 * Golden tests: NUT's /usr/bin/upsrw and `nutguard upsrw` against the same real upsd + dummy-ups.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeServer, startFakeServer } from "../helpers/fake-server.js";
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

// dummy-ups cannot declare ENUM or RANGE variables, so both tools list a scripted server's instead.
describe("upsrw listing of ENUM, RANGE and odd types matches NUT's upsrw (scripted server)", () => {
  let server: FakeServer;

  const vars: Record<
    string,
    { desc?: string; type: string; value: string; enums?: string[]; ranges?: string[][] }
  > = {
    "out.mode": { desc: "Output mode", type: "RW ENUM STRING:8", value: "eco", enums: ["normal", "eco"] },
    "out.level": {
      desc: "Output level",
      type: "RW RANGE NUMBER",
      value: "15",
      ranges: [
        ["0", "10"],
        ["11", "20"],
      ],
    },
    "old.enum": { desc: "Old-style enum", type: "RW ENUM", value: "b", enums: ["a", "b"] },
    "odd.var": { desc: "Odd flags", type: "RW WEIRD NUMBER", value: "1" },
    "no.desc": { type: "RW NUMBER", value: "7" },
  };

  beforeAll(async () => {
    server = await startFakeServer({
      onLine: (line) => {
        const w = line.split(" ");
        const v = vars[w[3] ?? ""];
        const list = (query: string, items: string[]) =>
          `BEGIN LIST ${query}\n${items.map((i) => `${i}\n`).join("")}END LIST ${query}\n`;
        if (line === "LIST RW ups") {
          return list(
            "RW ups",
            Object.entries(vars).map(([n, x]) => `RW ups ${n} "${x.value}"`),
          );
        }
        if (w[0] === "GET" && w[1] === "DESC")
          return v?.desc ? `DESC ups ${w[3]} "${v.desc}"\n` : "ERR VAR-NOT-SUPPORTED\n";
        if (w[0] === "GET" && w[1] === "TYPE") return `TYPE ups ${w[3]} ${v!.type}\n`;
        if (w[0] === "GET" && w[1] === "VAR") return `VAR ups ${w[3]} "${v!.value}"\n`;
        if (w[0] === "LIST" && w[1] === "ENUM") {
          return list(
            `ENUM ups ${w[3]}`,
            (v?.enums ?? []).map((e) => `ENUM ups ${w[3]} "${e}"`),
          );
        }
        if (w[0] === "LIST" && w[1] === "RANGE") {
          return list(
            `RANGE ups ${w[3]}`,
            (v?.ranges ?? []).map(([a, b]) => `RANGE ups ${w[3]} "${a}" "${b}"`),
          );
        }
        if (line === "LOGOUT") return "OK Goodbye\n";
        return "ERR UNKNOWN-COMMAND\n";
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("prints the same blocks, SELECTED included", async () => {
    const { nut, ours } = await runBoth("upsrw", [`ups@127.0.0.1:${server.port}`]);
    expect(ours).toEqual(nut);
    expect(ours.stdout).toContain(
      '[out.mode]\nOutput mode\nType: ENUM STRING\nMaximum length: 8\nOption: "normal"\nOption: "eco" SELECTED\n\n',
    );
    expect(ours.stdout).toContain(
      '[out.level]\nOutput level\nType: RANGE NUMBER\nOption: "0-10"\nOption: "11-20" SELECTED\n\n',
    );
  });
});
