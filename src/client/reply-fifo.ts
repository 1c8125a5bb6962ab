/**
 * The requests in flight on one NUT connection (connection.ts), matched to the reply lines it reads,
 * in order: the FIFO, the reading of lines across any TCP chunking, the judging of each line against
 * the oldest request (pending-request.ts' judgeReply), the settling of requests, and their deadlines.
 *
 * - At most `maxInFlight` requests are written ahead of their replies; the rest are written as
 *   replies make room.
 * - GET VAR replies of the usual shape are read off the buffer without splitting (reply-words.ts,
 *   quotedValueAfter); other lines are split with NUT's tokenizer rules, without its 512-character
 *   word limit, so a longer value from a server that sends one arrives whole; a line past
 *   MAX_LINE_BYTES fails the connection instead.
 * - A reply that does not answer its request, or a request past its deadline, closes the connection
 *   (later replies could no longer be matched): the host's `fail`, which ends here in `failAll`.
 *
 * Must not: touch the socket (the host writes, hands the socket to TLS and closes it), log, or retry.
 */
import {
  NutConnectionError,
  NutProtocolError,
  NutReplyMismatchError,
  NutTimeoutError,
  serverErrorFromReply,
} from "../protocol/errors.js";
import { Tokenizer } from "../protocol/tokenizer.js";
import { DeadlineTimer, monotonicMs } from "./deadline-timer.js";
import { judgeReply, type Pending, type Reply, requestText } from "./pending-request.js";
import { quotedValueAfter, splitSimpleReply } from "./reply-words.js";
import { RequestQueue } from "./request-queue.js";

/** upsd's reply buffer (NUT_NET_ANSWER_MAX): it cuts longer replies, and their LF with them. */
const NUT_LINE_BYTES = 512;
/** upsd never sends more than 512 bytes per line; anything far longer is not NUT. */
export const MAX_LINE_BYTES = 64 * 1024;
/**
 * Reply lines keep NUT's word rules but not its 512-character word cut (that limit is upsd's own
 * line buffer): a longer value from a server that sends one is kept whole, never cut silently.
 */
const REPLY_LIMITS = { maxWordLength: MAX_LINE_BYTES } as const;

/** What the FIFO asks of its connection. */
export interface FifoHost {
  /** Write a request line (with its LF): at once or with the next flush, in the order given. */
  write(wire: string): void;
  /** Close the connection for good with `err`; the host then calls `failAll(err)`. */
  fail(err: Error): void;
  /** A successful STARTTLS reply was read; `rest` (latin1) came after it and belongs to TLS. */
  handOver(rest: string): void;
  /** Every request has been answered. */
  idle(): void;
}

export class ReplyFifo {
  private readonly queue = new RequestQueue<Pending>();
  /** How many of the oldest queued requests have been written. */
  private sentCount = 0;
  /** The start of a reply line whose LF has not arrived yet. */
  private inBuf = "";
  private tokenizer = new Tokenizer(REPLY_LIMITS);
  private readonly deadlines = new DeadlineTimer(() => this.checkDeadlines());
  private closed = false;

  constructor(
    private readonly host: FifoHost,
    private readonly maxInFlight: number,
  ) {}

  /** Requests sent and not yet answered (including aborted ones whose reply is still due). */
  get length(): number {
    return this.queue.length;
  }

  /**
   * Queue `p` (due within `timeoutMs`, when finite and positive) and write it when there is room.
   * `timer` false: the deadline is only checked when `checkDeadlines()` is called (or the timer runs
   * for another request).
   */
  add(p: Pending, timeoutMs: number, timer = true): void {
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      p.timeoutMs = timeoutMs;
      p.deadline = monotonicMs() + timeoutMs;
      if (timer) this.deadlines.queued(p.deadline, timeoutMs, this.queue.length === 0);
    }
    this.queue.push(p);
    if (this.sentCount < this.maxInFlight) {
      this.sentCount++;
      this.host.write(p.wire);
    }
  }

  /** Text read from the socket (latin1: one char per byte). */
  read(chunk: string): void {
    const text = this.inBuf ? this.inBuf + chunk : chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const from = start;
      start = nl + 1;
      if (nl - from > MAX_LINE_BYTES) {
        // checked here too, for a long line that arrived in one read: words are never cut
        this.host.fail(new NutProtocolError(`reply line longer than ${MAX_LINE_BYTES} bytes`));
        return;
      }
      // fast path (GET VAR): the value is read off the buffer, the line is never cut out
      const p = this.queue.peek();
      const valueAfter = p?.spec.valueAfter;
      const value = valueAfter ? quotedValueAfter(text, valueAfter, from, nl) : undefined;
      if (value !== undefined) {
        this.finish(p!, undefined, value, true);
        if (this.closed) return; // a callback request's caller closed the connection
        continue;
      }
      const handedOver = this.handleLine(text.slice(from, nl));
      if (this.closed) return;
      if (handedOver) {
        this.inBuf = "";
        this.host.handOver(text.slice(start));
        return;
      }
    }
    this.inBuf = start === 0 ? text : text.slice(start);
    if (this.inBuf.length > MAX_LINE_BYTES) {
      this.host.fail(new NutProtocolError(`reply line longer than ${MAX_LINE_BYTES} bytes`));
    }
  }

  /** Settle `p` (once; later calls do nothing): its callback, or its promise. */
  settle(p: Pending, err: Error | undefined, value?: unknown): void {
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

  /** The connection closed with `err`: every request still queued fails with it. */
  failAll(err: Error): void {
    this.closed = true;
    this.deadlines.stop();
    for (const p of this.queue.drain()) this.settle(p, err);
  }

  /** Route one reply line to the oldest request. Returns true when the socket must go to TLS now. */
  private handleLine(line: string): boolean {
    const p = this.queue.peek();
    if (!p) {
      this.host.fail(new NutProtocolError(`reply with no request pending: ${line}`, line));
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
    const out = this.tokenizer.feed(Buffer.from(`${line}\n`, "latin1"));
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
      this.host.write(this.queue.at(this.sentCount)!.wire);
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
    if (this.queue.length === 0) this.host.idle();
  }

  /** The reply does not answer `p`: fail it, and close the connection (nothing later can be matched). */
  private mismatch(p: Pending, detail: string, line: string): void {
    const err = new NutReplyMismatchError(requestText(p), detail, line);
    this.settle(p, err);
    this.host.fail(
      new NutConnectionError(
        "PROTOCOL-DESYNC",
        `Connection closed: a reply did not answer its request (${detail}), later replies could not be matched`,
        { cause: err },
      ),
    );
  }

  /**
   * Time out an overdue request (closing the connection), or arm the timer for the earliest deadline
   * left: when the deadline timer fires, and when a caller that keeps its requests' deadlines asks.
   */
  checkDeadlines(): void {
    if (this.closed) return;
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
    this.settle(p, new NutTimeoutError(`${p.spec.label}: no reply within ${timeoutMs} ms${cut}`));
    this.host.fail(
      new NutConnectionError(
        "TIMEOUT-CLOSED",
        `Connection closed: ${p.spec.label} got no reply within ${timeoutMs} ms, later replies could not be matched`,
      ),
    );
  }
}
