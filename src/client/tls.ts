/**
 * STARTTLS for NUT connections: upgrade the same TCP socket to TLS with node:tls, after upsd
 * answered `OK STARTTLS` (protocol.md §8).
 *
 * - `upgradeToTls(socket, options)`: the handshake and the trust decision (CA file/directory,
 *   verification on/off, one pinned certificate like upsmon's CERTHOST). Every failure is a
 *   `NutTlsError` ("SSL error: ..."), and the socket is destroyed: no plaintext after a failed upgrade.
 * - `startTlsOnSocket(socket, options)`: the whole exchange on a socket nobody else reads yet:
 *   `STARTTLS` → `OK STARTTLS` → `upgradeToTls`, or, when upsd refuses, plaintext (libupsclient's
 *   TRYSSL) unless `required` (upsmon's FORCESSL).
 * - `tlsRefusal(error, options)`: that refusal policy on its own, for a connection that sends
 *   `STARTTLS` through its own request queue.
 *
 * Must not: send anything but `STARTTLS`, read past the reply line, or fall back to plaintext
 * after `OK STARTTLS` (a failed handshake always ends the connection).
 */

import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isIP, type Socket } from "node:net";
import { join } from "node:path";
import * as tls from "node:tls";
import {
  NutProtocolError,
  type NutServerError,
  NutTlsError,
  serverErrorFromReply,
} from "../protocol/errors.js";
import { splitLine } from "../protocol/tokenizer.js";

/** How to set up and trust a STARTTLS session. */
export interface NutTlsOptions {
  /** Name the server certificate must carry (and SNI when it is not an IP). Default: the host the socket connected to. */
  servername?: string;
  /** PEM file with one or more trusted CA certificates (like a CA bundle). */
  caFile?: string;
  /** Directory of PEM files (`*.pem`, `*.crt`, OpenSSL `<hash>.0` links); every certificate in them is trusted. */
  caPath?: string;
  /** Verify the server's chain and name (default true). Without caFile/caPath, Node's built-in root CAs are used. */
  verify?: boolean;
  /**
   * Accept exactly this server certificate (SHA-256 of its DER form, hex, colons optional), like upsmon's
   * CERTHOST. It replaces chain and name verification: a pinned self-signed certificate needs no CA.
   */
  pinnedCertificateSha256?: string;
  /** Like upsmon's FORCESSL: a server that refuses STARTTLS is an error instead of a plaintext fallback. */
  required?: boolean;
  /** PEM file with our client certificate (may also hold the key). */
  clientCert?: string;
  /** PEM file with the client certificate's private key (default: `clientCert`). */
  clientKey?: string;
  /** Limit for the STARTTLS reply plus the handshake (default 10000, NUT's connect timeout). */
  handshakeTimeoutMs?: number;
}

/** Result of `startTlsOnSocket`: the socket to talk on from now on, and whether it is encrypted. */
export type StartTlsOutcome =
  | { encrypted: true; socket: tls.TLSSocket }
  | { encrypted: false; socket: Socket; refusal: NutServerError };

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * What a refused STARTTLS means. With `required`, a `NutTlsError` to throw; otherwise undefined:
 * carry on in plaintext (libupsclient treats any `ERR` reply this way). The cause is kept on the error.
 */
export function tlsRefusal(error: NutServerError, options: NutTlsOptions): NutTlsError | undefined {
  if (!options.required) return undefined;
  const why = REFUSAL_TEXT[error.code] ?? `server refused STARTTLS (${error.replyLine})`;
  return new NutTlsError(`${why}; TLS is required`, { cause: error });
}

/** The refusals upsd sends (FeatureNotConfiguredError, FeatureNotSupportedError, AlreadySslModeError). */
const REFUSAL_TEXT: Record<string, string> = {
  "FEATURE-NOT-CONFIGURED": "server has no TLS certificate configured (ERR FEATURE-NOT-CONFIGURED)",
  "FEATURE-NOT-SUPPORTED": "server was built without TLS support (ERR FEATURE-NOT-SUPPORTED)",
  "ALREADY-SSL-MODE": "connection is already in TLS mode (ERR ALREADY-SSL-MODE)",
};

/** `AB:cd:01...` or `abcd01...` → `AB:CD:01:...` (Node's `fingerprint256` form); throws on anything else. */
export function normalizeSha256Fingerprint(text: string): string {
  const hex = text.replace(/[:\s]/g, "").toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new NutTlsError(
      `pinned certificate fingerprint is not a SHA-256 hex digest: ${JSON.stringify(text)}`,
    );
  }
  return hex.match(/../g)!.join(":");
}

/** Every certificate in the PEM files of caFile and caPath. Errors name the file. */
export function loadTrustedCas(options: Pick<NutTlsOptions, "caFile" | "caPath">): string[] | undefined {
  if (options.caFile === undefined && options.caPath === undefined) return undefined;
  const pems: string[] = [];
  if (options.caFile !== undefined) {
    const found = pemCertificates(readText(options.caFile, "CA file"));
    if (found.length === 0) throw new NutTlsError(`no PEM certificate in CA file ${options.caFile}`);
    pems.push(...found);
  }
  if (options.caPath !== undefined) {
    let names: string[];
    try {
      names = readdirSync(options.caPath).sort();
    } catch (err) {
      throw new NutTlsError(`cannot read CA directory ${options.caPath}: ${errnoText(err)}`, { cause: err });
    }
    const before = pems.length;
    for (const name of names) {
      const file = join(options.caPath, name);
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      pems.push(...pemCertificates(readText(file, "CA file")));
    }
    if (pems.length === before) throw new NutTlsError(`no PEM certificate in CA directory ${options.caPath}`);
  }
  return pems;
}

function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new NutTlsError(`cannot read ${what} ${file}: ${errnoText(err)}`, { cause: err });
  }
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

/**
 * Run the TLS handshake on `socket` (upsd has just sent `OK STARTTLS`) and decide whether to trust
 * the server. Resolves with the encrypted socket; rejects with a `NutTlsError` and destroys the socket.
 */
export function upgradeToTls(socket: Socket, options: NutTlsOptions): Promise<tls.TLSSocket> {
  const verify = options.verify ?? true;
  let pin: string | undefined;
  let connectOptions: tls.ConnectionOptions;
  try {
    if (options.pinnedCertificateSha256 !== undefined) {
      pin = normalizeSha256Fingerprint(options.pinnedCertificateSha256);
    }
    connectOptions = {
      socket,
      ca: loadTrustedCas(options),
      ...clientIdentity(options),
      // The trust decision is made below, after the handshake, so every failure gets one clear message.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    };
  } catch (err) {
    socket.destroy();
    return Promise.reject(err);
  }
  const identity = options.servername ?? hostOf(socket);
  if (identity !== undefined && isIP(identity) === 0) connectOptions.servername = identity;

  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const secure = tls.connect(connectOptions);
    const timer = setTimeout(
      () => fail(new NutTlsError("TLS handshake timed out")),
      options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    );
    let settled = false;
    const onError = (err: Error) => fail(new NutTlsError(describeTlsError(err), { cause: err }));
    const onClose = () => fail(new NutTlsError("server closed the connection during the TLS handshake"));
    function fail(error: NutTlsError) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secure.off("close", onClose);
      secure.destroy();
      socket.destroy();
      reject(error);
    }
    // Errors may come from either side while the handshake runs; later ones must not go unhandled.
    secure.on("error", onError);
    socket.on("error", onError);
    secure.once("close", onClose);
    secure.once("secureConnect", () => {
      const refusal = trustProblem(secure, { verify, pin, identity });
      if (refusal !== undefined) return fail(new NutTlsError(refusal));
      settled = true;
      clearTimeout(timer);
      secure.off("error", onError);
      secure.off("close", onClose);
      // From here on the TLS socket reports errors; the plain one keeps only a no-op listener.
      socket.off("error", onError).on("error", () => {});
      resolve(secure);
    });
  });
}

/** Why the server's certificate is not acceptable, or undefined when it is. */
function trustProblem(
  secure: tls.TLSSocket,
  policy: { verify: boolean; pin: string | undefined; identity: string | undefined },
): string | undefined {
  const cert = secure.getPeerCertificate();
  if (!cert || cert.raw === undefined) return "server sent no certificate";
  if (policy.pin !== undefined) {
    const actual = new X509Certificate(cert.raw).fingerprint256;
    return actual === policy.pin
      ? undefined
      : `server certificate does not match the pinned one (SHA-256 ${actual}, expected ${policy.pin})`;
  }
  if (!policy.verify) return undefined;
  if (!secure.authorized) {
    const reason = String(secure.authorizationError ?? "unknown reason");
    return `certificate verification failed: ${VERIFY_TEXT[reason] ?? reason} (${reason})`;
  }
  if (policy.identity !== undefined) {
    const mismatch = tls.checkServerIdentity(policy.identity, cert);
    if (mismatch) return `certificate verification failed: ${mismatch.message}`;
  }
  return undefined;
}

const VERIFY_TEXT: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in chain, not issued by a trusted CA",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed server certificate, not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "server certificate not issued by a trusted CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "server certificate not issued by a trusted CA",
  CERT_HAS_EXPIRED: "server certificate has expired",
  CERT_NOT_YET_VALID: "server certificate is not yet valid",
};

function describeTlsError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ECONNRESET") return "server closed the connection during the TLS handshake";
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

function clientIdentity(options: NutTlsOptions): Pick<tls.ConnectionOptions, "cert" | "key"> {
  if (options.clientCert === undefined) {
    if (options.clientKey !== undefined) throw new NutTlsError("clientKey given without clientCert");
    return {};
  }
  return {
    cert: readText(options.clientCert, "client certificate"),
    key: readText(options.clientKey ?? options.clientCert, "client key"),
  };
}

/** The name the socket was connected to (net.connect keeps it), else the peer address. */
function hostOf(socket: Socket): string | undefined {
  const host = (socket as Socket & { _host?: unknown })._host;
  return typeof host === "string" && host !== "" ? host : socket.remoteAddress;
}

/**
 * The whole STARTTLS exchange on a connected socket that has no other reader and no request in
 * flight: send `STARTTLS`, read exactly one reply line, then upgrade or (when refused and not
 * `required`) hand the plaintext socket back with nothing consumed beyond that line.
 */
export async function startTlsOnSocket(socket: Socket, options: NutTlsOptions): Promise<StartTlsOutcome> {
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const line = await readOneLine(socket, "STARTTLS\n", timeoutMs);
  const words = splitLine(line);
  if (words[0] === "ERR") {
    const refusal = serverErrorFromReply(words, line);
    const error = tlsRefusal(refusal, options);
    if (error) {
      socket.destroy();
      throw error;
    }
    return { encrypted: false, socket, refusal };
  }
  if (words[0] !== "OK" || words[1] !== "STARTTLS") {
    socket.destroy();
    throw new NutProtocolError(`unexpected reply to STARTTLS: ${line}`, line);
  }
  return { encrypted: true, socket: await upgradeToTls(socket, options) };
}

/**
 * Write `request`, resolve with the first reply line (without `\n`). Reads through 'readable' so that,
 * once done, the socket is neither paused nor flowing: bytes after the line are put back and reach
 * whoever attaches a 'data' listener next.
 */
function readOneLine(socket: Socket, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new NutTlsError("no reply to STARTTLS")), timeoutMs);
    const onReadable = () => {
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf(0x0a);
        if (end < 0) continue;
        finish(undefined, buffered.subarray(0, end).toString("latin1"));
        if (end + 1 < buffered.length) socket.unshift(buffered.subarray(end + 1));
        return;
      }
    };
    const onError = (err: Error) => finish(new NutTlsError(describeTlsError(err), { cause: err }));
    const onEnd = () => finish(new NutTlsError("server closed the connection after STARTTLS"));
    function finish(error: Error | undefined, line?: string) {
      clearTimeout(timer);
      socket.off("readable", onReadable).off("error", onError).off("end", onEnd);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve(line!);
    }
    socket.on("readable", onReadable).once("error", onError).once("end", onEnd);
    socket.write(request);
  });
}
