/**
 * The TCP shell around the pure session: accepts connections on the LISTEN addresses, splits
 * bytes into request lines with the shared tokenizer, hands each line to `handleRequest`, and
 * writes all replies to one read in a single write (Nagle off). It enforces upsd's limits:
 * MAXCONN, the 60 s idle cutoff (no complete command), bounded output (reading pauses while a
 * client does not read its replies), and STARTTLS on the same socket.
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
}

interface Conn {
  socket: Socket;
  lastCommandMs: number;
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
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
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

  private accept(raw: Socket): void {
    const { model, log } = this.options;
    const address = (raw.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
    const session = model.openSession(address);
    const conn: Conn = { socket: raw, lastCommandMs: this.clock.now() };
    this.conns.add(conn);
    log.debug(`connect from ${address}`, 2);
    let tokenizer = new Tokenizer();
    let closing = false;

    // Lines read but not yet answered: a read is split into lines at once, but lines are answered
    // only while the client's unsent output stays under MAX_PENDING_OUTPUT_BYTES. The rest waits,
    // with reading paused, until the client has read its replies ("drain").
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
      // write() returns false when the data had to be buffered; only then does "drain" follow.
      const accepted = replies.length === 0 || socket.write(replies.join("\n") + "\n");
      if (after === "close") {
        closing = true;
        socket.end();
      } else if (after === "tls") {
        upgrade(socket);
      } else if (queue.length > 0) {
        waitingForDrain = true;
        socket.pause();
        const resume = () => {
          waitingForDrain = false;
          if (socket.destroyed) return;
          socket.resume();
          answerQueued();
        };
        if (accepted) setImmediate(resume);
        else socket.once("drain", resume);
      }
    };

    const onData = (chunk: Buffer) => {
      if (closing) return;
      for (const line of tokenizer.feed(chunk, { discardRestOfChunkOnError: true })) queue.push(line);
      if (!waitingForDrain) answerQueued();
    };

    const upgrade = (plain: Socket) => {
      plain.off("data", onData);
      const secure = new TLSSocket(plain, { isServer: true, secureContext: this.options.tls! });
      session.tls = true;
      tokenizer = new Tokenizer();
      conn.socket = secure;
      secure.on("data", onData);
      secure.on("error", (e) => {
        log.warning(`SSL handshake failed with ${address}: ${e.message}`);
        secure.destroy();
      });
    };

    raw.on("data", onData);
    raw.on("error", (e) => log.debug(`client ${address}: ${e.message}`, 2));
    raw.on("close", () => {
      this.conns.delete(conn);
      model.closeSession(session);
      log.debug(`disconnect from ${address}`, 2);
    });
  }
}
