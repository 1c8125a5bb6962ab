/**
 * One NUT connection over one TCP socket: requests in, replies matched to them in order (so callers
 * may pipeline), per-request timeout and AbortSignal, typed errors, STARTTLS on the same socket.
 *
 * Theory of operation:
 * - A request is a line plus what its reply looks like (one line, or a list with its query words).
 *   Lines are written in request order, coalesced into one write: at the end of the read that made
 *   room for them, otherwise once per synchronous run of requests (a microtask).
 * - The requests in flight and the reading of their replies are the FIFO's (reply-fifo.ts): framing of
 *   single-line and `BEGIN LIST`/`END LIST` replies across any TCP chunking, each reply line to the
 *   oldest request, deadlines. This class owns the socket and the connection's life around it.
 * - An aborted request stays in the FIFO, so its reply, when it comes, is consumed and discarded.
 * - A timed-out request means the server may never answer it; later replies could then no longer be
 *   matched, so the connection is closed and every other pending request fails with a clear error.
 * - A reply must answer its request, as libupsclient checks it: the keyword, the names it echoes
 *   (`VAR <ups> <var>`, `TYPE`, `DESC`, `CMDDESC`, `UPSDESC`, `NUMLOGINS`; compared without regard
 *   to case), LIST framing (`BEGIN LIST <query>`, every item starting with the query, `END LIST
 *   <query>`), and any shape check the command adds (`accept`, e.g. TRACKING). A reply that does
 *   not is a `NutReplyMismatchError` for that request and closes the connection, since later replies
 *   can no longer be matched: every other pending request fails with a `NutConnectionError`
 *   `PROTOCOL-DESYNC` whose cause is the mismatch.
 *
 * Must not: know command semantics (client.ts does), log, or retry (session.ts reconnects).
 */
import { EventEmitter } from "node:events";
import type net from "node:net";
import { isTransportable } from "../protocol/encoder.js";
import {
  describeSystemError,
  NutAbortError,
  NutConnectionError,
  NutProtocolError,
  NutServerError,
  ServerDisconnectedError,
} from "../protocol/errors.js";
import { setChunkSink } from "./open-socket.js";
import {
  newPending,
  type Reply,
  type RequestCallback,
  type RequestOptions,
  type SendSpec,
} from "./pending-request.js";
import { ReplyFifo } from "./reply-fifo.js";
import { type NutTlsOptions, tlsRefusal, upgradeToTls } from "./tls.js";

export type { Reply, RequestCallback, RequestOptions, SendSpec } from "./pending-request.js";

const DEFAULT_TIMEOUT_MS = 10_000;
const NO_OPTIONS: RequestOptions = Object.freeze({});
const SETTLED = Promise.resolve();

export class NutConnection extends EventEmitter {
  private socket: net.Socket;
  private readonly fifo: ReplyFifo;
  private outBuf = "";
  private flushScheduled = false;
  /** True while receive() handles a chunk: writes wait for its end instead of a microtask. */
  private receiving = false;
  private closedWith: Error | undefined;
  private closing = false;
  private gate: Promise<void> | undefined;
  /** drained()'s wait for the FIFO to empty. */
  private whenIdle: (() => void) | undefined;
  private readonly defaultTimeoutMs: number;
  private readonly onData = (chunk: Buffer) => this.receive(chunk, chunk.length);
  private readonly onChunk = (buf: Buffer, length: number) => this.receive(buf, length);
  private readonly onEnd = () => this.fail(new ServerDisconnectedError());
  private readonly onError = (err: NodeJS.ErrnoException) =>
    this.fail(
      new NutConnectionError(err.code ?? "ECONNECTION", `Receive failure: ${describeSystemError(err)}`, {
        cause: err,
      }),
    );
  private readonly onClose = () => this.fail(new ServerDisconnectedError());

  protected constructor(
    socket: net.Socket,
    readonly host: string,
    readonly port: number,
    requestTimeoutMs: number | undefined,
    maxInFlight?: number,
  ) {
    super();
    this.fifo = new ReplyFifo(
      {
        write: (wire) => this.write(wire),
        fail: (err) => this.fail(err),
        handOver: (rest) => this.handOver(rest),
        idle: () => this.whenIdle?.(),
      },
      Math.max(1, maxInFlight ?? 100),
    );
    this.socket = socket;
    this.defaultTimeoutMs = requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.attach(socket);
    if (socket.destroyed) queueMicrotask(() => this.fail(new ServerDisconnectedError()));
  }

  /** True until the connection closed (EOF, error, timeout, LOGOUT or close()). */
  get isOpen(): boolean {
    return this.closedWith === undefined;
  }

  /** Requests sent and not yet answered (including aborted ones whose reply is still due). */
  get pendingCount(): number {
    return this.fifo.length;
  }

  /** Whether the socket is encrypted. */
  get encrypted(): boolean {
    return "encrypted" in this.socket && this.socket.encrypted === true;
  }

  /** Send one line; resolves with its reply (one line, or the list items for list requests). */
  send(spec: SendSpec & { listQuery: readonly string[] }, o?: RequestOptions): Promise<Reply[]>;
  send(spec: SendSpec, o?: RequestOptions): Promise<Reply>;
  send(spec: SendSpec, o: RequestOptions = NO_OPTIONS): Promise<Reply | Reply[]> {
    return this.request(spec, undefined, o) as Promise<Reply | Reply[]>;
  }

  /**
   * Send one line and resolve with `map(reply)` (the reply itself, or the list items, without `map`).
   * `map` runs when the reply arrives, saving a promise per request on hot paths.
   */
  protected request<T>(
    spec: SendSpec,
    map: ((reply: Reply & Reply[]) => T) | undefined,
    o: RequestOptions = NO_OPTIONS,
  ): Promise<T> {
    if (this.gate) return this.gate.then(() => this.request(spec, map, o));
    return this.enqueue(spec, o, false, map as ((r: Reply) => unknown) | undefined) as Promise<T>;
  }

  /**
   * `request` for a caller that takes a callback instead of a promise (a poller's steady `GET VAR`):
   * `callback(undefined, map(reply))` or `callback(error)`, called once, never before this returns.
   * It runs inside the connection's read (or its failure); it must not throw (a throw is reported as
   * an uncaught exception, after the connection has done its bookkeeping).
   */
  protected requestThen(
    spec: SendSpec,
    map: ((reply: Reply) => unknown) | undefined,
    o: RequestOptions,
    callback: RequestCallback,
  ): void {
    if (this.gate) {
      this.gate.then(() => this.requestThen(spec, map, o, callback));
      return;
    }
    this.enqueue(spec, o, false, map, callback);
  }

  private enqueue(
    spec: SendSpec,
    o: RequestOptions,
    handOver = false,
    map?: (r: Reply) => unknown,
    callback?: RequestCallback,
  ): Promise<unknown> {
    const refused = this.refusal(spec, o);
    if (refused !== undefined) {
      if (callback === undefined) return Promise.reject(refused);
      queueMicrotask(() => callback(refused));
      return SETTLED;
    }
    const signal = o.signal;
    const p = newPending(spec, signal, handOver, map, callback);
    if (signal) {
      p.onAbort = () => this.fifo.settle(p, new NutAbortError({ cause: signal.reason }));
      signal.addEventListener("abort", p.onAbort, { once: true });
    }
    this.fifo.add(p, o.timeoutMs ?? this.defaultTimeoutMs, o.timer !== false);
    return p.promise;
  }

  /** Why a request cannot be sent now (closed, closing, a line NUT cannot carry, aborted), or undefined. */
  private refusal(spec: SendSpec, o: RequestOptions): Error | undefined {
    if (this.closedWith) return this.closedWith;
    if (this.closing) return new NutConnectionError("CLOSING", "Connection is closing");
    if (!spec.encoded && (!isTransportable(spec.line) || spec.line.includes("\n"))) {
      return new TypeError(`request line has characters NUT cannot carry: ${JSON.stringify(spec.label)}`);
    }
    if (o.signal?.aborted) return new NutAbortError({ cause: o.signal.reason });
    return undefined;
  }

  /**
   * STARTTLS on this connection: waits until every earlier request is answered, sends STARTTLS,
   * and on `OK STARTTLS` upgrades the same socket. Requests issued meanwhile wait and go out encrypted.
   * Resolves to whether the connection is now encrypted (false: the server refused, not `required`).
   */
  async startTls(options: NutTlsOptions = {}, o: RequestOptions = {}): Promise<boolean> {
    if (this.gate) throw new NutConnectionError("TLS-IN-PROGRESS", "STARTTLS is already in progress");
    let open!: () => void;
    this.gate = new Promise<void>((r) => (open = r));
    try {
      await this.drained();
      let reply: Reply;
      try {
        reply = (await this.enqueue({ line: "STARTTLS", label: "STARTTLS" }, o, true)) as Reply;
      } catch (err) {
        if (err instanceof NutServerError) {
          const refusal = tlsRefusal(err, options);
          if (refusal) {
            this.fail(refusal);
            throw refusal;
          }
          return false;
        }
        throw err;
      }
      if (reply.words[0] !== "OK" || reply.words[1] !== "STARTTLS") {
        const err = new NutProtocolError(`unexpected reply to STARTTLS: ${reply.line}`, reply.line);
        this.fail(err);
        throw err;
      }
      const plain = this.socket;
      this.detach(plain);
      plain.on("error", () => {}); // until TLS owns it
      try {
        const secure = await upgradeToTls(plain, options);
        this.socket = secure;
        this.attach(secure);
        return true;
      } catch (err) {
        this.fail(err as Error);
        throw err;
      }
    } finally {
      this.gate = undefined;
      open();
    }
  }

  /**
   * Send LOGOUT (after every pending request), wait briefly for `OK Goodbye` or EOF, then close.
   * Never rejects.
   */
  async close(o: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closedWith || this.closing) return this.destroyed();
    const logout = this.send(
      { line: "LOGOUT", label: "LOGOUT", errAsReply: true },
      { timeoutMs: o.timeoutMs ?? 2000 },
    );
    this.closing = true;
    await logout.catch(() => {});
    this.destroy();
  }

  /**
   * Time out every request past its deadline now, as the connection's deadline timer would (the
   * request fails with NutTimeoutError and the connection closes): for requests sent with
   * `timer: false`, whose caller keeps their deadlines. When none is overdue yet, the connection's
   * timer is armed for the earliest deadline, so a call a little early still times it out on time.
   */
  checkDeadlines(): void {
    this.fifo.checkDeadlines();
  }

  /** Close at once, failing pending requests with a connection error. */
  destroy(): void {
    this.fail(new NutConnectionError("CLOSED", "Connection closed by client"), false);
  }

  private destroyed(): Promise<void> {
    if (this.closedWith) return Promise.resolve();
    return new Promise((r) => this.once("close", () => r()));
  }

  private drained(): Promise<void> {
    if (this.fifo.length === 0 || this.closedWith) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.whenIdle = undefined;
        this.off("close", done);
        resolve();
      };
      this.whenIdle = done;
      this.on("close", done);
    });
  }

  private attach(s: net.Socket): void {
    // sockets from openSocket() hand over their reads directly; others (TLS) emit 'data'
    if (!setChunkSink(s, this.onChunk)) s.on("data", this.onData);
    s.on("end", this.onEnd);
    s.on("error", this.onError);
    s.on("close", this.onClose);
  }

  private detach(s: net.Socket): void {
    if (!setChunkSink(s, undefined)) s.off("data", this.onData);
    s.off("end", this.onEnd);
    s.off("error", this.onError);
    s.off("close", this.onClose);
  }

  private write(data: string): void {
    this.outBuf += data;
    if (this.flushScheduled || this.receiving) return; // receive() flushes when it is done
    this.flushScheduled = true;
    // a microtask, not setImmediate: requests issued in the same synchronous run still share one
    // write, and an idle monitor's poll does not cost an extra event-loop turn. A reaction on a settled
    // promise rather than queueMicrotask(), which makes an AsyncResource and a bound function per call
    SETTLED.then(this.flush);
  }

  /** Writes everything queued since the last flush in one write (once per synchronous run of requests). */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const out = this.outBuf;
    this.outBuf = "";
    // request lines are printable ASCII (checked in enqueue), so UTF-8, the socket's default, writes the
    // same bytes as latin1 without the stream looking the encoding name up on every write
    if (out && !this.closedWith) this.socket.write(out);
  };

  private receive(buf: Buffer, length: number): void {
    this.receiving = true;
    try {
      this.fifo.read(buf.toString("latin1", 0, length));
    } finally {
      this.receiving = false;
    }
    // the requests these replies made room for go out now, before the callers' callbacks run,
    // so the server works on them meanwhile
    if (this.outBuf) this.flush();
  }

  /** A successful STARTTLS reply was read: the socket stops here; what came after it is TLS's. */
  private handOver(rest: string): void {
    this.socket.pause();
    if (rest) this.socket.unshift(Buffer.from(rest, "latin1"));
  }

  /** Close the connection for good and fail every pending request with `err`. */
  private fail(err: Error, emitError = true): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.detach(this.socket);
    this.socket.on("error", () => {});
    this.socket.destroy();
    this.fifo.failAll(err);
    this.emit(
      "close",
      emitError && !(this.closing && err instanceof ServerDisconnectedError) ? err : undefined,
    );
  }
}
