/**
 * One NUT connection over one TCP socket: a FIFO of pending requests matched to replies in order
 * (so callers may pipeline), framing of single-line and `BEGIN LIST`/`END LIST` replies across any
 * TCP chunking, per-request timeout and AbortSignal, typed errors, STARTTLS on the same socket.
 *
 * Theory of operation:
 * - A request is a line plus what its reply looks like (one line, or a list with its query words).
 *   Lines are written in request order, coalesced into one write: at the end of the read that made
 *   room for them, otherwise once per event-loop turn (setImmediate). Each reply line goes to the
 *   oldest pending request; GET VAR replies of the usual shape are read off the buffer without
 *   splitting (reply-words.ts, quotedValueAfter).
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
 * - Replies are split with NUT's tokenizer rules but without its 512-character word limit, so a
 *   value longer than NUT's 512-byte line (which upsd never sends, but other servers may) arrives
 *   whole; a line past MAX_LINE_BYTES fails the connection instead.
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
  NutReplyMismatchError,
  NutServerError,
  NutTimeoutError,
  ServerDisconnectedError,
  serverErrorFromReply,
} from "../protocol/errors.js";
import { Tokenizer } from "../protocol/tokenizer.js";
import { DeadlineTimer, monotonicMs } from "./deadline-timer.js";
import { setChunkSink } from "./open-socket.js";
import {
  judgeReply,
  newPending,
  type Pending,
  type Reply,
  type RequestCallback,
  type RequestOptions,
  requestText,
  type SendSpec,
} from "./pending-request.js";
import { quotedValueAfter, splitSimpleReply } from "./reply-words.js";
import { RequestQueue } from "./request-queue.js";
import { type NutTlsOptions, tlsRefusal, upgradeToTls } from "./tls.js";

export type { Reply, RequestCallback, RequestOptions, SendSpec } from "./pending-request.js";

const DEFAULT_TIMEOUT_MS = 10_000;
/** upsd's reply buffer (NUT_NET_ANSWER_MAX): it cuts longer replies, and their LF with them. */
const NUT_LINE_BYTES = 512;
/** upsd never sends more than 512 bytes per line; anything far longer is not NUT. */
const MAX_LINE_BYTES = 64 * 1024;
/**
 * Reply lines keep NUT's word rules but not its 512-character word cut (that limit is upsd's own
 * line buffer): a longer value from a server that sends one is kept whole, never cut silently.
 */
const REPLY_LIMITS = { maxWordLength: MAX_LINE_BYTES } as const;
const NO_OPTIONS: RequestOptions = Object.freeze({});
const SETTLED = Promise.resolve();

export class NutConnection extends EventEmitter {
  private socket: net.Socket;
  private readonly queue = new RequestQueue<Pending>();
  private inBuf = "";
  /** How many of the oldest queued requests have been written to the socket. */
  private sentCount = 0;
  private readonly maxInFlight: number;
  private tokenizer = new Tokenizer(REPLY_LIMITS);
  private outBuf = "";
  private flushScheduled = false;
  /** True while receive() handles a chunk: writes wait for its end instead of a setImmediate. */
  private receiving = false;
  private closedWith: Error | undefined;
  private closing = false;
  private gate: Promise<void> | undefined;
  private readonly deadlines = new DeadlineTimer(() => this.checkDeadlines());
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
    this.maxInFlight = Math.max(1, maxInFlight ?? 100);
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
    return this.queue.length;
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
    const timeoutMs = o.timeoutMs ?? this.defaultTimeoutMs;
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      p.timeoutMs = timeoutMs;
      p.deadline = monotonicMs() + timeoutMs;
      this.deadlines.queued(p.deadline, timeoutMs, this.queue.length === 0);
    }
    if (signal) {
      p.onAbort = () => this.settle(p, new NutAbortError({ cause: signal.reason }));
      signal.addEventListener("abort", p.onAbort, { once: true });
    }
    this.queue.push(p);
    if (this.sentCount < this.maxInFlight) {
      this.sentCount++;
      this.write(p.wire);
    }
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

  /** Close at once, failing pending requests with a connection error. */
  destroy(): void {
    this.fail(new NutConnectionError("CLOSED", "Connection closed by client"), false);
  }

  private destroyed(): Promise<void> {
    if (this.closedWith) return Promise.resolve();
    return new Promise((r) => this.once("close", () => r()));
  }

  private drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.queue.length === 0 || this.closedWith) {
          this.off("idle", check);
          this.off("close", check);
          resolve();
        }
      };
      this.on("idle", check);
      this.on("close", check);
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
      this.readLines(buf.toString("latin1", 0, length));
    } finally {
      this.receiving = false;
    }
    // the requests these replies made room for go out now, before the callers' callbacks run,
    // so the server works on them meanwhile
    if (this.outBuf) this.flush();
  }

  private readLines(chunk: string): void {
    const text = this.inBuf ? this.inBuf + chunk : chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const from = start;
      start = nl + 1;
      if (nl - from > MAX_LINE_BYTES) {
        // checked here too, for a long line that arrived in one read: words are never cut
        this.fail(new NutProtocolError(`reply line longer than ${MAX_LINE_BYTES} bytes`));
        return;
      }
      // fast path (GET VAR): the value is read off the buffer, the line is never cut out
      const p = this.queue.peek();
      const value = p?.valueAfter ? quotedValueAfter(text, p.valueAfter, from, nl) : undefined;
      if (value !== undefined) {
        this.finish(p!, undefined, value, true);
        if (this.closedWith) return; // a callback request's caller closed it
        continue;
      }
      const handedOver = this.handleLine(text.slice(from, nl));
      if (this.closedWith) return;
      if (handedOver) {
        this.socket.pause();
        this.inBuf = "";
        if (start < text.length) this.socket.unshift(Buffer.from(text.slice(start), "latin1"));
        return;
      }
    }
    this.inBuf = start === 0 ? text : text.slice(start);
    if (this.inBuf.length > MAX_LINE_BYTES) {
      this.fail(new NutProtocolError(`reply line longer than ${MAX_LINE_BYTES} bytes`));
    }
  }

  /** Route one reply line to the oldest request. Returns true when the socket must go to TLS now. */
  private handleLine(line: string): boolean {
    const p = this.queue.peek();
    if (!p) {
      this.fail(new NutProtocolError(`reply with no request pending: ${line}`, line));
      return false;
    }
    let words: string[];
    try {
      words = this.splitReply(line);
    } catch (err) {
      // one bad line is still one line: the FIFO stays in step
      this.finish(p, new NutProtocolError(`cannot parse reply (${(err as Error).message}): ${line}`, line));
      return false;
    }
    const verdict = judgeReply(p, words, line);
    switch (verdict) {
      case "server-error":
        this.finish(p, serverErrorFromReply(words, line));
        return false;
      case "list-begin":
        p.listBegun = true;
        return false;
      case "list-item":
        p.items.push({ line, words });
        return false;
      case "list-end":
        this.finish(p, undefined, p.items);
        return false;
      case "reply":
        this.finish(p, undefined, { line, words });
        // only a successful STARTTLS hands the socket over; a refusal continues in plaintext
        return p.handOver && words[0] === "OK";
      default:
        this.mismatch(p, verdict.mismatch, line);
        return false;
    }
  }

  /** NUT's tokenizer on one reply line (one instance per connection; a parse error throws). */
  private splitReply(line: string): string[] {
    const simple = splitSimpleReply(line);
    if (simple) return simple;
    // the line is one char per byte (latin1): as bytes, the tokenizer decodes UTF-8 a server may send
    const out = this.tokenizer.feed(Buffer.from(line + "\n", "latin1"));
    const first = out[0];
    if (first?.kind === "line") return first.words;
    this.tokenizer = new Tokenizer(REPLY_LIMITS); // after an error it skips to the next LF; start clean instead
    throw new SyntaxError(first?.kind === "error" ? first.message : "unterminated quote");
  }

  /**
   * Remove the head request and settle it (unless it was already aborted): with `value` as is when
   * `isResult` (the fast path), otherwise with `map(value)`.
   */
  private finish(p: Pending, err: Error | undefined, value?: unknown, isResult = false): void {
    this.queue.shift();
    this.sentCount--;
    while (this.sentCount < this.maxInFlight && this.sentCount < this.queue.length) {
      this.write(this.queue.at(this.sentCount)!.wire);
      this.sentCount++;
    }
    if (!err && p.map && !p.done && !isResult) {
      try {
        value = p.map(value as Reply);
      } catch (e) {
        err = e as Error;
      }
    }
    this.settle(p, err, value);
    if (this.queue.length === 0) this.emit("idle");
  }

  private settle(p: Pending, err: Error | undefined, value?: unknown): void {
    if (p.done) return;
    p.done = true;
    if (p.signal && p.onAbort) p.signal.removeEventListener("abort", p.onAbort);
    if (p.callback !== undefined) {
      try {
        p.callback(err, value);
      } catch (thrown) {
        // the FIFO is already in step; a caller's bug surfaces as it would from a promise reaction
        queueMicrotask(() => {
          throw thrown;
        });
      }
    } else if (err) p.reject(err);
    else p.resolve(value!);
  }

  /** The reply does not answer `p`: fail it, and close the connection (nothing later can be matched). */
  private mismatch(p: Pending, detail: string, line: string): void {
    const err = new NutReplyMismatchError(requestText(p), detail, line);
    this.settle(p, err);
    this.fail(
      new NutConnectionError(
        "PROTOCOL-DESYNC",
        `Connection closed: a reply did not answer its request (${detail}), later replies could not be matched`,
        { cause: err },
      ),
    );
  }

  /** The deadline timer fired: time out an overdue request, or re-arm for the earliest one left. */
  private checkDeadlines(): void {
    const now = monotonicMs();
    let overdue: Pending | undefined;
    let earliest = Number.POSITIVE_INFINITY;
    this.queue.forEach((p) => {
      if (p.done) return;
      if (p.deadline <= now) overdue ??= p;
      else earliest = Math.min(earliest, p.deadline);
    });
    if (overdue) this.timedOut(overdue, overdue.timeoutMs);
    else if (earliest !== Number.POSITIVE_INFINITY) this.deadlines.arm(earliest);
  }

  private timedOut(p: Pending, timeoutMs: number): void {
    if (p.done) return;
    // upsd cuts a reply past its 512-byte buffer and sends it without its LF: say so, not just "no reply"
    const cut =
      this.inBuf.length >= NUT_LINE_BYTES
        ? ` (the reply stopped after ${this.inBuf.length} bytes without its line end: upsd cuts replies longer than ${NUT_LINE_BYTES} bytes)`
        : "";
    this.settle(p, new NutTimeoutError(`${p.label}: no reply within ${timeoutMs} ms${cut}`));
    this.fail(
      new NutConnectionError(
        "TIMEOUT-CLOSED",
        `Connection closed: ${p.label} got no reply within ${timeoutMs} ms, later replies could not be matched`,
      ),
    );
  }

  /** Close the connection for good and fail every pending request with `err`. */
  private fail(err: Error, emitError = true): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.deadlines.stop();
    this.detach(this.socket);
    this.socket.on("error", () => {});
    this.socket.destroy();
    for (const p of this.queue.drain()) this.settle(p, err);
    this.emit(
      "close",
      emitError && !(this.closing && err instanceof ServerDisconnectedError) ? err : undefined,
    );
  }
}
