/**
 * The TCP shell around the pure session: accepts connections on the LISTEN addresses, splits
 * bytes into request lines with the shared tokenizer, hands each line to `handleRequest`, and
 * writes all replies to one read in a single write (Nagle off). It enforces upsd's limits:
 * MAXCONN, the 60 s idle cutoff (no complete command), bounded output (reading pauses while a
 * client does not read its replies; past a bound for all clients together, the client holding the
 * most is dropped), and STARTTLS on the same socket.
 *
 * It must not interpret commands (that is session.ts) nor know about simulations.
 */
import { createServer, type Server, type Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";
import type { ListenAddress } from "../config/upsd-conf.js";
import { type TokenizedLine, Tokenizer } from "../protocol/tokenizer.js";
import { type Clock, type ClockTimer, realClock, repeatEvery } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { ServerModel } from "./model.js";
import { handleRequest } from "./session.js";

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Stop reading from a client while this much of its output is still unsent. */
const MAX_PENDING_OUTPUT_BYTES = 256 * 1024;
/**
 * What all clients together may hold (unsent replies plus unanswered requests) before the one
 * holding the most is dropped: 32 MiB, about 100 clients that stopped reading with a full backlog.
 */
export const DEFAULT_MAX_HELD_BYTES = 32 * 1024 * 1024;
/** What a queued request line costs beyond its words (its objects, measured: ~140 bytes), in the held-bytes count. */
const QUEUED_LINE_OVERHEAD_BYTES = 128;

function queuedCost(line: TokenizedLine): number {
  if (line.kind === "error") return QUEUED_LINE_OVERHEAD_BYTES;
  let bytes = QUEUED_LINE_OVERHEAD_BYTES;
  for (const w of line.words) bytes += w.length + 1;
  return bytes;
}

export interface ListenerOptions {
  model: ServerModel;
  addresses: ListenAddress[];
  maxConn: number;
  log: Logger;
  /** Secure context for STARTTLS (from CERTFILE); undefined when TLS is not configured. */
  tls?: SecureContext | undefined;
  idleTimeoutMs?: number;
  /** Time for the idle cutoff and the sessions (default: the real clock). */
  clock?: Clock;
  /** Bound on what all clients together hold (default DEFAULT_MAX_HELD_BYTES). */
  maxHeldBytes?: number;
}

interface Conn {
  socket: Socket;
  address: string;
  lastCommandMs: number;
  /** Bytes of request lines read but not yet answered (see queuedCost). */
  queuedBytes: number;
}

/** Memory held for one client: its unsent replies plus its unanswered requests. */
function heldBytes(c: Conn): number {
  return c.socket.writableLength + c.queuedBytes;
}

export class NutListener {
  private readonly servers: Server[] = [];
  private readonly conns = new Set<Conn>();
  private sweepTimer: ClockTimer | undefined;
  private readonly idleTimeoutMs: number;
  private readonly clock: Clock;
  /** Addresses actually bound (a port 0 in the config is replaced by the port chosen). */
  readonly bound: ListenAddress[] = [];

  constructor(private readonly options: ListenerOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.clock = options.clock ?? realClock;
  }

  /** Reply bytes written but not yet taken by clients, over all connections. */
  get unsentOutputBytes(): number {
    let total = 0;
    for (const c of this.conns) total += c.socket.writableLength;
    return total;
  }

  async start(): Promise<ListenAddress[]> {
    for (const addr of this.options.addresses) {
      // allowHalfOpen: a client's FIN must not end our side while replies are still queued (Node
      // would end the socket at once and drop every later write); we end it when the queue is done.
      const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
      server.maxConnections = this.options.maxConn;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host: addr.host, port: addr.port, backlog: 4096 }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      server.on("error", (e) => this.options.log.error(`listener error: ${e.message}`));
      const a = server.address();
      const port = a && typeof a === "object" ? a.port : addr.port;
      this.bound.push({ host: addr.host, port });
      this.options.log.info(`listening on ${addr.host} port ${port}`);
      this.servers.push(server);
    }
    const sweepEveryMs = Math.max(100, Math.min(5000, Math.floor(this.idleTimeoutMs / 4)));
    this.sweepTimer = repeatEvery(this.clock, sweepEveryMs, () => this.sweepIdle(), { unref: true });
    return this.bound;
  }

  async close(): Promise<void> {
    this.sweepTimer?.cancel();
    for (const c of this.conns) c.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
  }

  private sweepIdle(): void {
    const limit = this.clock.now() - this.idleTimeoutMs;
    for (const c of this.conns) {
      if (c.lastCommandMs < limit) {
        this.options.log.debug(`dropping idle client ${c.socket.remoteAddress ?? "?"}`);
        c.socket.destroy();
      }
    }
  }

  /** Past the bound for all clients, drop the client holding the most until under it again. */
  private enforceHeldBound(): void {
    const limit = this.options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    const live = [...this.conns].filter((c) => !c.socket.destroyed);
    let total = 0;
    for (const c of live) total += heldBytes(c);
    while (total > limit && live.length > 0) {
      let worst = 0;
      for (let i = 1; i < live.length; i++) if (heldBytes(live[i]!) > heldBytes(live[worst]!)) worst = i;
      const [c] = live.splice(worst, 1);
      const held = heldBytes(c!);
      this.options.log.warning(
        `Dropping client ${c!.address}: it holds ${held} bytes of unread replies and unanswered requests, ` +
          `all clients ${total} bytes (limit ${limit})`,
      );
      c!.socket.destroy();
      total -= held;
    }
  }

  private accept(raw: Socket): void {
    const { model, log } = this.options;
    const address = (raw.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
    const session = model.openSession(address);
    const conn: Conn = { socket: raw, address, lastCommandMs: this.clock.now(), queuedBytes: 0 };
    this.conns.add(conn);
    log.debug(`connect from ${address}`, 2);
    let tokenizer = new Tokenizer();
    let closing = false;
    /** The client half-closed: end our side once every line it sent has been answered. */
    let peerEnded = false;

    // Lines read but not yet answered: a read is split into lines at once, but lines are answered
    // only while the client's unsent output stays under MAX_PENDING_OUTPUT_BYTES. The rest waits,
    // with reading paused until all are answered, while the client has not read its replies ("drain").
    let queue: TokenizedLine[] = [];
    let waitingForDrain = false;

    const answerQueued = () => {
      const socket = conn.socket;
      const replies: string[] = [];
      let replyBytes = 0;
      let after: "close" | "tls" | undefined;
      let next = 0;
      while (next < queue.length && socket.writableLength + replyBytes < MAX_PENDING_OUTPUT_BYTES) {
        const line = queue[next++]!;
        conn.queuedBytes -= queuedCost(line);
        if (line.kind === "error") {
          log.debug(`Parse error on sock: ${line.message}`);
          continue;
        }
        conn.lastCommandMs = this.clock.now();
        const out = handleRequest(model, session, line.words, conn.lastCommandMs);
        for (const r of out.replies) {
          replies.push(r);
          replyBytes += r.length + 1;
        }
        for (const n of out.notices) log.notice(n);
        if (out.close) after = "close";
        else if (out.startTls) after = "tls";
        if (after) break; // what follows LOGOUT or STARTTLS in the same read is not a command
      }
      queue = after ? [] : queue.slice(next);
      if (after) conn.queuedBytes = 0;
      // write() returns false when the data had to be buffered; only then does "drain" follow.
      const accepted = replies.length === 0 || socket.write(replies.join("\n") + "\n");
      if (after === "close") {
        closing = true;
        socket.end();
      } else if (after === "tls") {
        upgrade(socket);
      } else if (queue.length === 0) {
        if (peerEnded) socket.end();
        else socket.resume(); // read more only once every line read so far is answered
      } else {
        waitingForDrain = true;
        socket.pause();
        // only a client whose replies pile up gets here: then check the bound for all clients
        this.enforceHeldBound();
        if (socket.destroyed) return;
        // reading stays paused until the queue is empty: a client that sends faster than it reads
        // costs its unsent replies plus the lines of one read, not everything it sent
        const resume = () => {
          waitingForDrain = false;
          if (socket.destroyed) return;
          answerQueued();
        };
        if (accepted) setImmediate(resume);
        else socket.once("drain", resume);
      }
    };

    const onData = (chunk: Buffer) => {
      if (closing) return;
      for (const line of tokenizer.feed(chunk, { discardRestOfChunkOnError: true })) {
        queue.push(line);
        conn.queuedBytes += queuedCost(line);
      }
      if (!waitingForDrain) answerQueued();
    };

    const onEnd = () => {
      peerEnded = true;
      if (!waitingForDrain && queue.length === 0) conn.socket.end();
    };

    const upgrade = (plain: Socket) => {
      plain.off("data", onData);
      plain.off("end", onEnd);
      const secure = new TLSSocket(plain, { isServer: true, secureContext: this.options.tls! });
      session.tls = true;
      tokenizer = new Tokenizer();
      conn.socket = secure;
      secure.on("data", onData);
      secure.on("end", onEnd);
      secure.on("error", (e) => {
        log.warning(`SSL handshake failed with ${address}: ${e.message}`);
        secure.destroy();
      });
    };

    raw.on("data", onData);
    raw.on("end", onEnd);
    raw.on("error", (e) => log.debug(`client ${address}: ${e.message}`, 2));
    raw.on("close", () => {
      this.conns.delete(conn);
      model.closeSession(session);
      log.debug(`disconnect from ${address}`, 2);
    });
  }
}
