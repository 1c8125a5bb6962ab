import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeServer, startFakeServer } from "./fake-server.js";

function exchange(port: number, data: string): Promise<{ chunks: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: string[] = [];
    const sock = net.connect({ host: "127.0.0.1", port }, () => sock.write(data));
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => chunks.push(d));
    sock.on("close", () => resolve({ chunks, closed: true }));
  });
}

describe("fake-server: scripted replies for client tests", () => {
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("answers per line, one byte per write when asked, and closes on request", async () => {
    server = await startFakeServer({
      onLine: (line) => (line === "LOGOUT" ? { write: "OK Goodbye\n", thenClose: true } : "1.3\n"),
      bytewise: true,
    });
    const { chunks } = await exchange(server.port, "NETVER\nLOGOUT\n");
    expect(chunks.join("")).toBe("1.3\nOK Goodbye\n");
    expect(chunks.length).toBeGreaterThan(2);
    expect(server.lines).toEqual(["NETVER", "LOGOUT"]);
  });

  it("can cut a connection in the middle of a list", async () => {
    server = await startFakeServer({
      onLine: () => ({ write: 'BEGIN LIST UPS\nUPS a "x"\n', thenClose: true }),
    });
    const { chunks } = await exchange(server.port, "LIST UPS\n");
    expect(chunks.join("")).toBe('BEGIN LIST UPS\nUPS a "x"\n');
  });
});
