/**
 * STARTTLS against Debian 12's real upsd 2.8.0 (built with NSS), configured in the test with a
 * certificate made in the test, and against a upsd without any certificate.
 */
import type net from "node:net";
import type tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/client.js";
import { NutSession, type SessionStateChange } from "../../src/client/session.js";
import { type NutTlsOptions, type StartTlsOutcome, startTlsOnSocket } from "../../src/client/tls.js";
import { AlreadySslModeError, FeatureNotConfiguredError, NutTlsError } from "../../src/protocol/errors.js";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { connectPlain, requestLine } from "../helpers/raw-lines.js";
import { makeTestPki, type TestPki } from "../helpers/tls-certs.js";

const ONE_DEVICE = { dummy: DEFAULT_DEVICES.dummy! };

/** Open a plaintext connection to the stack's upsd. */
const connect = (stack: NutStack) => connectPlain(stack.port);
const request = requestLine;

/** STARTTLS on a fresh connection; every socket it opens is destroyed after the test. */
async function startTls(
  stack: NutStack,
  options: NutTlsOptions,
  opened: net.Socket[],
): Promise<StartTlsOutcome> {
  const socket = await connect(stack);
  opened.push(socket);
  const outcome = await startTlsOnSocket(socket, options);
  opened.push(outcome.socket);
  return outcome;
}

async function expectTlsError(promise: Promise<unknown>, message: RegExp): Promise<NutTlsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NutTlsError);
  expect((error as NutTlsError).message).toMatch(/^SSL error: /);
  expect((error as NutTlsError).message).toMatch(message);
  return error as NutTlsError;
}

describe("STARTTLS with a real upsd that has a certificate (NSS database, CERTPATH + CERTIDENT)", () => {
  let pki: TestPki;
  let stack: NutStack;
  const opened: net.Socket[] = [];

  beforeAll(async () => {
    pki = await makeTestPki();
    stack = await startNutStack({ devices: ONE_DEVICE, upsdConf: pki.upsdConf });
  });
  afterAll(async () => {
    for (const s of opened) s.destroy();
    await stack?.stop();
    await pki?.remove();
  });

  it("upgrades with the right CA file, then PROTVER and GET VAR work inside TLS", async () => {
    const outcome = await startTls(stack, { caFile: pki.caFile }, opened);
    expect(outcome.encrypted).toBe(true);
    const secure = outcome.socket as tls.TLSSocket;
    expect(secure.encrypted).toBe(true);
    expect(secure.authorized).toBe(true);
    expect(secure.getPeerCertificate().fingerprint256).toBe(pki.serverSha256);
    expect(await request(secure, "PROTVER")).toBe("1.3");
    expect(await request(secure, "GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("trusts a CA directory (caPath) as well as a CA file", async () => {
    const outcome = await startTls(stack, { caPath: pki.caDir, required: true }, opened);
    expect(outcome.encrypted).toBe(true);
    expect(await request(outcome.socket, "GET VAR dummy battery.charge")).toBe(
      'VAR dummy battery.charge "100"',
    );
  });

  it("rejects the server with a wrong CA: clear error, socket closed, upsd keeps serving", async () => {
    const socket = await connect(stack);
    opened.push(socket);
    await expectTlsError(
      startTlsOnSocket(socket, { caFile: pki.wrongCaFile }),
      /certificate verification failed: .*not issued by a trusted CA|certificate verification failed: self-signed/,
    );
    expect(socket.destroyed).toBe(true);
    expect(await stack.query("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("rejects a certificate that does not name the host asked for", async () => {
    await expectTlsError(
      startTls(stack, { caFile: pki.caFile, servername: "ups.example.net" }, opened),
      /certificate verification failed: .*ups\.example\.net/,
    );
  });

  it("by default trusts only the system's root CAs, so a private CA's certificate is rejected", async () => {
    await expectTlsError(
      startTls(stack, {}, opened),
      /certificate verification failed: .*not issued by a trusted CA/,
    );
  });

  it("accepts exactly the pinned certificate, with no CA at all", async () => {
    const pin = pki.serverSha256.replaceAll(":", "").toLowerCase();
    const outcome = await startTls(stack, { pinnedCertificateSha256: pin }, opened);
    expect(outcome.encrypted).toBe(true);
    expect(await request(outcome.socket, "PROTVER")).toBe("1.3");
  });

  it("rejects the server when another certificate is pinned, even with the right CA", async () => {
    await expectTlsError(
      startTls(stack, { caFile: pki.caFile, pinnedCertificateSha256: pki.otherSha256 }, opened),
      /does not match the pinned one \(SHA-256 [0-9A-F:]+, expected [0-9A-F:]+\)/,
    );
  });

  it("with verify: false accepts the unverifiable certificate (upsc's default CERTVERIFY 0)", async () => {
    const outcome = await startTls(stack, { verify: false }, opened);
    expect(outcome.encrypted).toBe(true);
    expect(await request(outcome.socket, "GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("a second STARTTLS inside TLS gets ERR ALREADY-SSL-MODE: an error when required, else carry on", async () => {
    const first = await startTls(stack, { caFile: pki.caFile }, opened);
    const again = await startTlsOnSocket(first.socket, { caFile: pki.caFile });
    expect(again.encrypted).toBe(false);
    expect(again.encrypted === false && again.refusal).toBeInstanceOf(AlreadySslModeError);
    expect(again.socket).toBe(first.socket);
    expect(await request(again.socket, "PROTVER")).toBe("1.3");

    const error = await expectTlsError(
      startTlsOnSocket(first.socket, { caFile: pki.caFile, required: true }),
      /already in TLS mode \(ERR ALREADY-SSL-MODE\); TLS is required/,
    );
    expect(error.cause).toBeInstanceOf(AlreadySslModeError);
  });

  it("NutClient.connect with tls: every command goes over the verified TLS connection", async () => {
    const client = await NutClient.connect({
      host: stack.host,
      port: stack.port,
      tls: { caFile: pki.caFile },
    });
    try {
      expect(client.encrypted).toBe(true);
      expect(await client.protVer()).toBe("1.3");
      expect(await client.getVar("dummy", "ups.status")).toBe("OL");
      expect((await client.listVar("dummy")).length).toBeGreaterThan(10);
    } finally {
      await client.close();
    }
  });

  it("NutClient.connect with a wrong CA rejects with the SSL error; upsd keeps serving others", async () => {
    const connecting = NutClient.connect({
      host: stack.host,
      port: stack.port,
      tls: { caFile: pki.wrongCaFile, required: true },
    });
    await expectTlsError(connecting, /certificate verification failed/);
    expect(await stack.query("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("client.startTls on an open connection: requests issued meanwhile are answered inside TLS", async () => {
    const client = await NutClient.connect({ host: stack.host, port: stack.port });
    try {
      const before = client.getVar("dummy", "ups.status");
      const upgrading = client.startTls({ pinnedCertificateSha256: pki.serverSha256 });
      const during = client.getVar("dummy", "battery.charge");
      expect(await before).toBe("OL");
      expect(await upgrading).toBe(true);
      expect(await during).toBe("100");
      expect(client.encrypted).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("NutSession (upsmon-style) upgrades before USERNAME/PASSWORD and LOGINs inside TLS", async () => {
    const session = new NutSession({
      host: stack.host,
      port: stack.port,
      tls: { caFile: pki.caFile, required: true },
      username: stack.users.primary.user,
      password: stack.users.primary.pass,
      login: "dummy",
      primary: true,
    });
    try {
      const connected = new Promise<SessionStateChange>((resolve) =>
        session.on("state", (c: SessionStateChange) => c.state !== "connecting" && resolve(c)),
      );
      session.start();
      const change = await connected;
      expect(change).toMatchObject({ state: "connected", granted: "PRIMARY" });
      expect(session.client?.encrypted).toBe(true);
      expect(await stack.query("GET NUMLOGINS dummy")).toBe("NUMLOGINS dummy 1");
    } finally {
      await session.close();
    }
  });
});

describe("STARTTLS with a real upsd without a certificate", () => {
  let stack: NutStack;
  const opened: net.Socket[] = [];

  beforeAll(async () => {
    stack = await startNutStack({ devices: ONE_DEVICE });
  });
  afterAll(async () => {
    for (const s of opened) s.destroy();
    await stack?.stop();
  });

  it("required (FORCESSL): ERR FEATURE-NOT-CONFIGURED becomes an SSL error and the connection is closed", async () => {
    const socket = await connect(stack);
    opened.push(socket);
    const error = await expectTlsError(
      startTlsOnSocket(socket, { required: true }),
      /no TLS certificate configured \(ERR FEATURE-NOT-CONFIGURED\); TLS is required/,
    );
    expect(error.cause).toBeInstanceOf(FeatureNotConfiguredError);
    expect(socket.destroyed).toBe(true);
  });

  it("not required (TRYSSL): falls back to plaintext on the same connection", async () => {
    const outcome = await startTls(stack, { caFile: "/nonexistent/not-read-when-refused.pem" }, opened);
    expect(outcome.encrypted).toBe(false);
    expect(outcome.encrypted === false && outcome.refusal).toBeInstanceOf(FeatureNotConfiguredError);
    expect("encrypted" in outcome.socket && outcome.socket.encrypted).toBeFalsy();
    expect(await request(outcome.socket, "GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("NutClient.connect: required fails with the SSL error, otherwise the client carries on in plaintext", async () => {
    const options = { host: stack.host, port: stack.port };
    await expectTlsError(
      NutClient.connect({ ...options, tls: { required: true } }),
      /ERR FEATURE-NOT-CONFIGURED\); TLS is required/,
    );
    const client = await NutClient.connect({ ...options, tls: { caFile: "/nonexistent.pem" } });
    try {
      expect(client.encrypted).toBe(false);
      expect(await client.getVar("dummy", "ups.status")).toBe("OL");
    } finally {
      await client.close();
    }
  });
});
