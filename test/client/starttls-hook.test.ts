// How NutConnection sequences STARTTLS (the handshake itself is tls.ts's, tested with it):
// earlier requests finish first, later ones wait, a refusal continues in plaintext unless required.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/index.js";
import { NutTlsError } from "../../src/protocol/errors.js";
import { type FakeServer, startFakeServer } from "../helpers/fake-server.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";

describe("STARTTLS sequencing (scripted server that refuses TLS)", () => {
  let server: FakeServer;
  afterEach(async () => {
    await server?.close();
  });

  it("is never pipelined: earlier requests are answered first, later ones are sent after it", async () => {
    server = await startFakeServer({
      onLine: (line) =>
        line === "STARTTLS"
          ? { write: "ERR FEATURE-NOT-CONFIGURED\n", delayMs: 50 }
          : { write: `VAR ups ${line.split(" ")[3]} "x"\n`, delayMs: 20 },
    });
    const c = await NutClient.connect({ host: server.host, port: server.port });
    const before = c.getVar("ups", "a");
    const tls = c.startTls({});
    const after = c.getVar("ups", "b");
    expect(await Promise.all([before, tls, after])).toEqual(["x", false, "x"]);
    expect(server.lines).toEqual(["GET VAR ups a", "STARTTLS", "GET VAR ups b"]);
    c.destroy();
  });
});

describe("STARTTLS against a real upsd without a certificate", () => {
  let stack: NutStack;
  beforeAll(async () => {
    stack = await startNutStack({ devices: { dummy: { dev: "ups.status: OL\n" } } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("continues in plaintext when TLS is optional (like upsc's TRYSSL)", async () => {
    const c = await NutClient.connect({ host: stack.host, port: stack.port, tls: {} });
    expect(c.encrypted).toBe(false);
    expect(await c.getVar("dummy", "ups.status")).toBe("OL");
    await c.close();
  });

  it("fails with NutTlsError when TLS is required (like upsmon's FORCESSL)", async () => {
    const err = await NutClient.connect({
      host: stack.host,
      port: stack.port,
      tls: { required: true },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NutTlsError);
    expect(err.message).toMatch(/^SSL error: .*FEATURE-NOT-CONFIGURED/);
  });
});
