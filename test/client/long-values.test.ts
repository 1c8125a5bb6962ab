/**
 * Values past NUT's 512-byte line (issue 10, item 5). upsd never sends a longer line, but other
 * servers may: the client keeps NUT's word rules without the 512-character word cut, so such a value
 * arrives whole (it used to be cut at 512 characters, silently). Lines past 64 KiB still fail.
 */
import { afterEach, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/index.js";
import { NutProtocolError, NutTimeoutError } from "../../src/protocol/errors.js";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";

let server: FakeServer | undefined;
let client: NutClient | undefined;
afterEach(async () => {
  client?.destroy();
  await server?.close();
  client = server = undefined;
});

/** `n` characters a…z repeated. */
const letters = (n: number) =>
  Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");

async function serving(value: string, encoded = value): Promise<NutClient> {
  server = await startFakeServer({
    onLine: (line): FakeAction => {
      const w = line.split(" ");
      if (w[0] === "GET" && w[1] === "VAR") return `VAR ${w[2]} ${w[3]} "${encoded}"\n`;
      if (w[0] === "GET" && w[1] === "DESC") return `DESC ${w[2]} ${w[3]} "${encoded}"\n`;
      if (w[0] === "LIST") {
        return `BEGIN LIST VAR ${w[2]}\nVAR ${w[2]} a.long "${encoded}"\nVAR ${w[2]} b.short "x"\nEND LIST VAR ${w[2]}\n`;
      }
      return "ERR UNKNOWN-COMMAND\n";
    },
  });
  client = await NutClient.connect({ host: server.host, port: server.port, requestTimeoutMs: 2000 });
  return client;
}

describe("values longer than NUT's 512-byte line", () => {
  it.each([513, 600, 5000, 60_000])(
    "a %i-character value arrives whole (GET VAR, GET DESC, LIST VAR)",
    async (n) => {
      const value = letters(n);
      const c = await serving(value);
      expect(await c.getVar("ups", "device.description")).toBe(value);
      expect(await c.getDesc("ups", "device.description")).toBe(value);
      expect(await c.listVar("ups")).toEqual([
        { name: "a.long", value },
        { name: "b.short", value: "x" },
      ]);
    },
  );

  it("escaped quotes and backslashes past 512 characters are decoded whole", async () => {
    const value = 'say "hi" \\ '.repeat(100);
    const c = await serving(value, value.replace(/[\\"]/g, "\\$&"));
    expect(await c.getVar("ups", "device.description")).toBe(value);
  });

  it("a reply cut as upsd cuts it (512 bytes, no LF) fails at the timeout, saying so", async () => {
    server = await startFakeServer({
      onLine: (line) => `VAR ups ${line.split(" ")[3]} "${letters(600)}`.slice(0, 512),
    });
    client = await NutClient.connect({ host: server.host, port: server.port, requestTimeoutMs: 300 });
    const err = await client.getVar("ups", "device.description").catch((e) => e);
    expect(err).toBeInstanceOf(NutTimeoutError);
    expect(err.message).toBe(
      "GET VAR: no reply within 300 ms (the reply stopped after 512 bytes without its line end: upsd cuts replies longer than 512 bytes)",
    );
  });

  it("a line past 64 KiB is a protocol error, never a value cut short", async () => {
    const c = await serving(letters(70_000));
    const err = await c.getVar("ups", "device.description").catch((e) => e);
    expect(err).toBeInstanceOf(NutProtocolError);
    expect(err.message).toBe("Protocol error");
  });
});
