// NutConnection behaviour a real upsd cannot stage on demand (chunking, EOF mid-list, silence,
// garbage), against the scripted fake server; and pipelining against the real upsd.
import type net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NutClient, openSocket, prepareGetVar } from "../../src/client/index.js";
import {
  ERR_MESSAGES,
  NutAbortError,
  NutConnectionError,
  NutProtocolError,
  NutServerError,
  NutTimeoutError,
  ServerDisconnectedError,
  VarNotSupportedError,
} from "../../src/protocol/errors.js";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";
import { freePort, type NutStack, startNutStack } from "../helpers/nut-stack.js";

const LIST_VAR =
  'BEGIN LIST VAR ups\nVAR ups a "1"\nVAR ups b "two words"\nVAR ups c "q\\"x"\nEND LIST VAR ups\n';

/** A fake upsd that knows a few commands. */
function upsdLike(line: string): FakeAction {
  if (line === "LIST VAR ups") return LIST_VAR;
  if (line === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
  const m = /^GET VAR ups (\S+)$/.exec(line);
  if (m) return m[1] === "missing" ? "ERR VAR-NOT-SUPPORTED\n" : `VAR ups ${m[1]} "value of ${m[1]}"\n`;
  return "ERR UNKNOWN-COMMAND\n";
}

/** A client over a socket opened beforehand (the constructor is protected). */
class AdoptedClient extends NutClient {
  static adopt(sock: net.Socket): AdoptedClient {
    return new AdoptedClient(sock, "127.0.0.1", 0, undefined);
  }
}

/** The first line read from a socket through its 'data' events (without LF). */
function readLine(sock: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    sock.setEncoding("latin1").on("data", (d: string) => {
      text += d;
      if (text.includes("\n")) resolve(text.slice(0, text.indexOf("\n")));
    });
    sock.once("error", reject);
  });
}

let server: FakeServer | undefined;
const clients: NutClient[] = [];
async function fake(onLine: (line: string) => FakeAction, bytewise = false): Promise<NutClient> {
  server = await startFakeServer({ onLine, bytewise });
  const c = await NutClient.connect({ host: server.host, port: server.port, requestTimeoutMs: 2000 });
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = undefined;
});

describe("framing", () => {
  it("assembles single replies and lists delivered one byte at a time", async () => {
    const c = await fake(upsdLike, true);
    const [vars, v, missing] = await Promise.all([
      c.listVar("ups"),
      c.getVar("ups", "x"),
      c.getVar("ups", "missing").catch((e) => e),
    ]);
    expect(vars).toEqual([
      { name: "a", value: "1" },
      { name: "b", value: "two words" },
      { name: "c", value: 'q"x' },
    ]);
    expect(v).toBe("value of x");
    expect(missing).toBeInstanceOf(VarNotSupportedError);
  });

  it("two connections reading one byte at a time at once each assemble only their own replies", async () => {
    // both sockets read into one shared buffer (open-socket.ts): a partial line must be copied, not kept
    const first = await fake(upsdLike, true);
    const second = await NutClient.connect({ host: server!.host, port: server!.port });
    clients.push(second);
    const names = (prefix: string) => Array.from({ length: 5 }, (_, i) => `${prefix}${i}`);
    const [a, b] = await Promise.all([
      Promise.all(names("first.").map((n) => first.getVar("ups", n))),
      Promise.all(names("second.").map((n) => second.getVar("ups", n))),
    ]);
    expect(a).toEqual(names("value of first."));
    expect(b).toEqual(names("value of second."));
  });

  it("a connection closed in the middle of a list fails it with ServerDisconnectedError", async () => {
    const c = await fake(() => ({ write: 'BEGIN LIST VAR ups\nVAR ups a "1"\n', thenClose: true }));
    const err = await c.listVar("ups").catch((e) => e);
    expect(err).toBeInstanceOf(ServerDisconnectedError);
    expect(err).toBeInstanceOf(NutConnectionError);
    expect(err.message).toBe("Server disconnected");
    expect(c.isOpen).toBe(false);
    expect(await c.getVar("ups", "x").catch((e) => e)).toBeInstanceOf(NutConnectionError);
  });

  it("a list item that does not echo the query is a protocol error and closes the connection", async () => {
    const c = await fake(() => 'BEGIN LIST VAR ups\nVAR other a "1"\nEND LIST VAR ups\n');
    const [first, second] = await Promise.all([
      c.listVar("ups").catch((e) => e),
      c.getVar("ups", "x").catch((e) => e),
    ]);
    expect(first).toBeInstanceOf(NutProtocolError);
    expect(first.message).toBe("Protocol error");
    expect(second).toBeInstanceOf(NutConnectionError);
    expect(second.code).toBe("PROTOCOL-DESYNC");
  });

  it("a reply line that never ends (far beyond NUT's 512 bytes) is a protocol error, not unbounded memory", async () => {
    const c = await fake(() => "x".repeat(100_000));
    const err = await c.getVar("ups", "x").catch((e) => e);
    expect(err).toBeInstanceOf(NutProtocolError);
    expect(err.detail).toBe("reply line longer than 65536 bytes");
    expect(c.isOpen).toBe(false);
  });

  it("a reply of the wrong kind is a protocol error, not a value", async () => {
    const c = await fake(() => "NUMLOGINS ups 3\n");
    expect(await c.getVar("ups", "x").catch((e) => e)).toBeInstanceOf(NutProtocolError);
  });

  it("turns every ERR code into its own error class carrying NUT's message", async () => {
    const c = await fake((line) => `ERR ${line.split(" ")[3]}\n`);
    const codes = Object.keys(ERR_MESSAGES) as (keyof typeof ERR_MESSAGES)[];
    const errors = await Promise.all(codes.map((code) => c.getVar("ups", code).catch((e) => e)));
    const classes = new Set<unknown>();
    errors.forEach((err, i) => {
      expect(err).toBeInstanceOf(NutServerError);
      expect(err.constructor).not.toBe(NutServerError);
      expect(err.code).toBe(codes[i]);
      expect(err.message).toBe(ERR_MESSAGES[codes[i]!]);
      expect(err.replyLine).toBe(`ERR ${codes[i]}`);
      classes.add(err.constructor);
    });
    expect(classes.size).toBe(codes.length);
  });

  it("preserves unknown ERR codes and their extra text", async () => {
    const c = await fake(() => 'ERR SOMETHING-NEW "with detail"\n');
    const err = await c.getVar("ups", "x").catch((e) => e);
    expect(err.code).toBe("SOMETHING-NEW");
    expect(err.message).toBe("Unknown error");
    expect(err.detail).toBe("with detail");
  });
});

describe("older servers", () => {
  it("PRIMARY falls back to MASTER when the server does not know PRIMARY (and accepts a plain OK)", async () => {
    const c = await fake((line) => (line.startsWith("PRIMARY ") ? "ERR UNKNOWN-COMMAND\n" : "OK\n"));
    expect(await c.primary("ups")).toBe("MASTER");
    expect(server!.lines).toEqual(["PRIMARY ups", "MASTER ups"]);
  });
});

describe("pipelining depth", () => {
  it("writes at most maxInFlight requests ahead of the replies; the rest follow as replies arrive", async () => {
    let answered = 0;
    let mostOutstanding = 0;
    server = await startFakeServer({
      // runs in request order, after the earlier replies were written; conn.lines grows on arrival
      onLine: (line, conn) => {
        mostOutstanding = Math.max(mostOutstanding, conn.lines.length - answered);
        answered++;
        return { write: upsdLike(line) as string, delayMs: 5 };
      },
    });
    const c = await NutClient.connect({ host: server.host, port: server.port, maxInFlight: 3 });
    clients.push(c);
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => c.getVar("ups", `v${i}`)));
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `value of v${i}`));
    expect(mostOutstanding).toBe(3);
  });
});

describe("timeouts and cancellation", () => {
  it("a server that never answers: the request times out, the connection closes, nothing hangs", async () => {
    const c = await fake(() => null);
    const [first, second] = await Promise.all([
      c.getVar("ups", "x", { timeoutMs: 200 }).catch((e) => e),
      c.getVar("ups", "y", { timeoutMs: 60_000 }).catch((e) => e),
    ]);
    expect(first).toBeInstanceOf(NutTimeoutError);
    expect(first.code).toBe("TIMEOUT");
    expect(second).toBeInstanceOf(NutConnectionError);
    expect(second.code).toBe("TIMEOUT-CLOSED");
    expect(c.isOpen).toBe(false);
  });

  it("an aborted request rejects at once; its late reply is discarded and later replies stay matched", async () => {
    const c = await fake((line) => ({
      write: upsdLike(line) as string,
      delayMs: line.endsWith(" slow") ? 150 : 0,
    }));
    const ac = new AbortController();
    const slow = c.getVar("ups", "slow", { signal: ac.signal });
    const next = c.getVar("ups", "next");
    ac.abort();
    expect(await slow.catch((e) => e)).toBeInstanceOf(NutAbortError);
    expect(await next).toBe("value of next");
    expect(await c.listVar("ups")).toEqual([
      { name: "a", value: "1" },
      { name: "b", value: "two words" },
      { name: "c", value: 'q"x' },
    ]);
  });

  it("a steady requester: answered requests leave nothing to time out, and a later silent one still times out", async () => {
    const c = await fake((line) => (line.endsWith(" silent") ? null : upsdLike(line)));
    for (let i = 0; i < 3; i++) {
      expect(await c.getVar("ups", "x", { timeoutMs: 150 })).toBe("value of x");
      await new Promise((r) => setTimeout(r, 60));
    }
    // past every answered request's deadline: the connection is still open and usable
    await new Promise((r) => setTimeout(r, 250));
    expect(c.isOpen).toBe(true);
    expect(await c.getVar("ups", "y", { timeoutMs: 150 })).toBe("value of y");
    const err = await c.getVar("ups", "silent", { timeoutMs: 150 }).catch((e) => e);
    expect(err).toBeInstanceOf(NutTimeoutError);
    expect(err.message).toBe("GET VAR: no reply within 150 ms");
    expect(c.isOpen).toBe(false);
  });

  describe("a request without its own timer (timer: false)", () => {
    const silentRequest = async () => {
      const c = await fake((line) => (line.endsWith(" silent") ? null : upsdLike(line)));
      const silent = c.getVar("ups", "silent", { timeoutMs: 150, timer: false }).catch((e) => e);
      return { c, silent };
    };

    it("is timed out when checkDeadlines() finds it past its deadline, not before", async () => {
      const { c, silent } = await silentRequest();
      // well past the deadline with no timer of its own: still waiting, the connection open
      await new Promise((r) => setTimeout(r, 400));
      expect(c.isOpen).toBe(true);
      c.checkDeadlines();
      const err = await silent;
      expect(err).toBeInstanceOf(NutTimeoutError);
      expect(err.message).toBe("GET VAR: no reply within 150 ms");
      expect(c.isOpen).toBe(false);
    });

    it("checkDeadlines() a little early times nothing out then, and the request times out at its deadline", async () => {
      const { c, silent } = await silentRequest();
      c.checkDeadlines();
      await new Promise((r) => setTimeout(r, 50));
      expect(c.isOpen).toBe(true);
      const err = await silent;
      expect(err.message).toBe("GET VAR: no reply within 150 ms");
      expect(c.isOpen).toBe(false);
    });
  });

  it("an already-aborted signal sends nothing", async () => {
    const c = await fake(upsdLike);
    const err = await c.getVar("ups", "x", { signal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(NutAbortError);
    expect(await c.getVar("ups", "y")).toBe("value of y");
    expect(server!.lines).toEqual(["GET VAR ups y"]);
  });
});

describe("callback requests (a poller's steady GET VAR)", () => {
  type Outcome = { err: Error | undefined; value: string | undefined; sync: boolean };
  /** getPreparedVarThen as a promise of what its callback got, and whether it came before the call returned. */
  function viaCallback(c: NutClient, ups: string, name: string, o: { timeoutMs?: number } = {}) {
    let returned = false;
    return new Promise<Outcome>((resolve) => {
      c.getPreparedVarThen(prepareGetVar(ups, name), o, (err, value) =>
        resolve({ err, value, sync: !returned }),
      );
      returned = true;
    });
  }

  it("a reply reaches the callback, in order with promise requests pipelined beside it", async () => {
    const c = await fake(upsdLike);
    const before = c.getVar("ups", "a");
    const viaCb = viaCallback(c, "ups", "b");
    const after = c.getVar("ups", "c");
    expect(await Promise.all([before, viaCb, after])).toEqual([
      "value of a",
      { err: undefined, value: "value of b", sync: false },
      "value of c",
    ]);
    expect(server!.lines).toEqual(["GET VAR ups a", "GET VAR ups b", "GET VAR ups c"]);
  });

  it("an ERR reply, a timeout and a closed connection reach the callback as the promise would reject", async () => {
    const c = await fake((line) => (line.endsWith(" silent") ? null : upsdLike(line)));
    const missing = await viaCallback(c, "ups", "missing");
    expect(missing.err).toBeInstanceOf(VarNotSupportedError);
    const silent = await viaCallback(c, "ups", "silent", { timeoutMs: 150 });
    expect(silent.err).toBeInstanceOf(NutTimeoutError);
    expect(c.isOpen).toBe(false);
    // refused before sending: still a callback, and never before the call returned
    const closed = await viaCallback(c, "ups", "x");
    expect(closed.err).toBeInstanceOf(NutConnectionError);
    expect(closed.sync).toBe(false);
  });

  it("a callback that throws leaves the connection in step: later replies reach their own callers", async () => {
    // the replies to `a` and `b` arrive in one read, so the throw happens with `b`'s reply still unread
    const c = await fake((line) =>
      line === "GET VAR ups a"
        ? null
        : line === "GET VAR ups b"
          ? `${upsdLike("GET VAR ups a")}${upsdLike(line)}`
          : upsdLike(line),
    );
    const thrown: unknown[] = [];
    const onUncaught = (e: unknown) => thrown.push(e);
    process.prependListener("uncaughtException", onUncaught);
    try {
      c.getPreparedVarThen(prepareGetVar("ups", "a"), {}, () => {
        throw new Error("caller's bug");
      });
      expect(await c.getVar("ups", "b")).toBe("value of b");
      expect(await viaCallback(c, "ups", "c")).toEqual({ err: undefined, value: "value of c", sync: false });
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    expect(c.isOpen).toBe(true);
    expect(thrown.map((e) => (e as Error).message)).toEqual(["caller's bug"]);
  });
});

describe("connecting and closing", () => {
  it("connection refused is a NutConnectionError with libupsclient's wording", async () => {
    const port = await freePort();
    const err = await NutClient.connect({ host: "127.0.0.1", port }).catch((e) => e);
    expect(err).toBeInstanceOf(NutConnectionError);
    expect(err.code).toBe("ECONNREFUSED");
    expect(err.message).toBe("Connection failure: Connection refused");
  });

  it("a socket from openSocket() that no connection reads is an ordinary socket: its bytes arrive as 'data'", async () => {
    await fake(upsdLike);
    const sock = await openSocket({ host: server!.host, port: server!.port });
    try {
      sock.write("GET VAR ups x\n");
      expect(await readLine(sock)).toBe('VAR ups x "value of x"');
    } finally {
      sock.destroy();
    }
  });

  it("bytes read before a connection attaches wait in the socket and reach the connection first", async () => {
    await fake(upsdLike);
    const sock = await openSocket({ host: server!.host, port: server!.port });
    sock.write("GET VAR ups early\n");
    while (sock.readableLength < 'VAR ups early "value of early"\n'.length) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const c = AdoptedClient.adopt(sock);
    clients.push(c);
    // nothing was pending when the connection read them: for it they are a reply to nothing
    const err = await c.getVar("ups", "x").catch((e) => e);
    expect(err).toBeInstanceOf(NutProtocolError);
    expect(err.detail).toBe('reply with no request pending: VAR ups early "value of early"');
  });

  it("close() sends LOGOUT after the pending requests and closes", async () => {
    const c = await fake(upsdLike);
    const v = c.getVar("ups", "x");
    await c.close();
    expect(await v).toBe("value of x");
    expect(server!.lines).toEqual(["GET VAR ups x", "LOGOUT"]);
    expect(c.isOpen).toBe(false);
  });

  it("requests with characters NUT cannot carry are refused before sending", async () => {
    const c = await fake(upsdLike);
    await expect(c.getVar("ups", "bad\nname")).rejects.toThrow(/cannot be sent/);
    await expect(c.setVar("ups", "x", "caf\u00e9")).rejects.toThrow(/cannot be sent/);
    // raw lines are not built by the encoder, so the connection checks them itself
    await expect(c.rawRequest("GET VAR ups x\nFSD ups")).rejects.toThrow(/NUT cannot carry/);
    await expect(c.rawRequest("GET VAR ups caf\u00e9")).rejects.toThrow(/NUT cannot carry/);
    expect(await c.getVar("ups", "ok")).toBe("value of ok");
    expect(server!.lines).toEqual(["GET VAR ups ok"]);
  });
});

describe("pipelining against real upsd", () => {
  let stack: NutStack;
  beforeAll(async () => {
    stack = await startNutStack({ devices: { dummy: { dev: "ups.status: OL\nups.load: 25\n" } } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("1,000 requests issued at once are all answered, each to its caller", async () => {
    const c = await NutClient.connect({ host: stack.host, port: stack.port });
    clients.push(c);
    const names = ["ups.status", "ups.load", "no.such.var", "driver.name"];
    const expected = ["OL", "25", "VAR-NOT-SUPPORTED", "dummy-ups"];
    const calls = Array.from({ length: 1000 }, (_, i) =>
      c.getVar("dummy", names[i % 4]!).catch((e: { code: string }) => e.code),
    );
    const lists = [c.listVar("dummy"), c.listCmd("dummy")];
    const results = await Promise.all(calls);
    results.forEach((r, i) => {
      expect(r).toBe(expected[i % 4]);
    });
    const [vars, cmds] = await Promise.all(lists);
    expect(vars).toContainEqual({ name: "ups.load", value: "25" });
    expect(cmds).toEqual(["load.off"]);
    expect(c.pendingCount).toBe(0);
  });
});
