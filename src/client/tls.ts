/**
 * STARTTLS upgrade of a NUT connection's socket.
 *
 * STUB owned by the TLS work (branch wip/tls), which replaces this file: it exists only so the client
 * builds before that branch is merged. It keeps the same exported names and signatures. Must not grow
 * features here.
 */
import type { Socket } from "node:net";
import * as tls from "node:tls";
import { type NutServerError, NutTlsError } from "../protocol/errors.js";

export interface NutTlsOptions {
  /** Name the server certificate must carry. */
  servername?: string;
  /** PEM file with trusted CA certificates. */
  caFile?: string;
  /** Verify the server's chain and name (default true). */
  verify?: boolean;
  /** A server that refuses STARTTLS is an error instead of a plaintext fallback (like FORCESSL). */
  required?: boolean;
  handshakeTimeoutMs?: number;
}

/** With `required`, the error to throw for a refused STARTTLS; otherwise undefined (plaintext). */
export function tlsRefusal(error: NutServerError, options: NutTlsOptions): NutTlsError | undefined {
  if (!options.required) return undefined;
  return new NutTlsError(`server refused STARTTLS (${error.replyLine}); TLS is required`, { cause: error });
}

/** Handshake on `socket` after `OK STARTTLS`; rejects with a NutTlsError and destroys the socket. */
export function upgradeToTls(socket: Socket, options: NutTlsOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      socket,
      rejectUnauthorized: options.verify ?? true,
      servername: options.servername,
    });
    s.once("secureConnect", () => resolve(s));
    s.once("error", (err) => {
      s.destroy();
      socket.destroy();
      reject(new NutTlsError(err.message, { cause: err }));
    });
  });
}
