// NutSession: backoff rules with injected timers, and a real reconnect (re-auth, re-LOGIN, PRIMARY)
// across an upsd restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type NutClient,
  NutSession,
  type SessionStateChange,
  type SessionTimers,
} from "../../src/client/index.js";
import { AccessDeniedError, NutConnectionError } from "../../src/protocol/errors.js";
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
});
