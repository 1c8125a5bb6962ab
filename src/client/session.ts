/**
 * NutSession: a long-lived NUT connection for a monitor. It connects, authenticates (USERNAME,
 * PASSWORD), LOGINs and asks for PRIMARY (MASTER fallback) like upsmon, and after any drop does it
 * all again with exponential backoff, emitting every state change.
 *
 * Events: `"state"` with a `SessionStateChange` ("connecting" → "connected", or "disconnected" with
 * the error and the delay before the next attempt; "closed" after close()).
 * With `keepWithoutLogin`, a LOGIN the server refuses (an ERR reply) does not drop the connection:
 * it stays, not logged in (upsmon keeps polling on it), and "connected" carries `loginRefused`.
 * Timers and the connect function are injectable, so the backoff rules are testable without waiting.
 *
 * Must not: poll, interpret UPS status (the monitor does), or log.
 */
import { EventEmitter } from "node:events";
import { NutConnectionError, NutServerError, ServerDisconnectedError } from "../protocol/errors.js";
import { NutClient } from "./client.js";
import type { ConnectOptions } from "./open-socket.js";

export type SessionState = "idle" | "connecting" | "connected" | "disconnected" | "closed";

export interface SessionStateChange {
  state: SessionState;
  /** Why the session is disconnected (connect, authentication or a dropped connection). */
  error?: Error;
  /** Delay before the next attempt, when disconnected. */
  retryInMs?: number;
  /** Consecutive failed attempts so far (0 once connected). */
  failures: number;
  /** When connected with `primary`: which command was granted. */
  granted?: "PRIMARY" | "MASTER";
  /** When connected with `keepWithoutLogin` and the server refused LOGIN: its ERR reply. */
  loginRefused?: NutServerError;
}

export interface SessionTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface NutSessionOptions extends ConnectOptions {
  username?: string;
  password?: string;
  /** UPS to LOGIN to after authenticating (counts in NUMLOGINS, like upsmon). */
  login?: string;
  /** After LOGIN, ask for PRIMARY (MASTER fallback). Needs `login`. */
  primary?: boolean;
  /**
   * When the server answers LOGIN with an ERR (e.g. ACCESS-DENIED: no `upsmon` line in upsd.users),
   * stay connected without LOGIN (and without PRIMARY) instead of reconnecting: what upsmon does.
   */
  keepWithoutLogin?: boolean;
  /** Reconnect delays: initialMs · factor^(failures-1), capped at maxMs. Defaults 500 ms, 2, 30000 ms. */
  backoff?: { initialMs?: number; factor?: number; maxMs?: number };
  timers?: SessionTimers;
  /** How to open a connection (default NutClient.connect). */
  connect?: (o: ConnectOptions) => Promise<NutClient>;
}

const realTimers: SessionTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class NutSession extends EventEmitter {
  private current: NutClient | undefined;
  private stateNow: SessionState = "idle";
  private failures = 0;
  private retryTimer: unknown;
  private readonly timers: SessionTimers;
  private readonly o: NutSessionOptions;

  constructor(o: NutSessionOptions) {
    super();
    this.o = { ...o };
    this.timers = o.timers ?? realTimers;
  }

  /** Most requests in flight on the connections opened from now on (1: one request at a time). */
  setMaxInFlight(n: number): void {
    this.o.maxInFlight = n;
  }

  get state(): SessionState {
    return this.stateNow;
  }

  /** The connected, authenticated client, or undefined while not connected. */
  get client(): NutClient | undefined {
    return this.current;
  }

  /** Start connecting (once). */
  start(): void {
    if (this.stateNow !== "idle") return;
    void this.attempt();
  }

  /** Resolves with the client once connected (now, or at the next successful attempt). */
  whenConnected(signal?: AbortSignal): Promise<NutClient> {
    if (this.current) return Promise.resolve(this.current);
    if (this.stateNow === "closed") return Promise.reject(new NutConnectionError("CLOSED", "Session closed"));
    return new Promise((resolve, reject) => {
      const onState = (c: SessionStateChange) => {
        if (c.state === "connected" && this.current) done(undefined, this.current);
        else if (c.state === "closed") done(new NutConnectionError("CLOSED", "Session closed"));
      };
      const onAbort = () => done(new NutConnectionError("ABORTED", "Stopped waiting for the connection"));
      const done = (err: Error | undefined, client?: NutClient) => {
        this.off("state", onState);
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(client!);
      };
      this.on("state", onState);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Stop reconnecting and close the connection (LOGOUT). */
  async close(): Promise<void> {
    if (this.stateNow === "closed") return;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const c = this.current;
    this.current = undefined;
    this.setState({ state: "closed", failures: this.failures });
    await c?.close();
  }

  private setState(change: SessionStateChange): void {
    this.stateNow = change.state;
    this.emit("state", change);
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stateNow === "closed") return;
    this.setState({ state: "connecting", failures: this.failures });
    let client: NutClient | undefined;
    try {
      client = await (this.o.connect ?? NutClient.connect)(this.o);
      const { granted, loginRefused } = await this.register(client);
      if (!client.isOpen) throw new ServerDisconnectedError();
      if ((this.stateNow as SessionState) === "closed") {
        await client.close();
        return;
      }
      const c = client;
      this.current = c;
      this.failures = 0;
      c.once("close", (err?: Error) => this.dropped(c, err));
      const change: SessionStateChange = { state: "connected", failures: 0 };
      if (granted) change.granted = granted;
      if (loginRefused) change.loginRefused = loginRefused;
      this.setState(change);
    } catch (err) {
      client?.destroy();
      if ((this.stateNow as SessionState) === "closed") return;
      this.retry(err as Error);
    }
  }

  /** USERNAME, PASSWORD and LOGIN pipelined, then PRIMARY (MASTER fallback). */
  private async register(c: NutClient): Promise<{
    granted?: "PRIMARY" | "MASTER";
    loginRefused?: NutServerError;
  }> {
    const steps: Promise<void>[] = [];
    if (this.o.username !== undefined) steps.push(c.username(this.o.username));
    if (this.o.password !== undefined) steps.push(c.password(this.o.password));
    if (this.o.login !== undefined) steps.push(c.login(this.o.login));
    // settle all before reporting the first failure, so no rejection goes unhandled
    const results = await Promise.allSettled(steps);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) {
      const reason = (failed as PromiseRejectedResult).reason;
      // only LOGIN failed, with an ERR reply: stay connected without it (upsmon keeps polling)
      const loginOnly = failed === results.at(-1) && this.o.login !== undefined;
      if (loginOnly && this.o.keepWithoutLogin && reason instanceof NutServerError) {
        return { loginRefused: reason };
      }
      throw reason;
    }
    if (this.o.primary && this.o.login !== undefined) return { granted: await c.primary(this.o.login) };
    return {};
  }

  private dropped(c: NutClient, err: Error | undefined): void {
    if (this.current !== c) return;
    this.current = undefined;
    if (this.stateNow === "closed") return;
    this.retry(err ?? new ServerDisconnectedError());
  }

  private retry(error: Error): void {
    this.failures++;
    const b = this.o.backoff ?? {};
    const initial = b.initialMs ?? 500;
    const delay = Math.min(b.maxMs ?? 30_000, initial * (b.factor ?? 2) ** (this.failures - 1));
    this.setState({ state: "disconnected", error, retryInMs: delay, failures: this.failures });
    this.retryTimer = this.timers.setTimeout(() => void this.attempt(), delay);
  }
}
