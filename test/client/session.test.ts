// NutSession: backoff rules with injected timers, a real reconnect (re-auth, re-LOGIN, PRIMARY)
// across an upsd restart, a LOGIN refused by real upsd (keepWithoutLogin), and setMaxInFlight.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type NutClient,
  NutSession,
  type SessionStateChange,
  type SessionTimers,
} from "../../src/client/index.js";
import { AccessDeniedError, NutConnectionError } from "../../src/protocol/errors.js";
import { type FakeConnection, startFakeServer } from "../helpers/fake-server.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";

/** Timers that only fire when the test says so. */
function manualTimers() {
  const pending: { fn: () => void; ms: number }[] = [];
  const timers: SessionTimers = {
    setTimeout: (fn, ms) => {
      const t = { fn, ms };
      pending.push(t);
      return t;
    },
    clearTimeout: (h) => {
      const i = pending.indexOf(h as { fn: () => void; ms: number });
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return {
    timers,
    pending,
    fireNext() {
      const t = pending.shift();
      if (!t) throw new Error("no timer pending");
      t.fn();
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("NutSession backoff (injected timers and connect)", () => {
  it("retries with exponential backoff capped at maxMs, and reports each state", async () => {
    const t = manualTimers();
    const states: SessionStateChange[] = [];
    const refused = () =>
      Promise.reject(new NutConnectionError("ECONNREFUSED", "Connection failure: refused"));
    const s = new NutSession({
      host: "127.0.0.1",
      port: 1,
      backoff: { initialMs: 100, factor: 2, maxMs: 500 },
      timers: t.timers,
      connect: refused,
    });
    s.on("state", (c: SessionStateChange) => states.push(c));
    s.start();
    await tick();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      delays.push(t.pending[0]!.ms);
      t.fireNext();
      await tick();
    }
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    expect(states.slice(0, 2).map((c) => c.state)).toEqual(["connecting", "disconnected"]);
    expect(states[1]!.error?.message).toBe("Connection failure: refused");
    expect(states[1]!.retryInMs).toBe(100);
    await s.close();
    expect(t.pending).toEqual([]);
    expect(s.state).toBe("closed");
  });
});

describe("NutSession against real upsd", () => {
  let stack: NutStack;
  beforeAll(async () => {
    stack = await startNutStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("logs in as primary, and after upsd restarts reconnects, re-authenticates and logs in again", async () => {
    const states: SessionStateChange[] = [];
    const s = new NutSession({
      host: stack.host,
      port: stack.port,
      username: stack.users.primary.user,
      password: stack.users.primary.pass,
      login: "seq",
      primary: true,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    s.on("state", (c: SessionStateChange) => states.push(c));
    try {
      s.start();
      const first: NutClient = await s.whenConnected();
      expect(states.at(-1)).toMatchObject({ state: "connected", granted: "PRIMARY" });
      expect(await first.getNumLogins("seq")).toBe(1);

      await stack.stopUpsd();
      await stack.waitFor(async () => states.some((c) => c.state === "disconnected"));
      const drop = states.find((c) => c.state === "disconnected")!;
      expect(drop.error).toBeInstanceOf(NutConnectionError);
      expect(s.client).toBeUndefined();

      await stack.startUpsd();
      const second = await s.whenConnected();
      expect(second).not.toBe(first);
      expect(await second.getNumLogins("seq")).toBe(1);
      expect(await second.listClient("seq")).toEqual(["127.0.0.1"]);
      expect(states.at(-1)).toMatchObject({ state: "connected", failures: 0, granted: "PRIMARY" });
    } finally {
      await s.close();
    }
    await stack.waitFor(async () => (await stack.query("GET NUMLOGINS seq")) === "NUMLOGINS seq 0");
  });

  it("reports refused credentials as a disconnected state with the server's error, and keeps retrying", async () => {
    const states: SessionStateChange[] = [];
    const s = new NutSession({
      host: stack.host,
      port: stack.port,
      username: stack.users.admin.user,
      password: stack.users.admin.pass,
      login: "dummy",
      backoff: { initialMs: 50, maxMs: 50 },
    });
    s.on("state", (c: SessionStateChange) => states.push(c));
    s.start();
    await stack.waitFor(async () => states.filter((c) => c.state === "disconnected").length >= 2);
    await s.close();
    const drop = states.find((c) => c.state === "disconnected")!;
    expect(drop.error).toBeInstanceOf(AccessDeniedError);
    expect(states.at(-1)!.state).toBe("closed");
    await expect(s.whenConnected()).rejects.toThrow("Session closed");
  });

  it("keepWithoutLogin: a refused LOGIN leaves the connection up, not logged in and without PRIMARY", async () => {
    const states: SessionStateChange[] = [];
    const s = new NutSession({
      host: stack.host,
      port: stack.port,
      username: stack.users.admin.user, // no upsmon line: LOGIN is refused
      password: stack.users.admin.pass,
      login: "dummy",
      primary: true,
      keepWithoutLogin: true,
      backoff: { initialMs: 50, maxMs: 50 },
    });
    s.on("state", (c: SessionStateChange) => states.push(c));
    try {
      s.start();
      const client = await s.whenConnected();
      expect(states.map((c) => c.state)).toEqual(["connecting", "connected"]);
      const connected = states[1]!;
      expect(connected.loginRefused).toBeInstanceOf(AccessDeniedError);
      expect(connected.loginRefused!.replyLine).toBe("ERR ACCESS-DENIED");
      expect(connected.granted).toBeUndefined();
      expect(await client.getVar("dummy", "ups.status")).toBe("OL");
      expect(await client.getNumLogins("dummy")).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe("NutSession.setMaxInFlight", () => {
  it("the connections opened afterwards send one request at a time", async () => {
    // per connection: the most requests it had unanswered at once (each reply comes 20 ms late)
    const most: number[] = [];
    const conns: FakeConnection[] = [];
    const answered = new Map<FakeConnection, number>();
    const server = await startFakeServer({
      onLine: async (_line, conn) => {
        if (!answered.has(conn)) {
          answered.set(conn, 0);
          conns.push(conn);
          most.push(0);
        }
        const i = conns.indexOf(conn);
        await new Promise((r) => setTimeout(r, 20));
        most[i] = Math.max(most[i]!, conn.lines.length - answered.get(conn)!);
        answered.set(conn, answered.get(conn)! + 1);
        return "OK\n";
      },
    });
    const s = new NutSession({
      host: server.host,
      port: server.port,
      username: "u",
      password: "p",
      login: "ups",
      backoff: { initialMs: 10, maxMs: 10 },
    });
    try {
      s.start();
      await s.whenConnected();
      s.setMaxInFlight(1);
      conns[0]!.close(); // the session reconnects
      await vi.waitUntil(() => conns.length === 2 && answered.get(conns[1]!) === 3, { timeout: 5000 });
    } finally {
      await s.close();
      await server.close();
    }
    expect(most).toEqual([3, 1]);
  });
});
