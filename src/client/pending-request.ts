/**
 * A request in a connection's FIFO (client/reply-fifo.ts): what the caller asked (`SendSpec`), the
 * state the FIFO keeps for it until its reply (`Pending`), and what a reply line means for it
 * (`judgeReply`: libupsclient's checks of the keyword, the echoed names and LIST framing). Pure: no
 * socket, no timers; the FIFO settles the request and the connection does the I/O.
 */
import { classifyListLine } from "./list-framing.js";

/** One reply line: the raw text (without LF) and its words split with NUT's tokenizer. */
export interface Reply {
  line: string;
  words: string[];
}

export interface RequestOptions {
  /** Fail the request (and close the connection) when no complete reply arrived in this time. */
  timeoutMs?: number;
  /** Abort the request: it fails with NutAbortError; its reply is discarded when it comes. */
  signal?: AbortSignal;
  /**
   * false: `timeoutMs` is still the request's deadline, but no timer of the connection enforces it;
   * the caller does, by calling the connection's `checkDeadlines()` once it is due. For a caller that
   * wakes up by then anyway (the monitor's rounds, for its steady poll): one timer less refreshed per
   * request, and no wake-up of its own. Default true.
   */
  timer?: boolean;
}

const NO_ITEMS: Reply[] = [];
const unset = (): void => {};
/** Pending.promise until newPending sets it. */
const NO_PROMISE: Promise<unknown> = Promise.resolve();

export interface Pending {
  /**
   * What the caller asked: the label for error messages, and what the reply must look like (`expect`,
   * `echo`, `accept`, `listQuery`, `errAsReply`, `valueAfter`). Referred to, not copied: a request
   * object stays small (a monitor makes one per poll).
   */
  spec: SendSpec;
  /** The request line with its LF. */
  wire: string;
  listBegun: boolean;
  /** List items so far (a shared empty array for single-line requests). */
  items: Reply[];
  /** Turns the reply into the caller's value (may throw NutProtocolError). */
  map: ((reply: Reply) => unknown) | undefined;
  /** After this reply the reader stops: the socket is handed to TLS. */
  handOver: boolean;
  done: boolean;
  /**
   * The caller's callback, for requests issued with one (`NutConnection.requestThen`): called once,
   * instead of settling a promise. Undefined for promise requests.
   */
  callback: RequestCallback | undefined;
  /** The caller's promise and its settle functions (NO_PROMISE and no-ops for callback requests). */
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** monotonicMs() by which the reply must be complete (Infinity: no timeout). */
  deadline: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** How a callback request ends: `(undefined, value)` with its reply, `(error)` when it failed. */
export type RequestCallback = (err: Error | undefined, value?: unknown) => void;

export interface SendSpec {
  line: string;
  /** `line` with its LF, when the request was built once for many sends (client.ts, prepareGetVar). */
  wire?: string;
  /** Names the request in errors (never carries credentials). */
  label: string;
  /** Allowed first words of a single-line reply besides ERR; anything else is a reply mismatch. */
  expect?: readonly string[];
  /**
   * The words a non-ERR single-line reply must carry right after its first word, compared without
   * regard to case (libupsclient's verify_resp): `[ups, varName]` for `VAR <ups> <var> "<value>"`.
   * Missing or different words are a reply mismatch.
   */
  echo?: readonly string[];
  /**
   * A check of a non-ERR single-line reply's words, run when the reply arrives (after every earlier
   * reply): false makes it a reply mismatch. For shapes that depend on connection state (TRACKING).
   */
  accept?: (words: readonly string[]) => boolean;
  /** Makes this a LIST request: the query words after LIST, echoed in BEGIN/END and every item. */
  listQuery?: readonly string[];
  /** Resolve with ERR replies instead of rejecting (rawRequest). */
  errAsReply?: boolean;
  /**
   * The line was built by the encoder (src/protocol/encoder.ts) from encoded words, so it is known
   * to be printable ASCII without LF and is not checked again (hot path: every GET VAR).
   */
  encoded?: boolean;
  /**
   * Fast path for replies that echo these bare words and add one quoted value, e.g. `["VAR", ups,
   * varName]` for `VAR ups ups.status "OL"`: such a reply resolves with the value itself, without
   * splitting the line or calling `map` (which must give the same value for it). Any other reply
   * (ERR, escapes, other words) takes the general path.
   */
  valueAfter?: readonly string[];
}

/** The request for error messages: its line, or only its label when it carries credentials. */
export function requestText(p: Pending): string {
  const label = p.spec.label;
  return label === "USERNAME" || label === "PASSWORD" ? label : p.wire.slice(0, -1);
}

/** `words[1…]` start with `echo`, compared without regard to case (libupsclient: strcasecmp). */
function echoes(words: readonly string[], echo: readonly string[]): boolean {
  if (words.length <= echo.length) return false;
  for (let i = 0; i < echo.length; i++) {
    const w = words[i + 1]!;
    const e = echo[i]!;
    if (w !== e && w.toUpperCase() !== e.toUpperCase()) return false;
  }
  return true;
}

/** The request whose promise is being created: `settleWith` hands it the promise's settle functions. */
let creating: Pending | undefined;

/** The executor of every request's promise (one shared function instead of a closure per request). */
function settleWith(resolve: (value: unknown) => void, reject: (err: Error) => void): void {
  creating!.resolve = resolve;
  creating!.reject = reject;
}

/**
 * A new request and its promise, or with `callback` none (a poller's steady request: no promise, no
 * settle functions, no microtask for its reply). No deadline, not aborted yet: the connection arms those.
 */
export function newPending(
  spec: SendSpec,
  signal: AbortSignal | undefined,
  handOver: boolean,
  map: ((r: Reply) => unknown) | undefined,
  callback?: RequestCallback,
): Pending {
  const p: Pending = {
    spec,
    wire: spec.wire ?? `${spec.line}\n`,
    listBegun: false,
    items: spec.listQuery ? [] : NO_ITEMS,
    map,
    handOver,
    done: false,
    callback,
    promise: NO_PROMISE,
    resolve: unset,
    reject: unset,
    deadline: Number.POSITIVE_INFINITY,
    timeoutMs: 0,
    signal,
    onAbort: undefined,
  };
  if (callback !== undefined) return p;
  creating = p;
  p.promise = new Promise(settleWith);
  creating = undefined;
  return p;
}

/** What one reply line means for the oldest pending request. */
export type ReplyVerdict =
  | "reply" // its (single-line) reply: settle with it
  | "server-error" // ERR: settle with the server's error
  | "list-begin"
  | "list-item"
  | "list-end" // settle with the items
  | { mismatch: string }; // it does not answer the request: the detail for NutReplyMismatchError

export function judgeReply(p: Pending, words: readonly string[], line: string): ReplyVerdict {
  const spec = p.spec;
  const q = spec.listQuery;
  if (q) {
    switch (classifyListLine(words, q, p.listBegun)) {
      case "error":
        return "server-error";
      case "begin":
        return "list-begin";
      case "item":
        return "list-item";
      case "end":
        return "list-end";
      case "unexpected":
        return { mismatch: `reply does not frame LIST ${q.join(" ")}: ${line}` };
    }
  }
  if (words[0] === "ERR") return spec.errAsReply === true ? "reply" : "server-error";
  if (spec.expect && !spec.expect.includes(words[0] ?? "")) {
    return { mismatch: `unexpected reply to ${requestText(p)}: ${line}` };
  }
  if ((spec.echo && !echoes(words, spec.echo)) || (spec.accept && !spec.accept(words))) {
    return { mismatch: `reply does not answer ${requestText(p)}: ${line}` };
  }
  return "reply";
}
