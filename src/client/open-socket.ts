/**
 * Opening the TCP connection to upsd: connect timeout, TCP_NODELAY, and errors worded like
 * libupsclient's ("No such host", "Connection failure: Connection refused").
 *
 * Must not: send anything on the socket (the connection does).
 */
import net from "node:net";
import { NUT_DEFAULT_PORT } from "../protocol/defaults.js";
import { describeSystemError, NutConnectionError } from "../protocol/errors.js";
import type { NutTlsOptions } from "./tls.js";

/** upsd's port (the protocol room's NUT_DEFAULT_PORT, under the client's public name). */
export const NUT_PORT = NUT_DEFAULT_PORT;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  host: string;
  port?: number;
  /** Default 10000 ms, like NUT's tools. */
  connectTimeoutMs?: number;
  /** Resolve and connect over IPv4 only (4) or IPv6 only (6), as upsmon's -4/-6; default either. */
  family?: 4 | 6;
  /** Default for every request; default 10000 ms. */
  requestTimeoutMs?: number;
  /** Upgrade with STARTTLS right after connecting (plaintext on refusal unless `required`). */
  tls?: NutTlsOptions;
  /**
   * Most requests written but not yet answered (default 100). More may be issued; they wait in the
   * FIFO and go out as replies come in. Keeping the client writing while replies arrive lets its ACKs
   * ride on requests instead of waiting for Linux's delayed-ACK timer against upsd's Nagle writes.
   */
  maxInFlight?: number;
}

/** Receives each chunk read from a socket opened here: `buf` holds `length` new bytes, valid until it returns. */
export type ChunkSink = (buf: Buffer, length: number) => void;

interface SocketReader {
  sink: ChunkSink | undefined;
}

/**
 * Sockets opened here read straight into one buffer (net's `onread`) instead of allocating a Buffer
 * per read and passing it through the readable stream: a monitor polling once a second spends most
 * of its CPU in that machinery. One buffer serves every socket: each read is handed to its sink,
 * which must copy what it keeps, before the next read can happen. Without a sink (before a connection
 * attaches, after it detaches for STARTTLS) a read is copied into the socket's own readable stream,
 * so the socket behaves like any other: 'data', read(), and TLS picks up what is buffered.
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);
const readers = new WeakMap<net.Socket, SocketReader>();

/**
 * Route the reads of a socket opened by openSocket() to `sink`, first what its stream buffered
 * (undefined: back to the stream). Returns false for any other socket (a TLS socket, a test's
 * socket): use 'data' events.
 */
export function setChunkSink(socket: net.Socket, sink: ChunkSink | undefined): boolean {
  const reader = readers.get(socket);
  if (!reader) return false;
  reader.sink = sink;
  for (let chunk: Buffer | null; sink && reader.sink === sink && (chunk = socket.read()) !== null; ) {
    sink(chunk, chunk.length);
  }
  return true;
}

/** Open a TCP connection. Rejects with NutConnectionError. */
export function openSocket(o: ConnectOptions): Promise<net.Socket> {
  const port = o.port ?? NUT_PORT;
  const timeoutMs = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const reader: SocketReader = { sink: undefined };
    const sock: net.Socket = net.connect({
      host: o.host,
      port,
      ...(o.family ? { family: o.family } : {}),
      onread: {
        buffer: READ_BUFFER,
        callback: (length: number): boolean => {
          if (!reader.sink) return sock.push(Buffer.from(READ_BUFFER.subarray(0, length))); // false: stop reading
          reader.sink(READ_BUFFER, length);
          return true;
        },
      },
    });
    readers.set(sock, reader);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new NutConnectionError("ETIMEDOUT", "Connection failure: Connection timed out"));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      sock.on("error", () => {}); // until the connection attaches its own handlers (it checks `destroyed`)
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      const noHost = err.code === "ENOTFOUND" || err.code === "EAI_AGAIN";
      reject(
        new NutConnectionError(
          err.code ?? "ECONNECTION",
          noHost ? "No such host" : `Connection failure: ${describeSystemError(err)}`,
          { cause: err },
        ),
      );
    });
  });
}
