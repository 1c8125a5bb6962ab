/**
 * A tiny scripted TCP server on 127.0.0.1 for client tests that a real upsd cannot stage: replies
 * written one byte at a time, a connection closed in the middle of a list, a server that never
 * answers, garbage replies.
 *
 * The script is a function from one received request line (without LF) to what to do: a reply string
 * (written as given, include the LFs), `null` (no reply), or an action object. Must not: listen on
 * anything but 127.0.0.1, or outlive `close()` (which destroys every open connection).
 */
import net from "node:net";

export type FakeAction =
  | string
  | null
  | undefined
  | { write: string; bytewise?: boolean; thenClose?: boolean; delayMs?: number }
  | { close: true };

export interface FakeConnection {
  /** Request lines received on this connection, in order. */
  readonly lines: string[];
  /** The request lines of each read: lines the client wrote together arrive in one (on loopback). */
  readonly reads: string[][];
  write(data: string): void;
  close(): void;
}

export interface FakeServerOptions {
  onLine(line: string, conn: FakeConnection): FakeAction | Promise<FakeAction>;
  /** Write every reply one byte per write (with a macrotask between writes). */
  bytewise?: boolean;
}

export interface FakeServer {
  host: "127.0.0.1";
  port: number;
  /** Every request line received, over all connections. */
  readonly lines: string[];
  /** Number of connections accepted so far. */
  readonly connectionCount: number;
  close(): Promise<void>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFakeServer(o: FakeServerOptions): Promise<FakeServer> {
  const all: string[] = [];
  const sockets = new Set<net.Socket>();
  let connectionCount = 0;

  const server = net.createServer((sock) => {
    connectionCount++;
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    const conn: FakeConnection = {
      lines: [],
      reads: [],
      write: (d) => {
        if (!sock.destroyed) sock.write(d, "latin1");
      },
      close: () => sock.destroy(),
    };
    let buf = "";
    // replies are produced in request order, even when the script is async or writes slowly
    let chain = Promise.resolve();
    const writeOut = async (data: string, bytewise: boolean) => {
      if (!bytewise) return conn.write(data);
      for (const ch of data) {
        if (sock.destroyed) return;
        conn.write(ch);
        await tick();
      }
    };
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      buf += d;
      const read: string[] = [];
      conn.reads.push(read);
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        conn.lines.push(line);
        read.push(line);
        all.push(line);
        chain = chain.then(async () => {
          if (sock.destroyed) return;
          const action = await o.onLine(line, conn);
          if (action === null || action === undefined) return;
          if (typeof action === "string") return writeOut(action, o.bytewise ?? false);
          if ("close" in action) return conn.close();
          if (action.delayMs) await sleep(action.delayMs);
          await writeOut(action.write, action.bytewise ?? o.bytewise ?? false);
          if (action.thenClose) sock.end();
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    host: "127.0.0.1",
    port: addr.port,
    lines: all,
    get connectionCount() {
      return connectionCount;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
