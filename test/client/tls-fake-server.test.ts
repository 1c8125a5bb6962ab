/**
 * STARTTLS cases a real upsd cannot stage, against a scripted node:tls server on 127.0.0.1: silent or
 * closing servers mid-handshake, other refusals, garbage replies, client certificates, bad options.
 */
import { readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadTrustedCas,
  type NutTlsOptions,
  normalizeSha256Fingerprint,
  startTlsOnSocket,
  tlsRefusal,
} from "../../src/client/tls.js";
import {
  AccessDeniedError,
  FeatureNotSupportedError,
  NutProtocolError,
  NutTlsError,
  UnknownUpsError,
} from "../../src/protocol/errors.js";
import { makeTestPki, type TestPki } from "../helpers/tls-certs.js";

/** What the fake server does when it receives STARTTLS. */
type Script =
  | { reply: string; upgrade?: boolean; requestCert?: boolean }
  | { reply: string; afterwards: "silence" | "close" }
  | { reply: null };

interface FakeTlsServer {
  port: number;
  /** SHA-256 of the client certificates presented, one per TLS session. */
  clientCerts: (string | undefined)[];
  close(): Promise<void>;
}

async function fakeServer(pki: TestPki, script: Script): Promise<FakeTlsServer> {
  const cert = await readFile(pki.serverCertFile);
  const key = await readFile(pki.serverKeyFile);
  const sockets = new Set<net.Socket>();
  const clientCerts: (string | undefined)[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("data", () => {
      if (script.reply === null) return;
      socket.write(script.reply);
      if ("afterwards" in script) {
        if (script.afterwards === "close") socket.end();
        return;
      }
      if (!script.upgrade) return;
      const secure = new tls.TLSSocket(socket, {
        isServer: true,
        cert,
        key,
        requestCert: script.requestCert ?? false,
        rejectUnauthorized: false,
      });
      sockets.add(secure);
      secure.on("error", () => {});
      secure.once("secure", () => {
        const peer = secure.getPeerCertificate();
        clientCerts.push(peer && "fingerprint256" in peer ? peer.fingerprint256 : undefined);
      });
      secure.on("data", (d: Buffer) => {
        if (d.toString().startsWith("PROTVER")) secure.write("1.3\n");
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    clientCerts,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("STARTTLS against a scripted server", () => {
  let pki: TestPki;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    pki = await makeTestPki();
  });
  afterAll(async () => {
    for (const c of cleanups) await c();
    await pki?.remove();
  });

  async function tryStartTls(script: Script, options: NutTlsOptions) {
    const server = await fakeServer(pki, script);
    cleanups.push(server.close);
    const socket = net.connect({ host: "127.0.0.1", port: server.port });
    cleanups.push(() => void socket.destroy());
    await new Promise((resolve) => socket.once("connect", resolve));
    return { server, socket, outcome: startTlsOnSocket(socket, options) };
  }

  it("times out with an SSL error when the server goes silent after OK STARTTLS", async () => {
    const { socket, outcome } = await tryStartTls(
      { reply: "OK STARTTLS\n", afterwards: "silence" },
      { caFile: pki.caFile, handshakeTimeoutMs: 200 },
    );
    await expect(outcome).rejects.toThrow(new NutTlsError("TLS handshake timed out"));
    expect(socket.destroyed).toBe(true);
  });

  it("reports a server that closes the connection instead of handshaking", async () => {
    const { outcome } = await tryStartTls(
      { reply: "OK STARTTLS\n", afterwards: "close" },
      { caFile: pki.caFile },
    );
    await expect(outcome).rejects.toThrow(
      /^SSL error: server closed the connection during the TLS handshake$/,
    );
  });

  it("reports a server that never answers STARTTLS", async () => {
    const { outcome } = await tryStartTls({ reply: null }, { handshakeTimeoutMs: 200 });
    await expect(outcome).rejects.toThrow(new NutTlsError("no reply to STARTTLS"));
  });

  it("treats a reply that is neither OK STARTTLS nor ERR as a protocol error", async () => {
    const { outcome } = await tryStartTls({ reply: "OK\n" }, {});
    const error = await outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NutProtocolError);
    expect((error as NutProtocolError).detail).toBe("unexpected reply to STARTTLS: OK");
  });

  it("falls back to plaintext on ERR FEATURE-NOT-SUPPORTED and keeps the bytes that followed", async () => {
    const { outcome } = await tryStartTls({ reply: "ERR FEATURE-NOT-SUPPORTED\nNEXT LINE\n" }, {});
    const result = await outcome;
    expect(result.encrypted).toBe(false);
    expect(result.encrypted === false && result.refusal).toBeInstanceOf(FeatureNotSupportedError);
    const next = await new Promise<string>((resolve) =>
      result.socket.once("data", (d) => resolve(String(d))),
    );
    expect(next).toBe("NEXT LINE\n");
  });

  it("with required, names the refusal: built without TLS, or any other ERR", async () => {
    const notBuilt = await tryStartTls({ reply: "ERR FEATURE-NOT-SUPPORTED\n" }, { required: true });
    await expect(notBuilt.outcome).rejects.toThrow(
      "SSL error: server was built without TLS support (ERR FEATURE-NOT-SUPPORTED); TLS is required",
    );
    const denied = await tryStartTls({ reply: 'ERR ACCESS-DENIED "SSL init failed"\n' }, { required: true });
    await expect(denied.outcome).rejects.toThrow(
      'SSL error: server refused STARTTLS (ERR ACCESS-DENIED "SSL init failed"); TLS is required',
    );
  });

  it("presents the client certificate and key when given", async () => {
    const keyAndCert = join(pki.dir, "client-combined.pem");
    await writeFile(
      keyAndCert,
      `${await readFile(pki.serverKeyFile, "utf8")}${await readFile(pki.serverCertFile, "utf8")}`,
    );
    const { server, outcome } = await tryStartTls(
      { reply: "OK STARTTLS\n", upgrade: true, requestCert: true },
      { caFile: pki.caFile, clientCert: keyAndCert },
    );
    const result = await outcome;
    expect(result.encrypted).toBe(true);
    result.socket.write("PROTVER\n");
    expect(String(await new Promise((resolve) => result.socket.once("data", resolve)))).toBe("1.3\n");
    expect(server.clientCerts).toEqual([pki.serverSha256]);
  });

  it("presents no client certificate unless asked to", async () => {
    const { server, outcome } = await tryStartTls(
      { reply: "OK STARTTLS\n", upgrade: true, requestCert: true },
      { caFile: pki.caFile },
    );
    const result = await outcome;
    result.socket.write("PROTVER\n");
    await new Promise((resolve) => result.socket.once("data", resolve));
    expect(server.clientCerts).toEqual([undefined]);
  });

  it("refuses unreadable trust options before the handshake, naming the file", async () => {
    const { outcome, socket } = await tryStartTls(
      { reply: "OK STARTTLS\n", upgrade: true },
      { caFile: join(pki.dir, "missing.pem") },
    );
    await expect(outcome).rejects.toThrow(
      `SSL error: cannot read CA file ${join(pki.dir, "missing.pem")}: ENOENT`,
    );
    expect(socket.destroyed).toBe(true);
  });

  it("rejects a malformed pin as an SSL error and closes the connection", async () => {
    const { outcome, socket } = await tryStartTls(
      { reply: "OK STARTTLS\n", upgrade: true },
      { pinnedCertificateSha256: "sha256/not-hex" },
    );
    await expect(outcome).rejects.toThrow(
      /^SSL error: pinned certificate fingerprint is not a SHA-256 hex digest/,
    );
    expect(socket.destroyed).toBe(true);
  });
});

describe("TLS option helpers", () => {
  it("normalizes a SHA-256 fingerprint written with or without colons, in any case", () => {
    const hex = "ab".repeat(32);
    const expected = Array(32).fill("AB").join(":");
    expect(normalizeSha256Fingerprint(hex)).toBe(expected);
    expect(normalizeSha256Fingerprint(expected.toLowerCase())).toBe(expected);
    expect(() => normalizeSha256Fingerprint("AB:CD")).toThrow(
      'SSL error: pinned certificate fingerprint is not a SHA-256 hex digest: "AB:CD"',
    );
  });

  it("loads every certificate of a CA directory and rejects files or directories without any", async () => {
    const pki = await makeTestPki();
    try {
      expect(loadTrustedCas({ caPath: pki.caDir })).toHaveLength(1);
      expect(loadTrustedCas({ caFile: pki.caFile, caPath: pki.caDir })).toHaveLength(2);
      expect(loadTrustedCas({})).toBeUndefined();
      expect(() => loadTrustedCas({ caFile: pki.serverKeyFile })).toThrow(
        `SSL error: no PEM certificate in CA file ${pki.serverKeyFile}`,
      );
      expect(() => loadTrustedCas({ caPath: pki.nssDir })).toThrow(
        `SSL error: no PEM certificate in CA directory ${pki.nssDir}`,
      );
      expect(() => loadTrustedCas({ caPath: join(pki.dir, "nope") })).toThrow(
        `SSL error: cannot read CA directory ${join(pki.dir, "nope")}: ENOENT`,
      );
    } finally {
      await pki.remove();
    }
  });

  it("maps refusals: plaintext unless required; required keeps the server error as cause", () => {
    const refused = new FeatureNotSupportedError();
    expect(tlsRefusal(refused, {})).toBeUndefined();
    expect(tlsRefusal(new AccessDeniedError(), { required: false })).toBeUndefined();
    const error = tlsRefusal(refused, { required: true });
    expect(error).toBeInstanceOf(NutTlsError);
    expect(error?.code).toBe("TLS-ERROR");
    expect(error?.cause).toBe(refused);
    expect(tlsRefusal(new UnknownUpsError(), { required: true })?.message).toBe(
      "SSL error: server refused STARTTLS (ERR UNKNOWN-UPS); TLS is required",
    );
  });
});
