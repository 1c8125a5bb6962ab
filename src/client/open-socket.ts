/**
 * Opening the TCP connection to upsd: connect timeout, TCP_NODELAY, and errors worded like
 * libupsclient's ("No such host", "Connection failure: Connection refused").
 *
 * Must not: send anything on the socket (the connection does).
 */
import net from "node:net";
import { describeSystemError, NutConnectionError } from "../protocol/errors.js";
import type { NutTlsOptions } from "./tls.js";

export const NUT_PORT = 3493;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  host: string;
  port?: number;
  /** Default 10000 ms, like NUT's tools. */
  connectTimeoutMs?: number;
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

/** Open a TCP connection. Rejects with NutConnectionError. */
export function openSocket(o: ConnectOptions): Promise<net.Socket> {
  const port = o.port ?? NUT_PORT;
  const timeoutMs = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: o.host, port });
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
