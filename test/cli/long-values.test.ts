/**
 * upsc and values past NUT's 512-byte reply line (issue 10, item 5): nothing may be lost silently.
 * - A server that sends a longer line (upsd never does): ours prints the whole value, exit 0. NUT's
 *   upsc cuts the line at 511 bytes, and in a list then drops the rest of the list, both with exit 0;
 *   its runs here document that deliberate difference.
 * - Real upsd + dummy-ups, where a long variable name makes the reply overflow upsd's own 512-byte
 *   buffer: upsd sends the line cut and without its LF. NUT's upsc prints the cut value with exit 0;
 *   ours fails with an error and exit 1, never printing a cut value.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { errorLines, runNut, runOurs } from "./run-tool.js";

const letters = (n: number) =>
  Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
const VALUE = letters(600);

let server: FakeServer | undefined;
let stack: NutStack | undefined;
afterAll(async () => {
  await server?.close();
  await stack?.stop();
});

async function longLineServer(): Promise<string> {
  server ??= await startFakeServer({
    onLine: (line): FakeAction => {
      const w = line.split(" ");
      if (w[0] === "GET" && w[1] === "VAR") return `VAR ${w[2]} ${w[3]} "${VALUE}"\n`;
      if (w[0] === "LIST" && w[1] === "VAR") {
        return `BEGIN LIST VAR ${w[2]}\nVAR ${w[2]} a.long "${VALUE}"\nVAR ${w[2]} b.short "x"\nEND LIST VAR ${w[2]}\n`;
      }
      if (w[0] === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
      return "ERR FEATURE-NOT-CONFIGURED\n";
    },
  });
  return `ups@127.0.0.1:${server.port}`;
}

describe("a server that sends lines longer than NUT's 512 bytes", () => {
  it("upsc <ups> <var> prints the whole value (NUT's upsc: cut at 511 bytes, exit 0)", async () => {
    const ups = await longLineServer();
    const ours = await runOurs("upsc", [ups, "device.description"]);
    expect(ours).toMatchObject({ code: 0, stdout: `${VALUE}\n`, stderr: "" });
    const nut = await runNut("upsc", [ups, "device.description"]);
    expect(nut.code).toBe(0);
    expect(nut.stdout).toBe(`${VALUE.slice(0, 511 - 'VAR ups device.description "'.length)}\n`);
  });

  it("upsc <ups> and -j print every variable whole (NUT's upsc: cuts it and drops the rest of the list)", async () => {
    const ups = await longLineServer();
    const ours = await runOurs("upsc", [ups]);
    expect(ours).toMatchObject({ code: 0, stdout: `a.long: ${VALUE}\nb.short: x\n` });
    const json = await runOurs("upsc", ["-j", ups]);
    expect(JSON.parse(json.stdout)).toMatchObject({ "a.long": VALUE, "b.short": "x" });
    const nut = await runNut("upsc", [ups]);
    expect(nut.code).toBe(0);
    expect(nut.stdout).not.toContain("b.short");
  });
});

describe("real upsd cutting a reply at its 512-byte buffer", () => {
  // "VAR big <302-character name> "<254 encoded characters>"" is past 512 bytes (the line after it
  // is needed: without one, this dummy-ups never published the variable)
  const NAME = `x.${"n".repeat(300)}`;

  it("NUT's upsc prints the cut value with exit 0; ours fails with an error, exit 1", async () => {
    stack = await startNutStack({
      devices: { big: { dev: `ups.status: OL\n${NAME}: "${'\\"'.repeat(200)}"\nz.z: after\n` } },
    });
    const ups = `big@127.0.0.1:${stack.port}`;
    let nut = await runNut("upsc", [ups, NAME]);
    // until dummy-ups has published the variable (upsd: VAR-NOT-SUPPORTED before)
    await stack.waitFor(async () => {
      nut = await runNut("upsc", [ups, NAME]);
      return nut.code === 0;
    });
    expect(errorLines(nut.stderr)).toEqual([]);
    expect(nut.stdout.length).toBeLessThan(512);
    const ours = await runOurs("upsc", ["-W", "1", ups, NAME]);
    expect(ours.code).toBe(1);
    expect(ours.stdout).toBe("");
    expect(ours.stderr).toBe(
      "Error: GET VAR: no reply within 1000 ms (the reply stopped after 512 bytes without its line end: upsd cuts replies longer than 512 bytes)\n",
    );
  });
});
