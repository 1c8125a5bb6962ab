/**
 * Throwaway PKI for TLS tests: a CA, a server certificate it signed (for 127.0.0.1 and localhost), an
 * unrelated "wrong" CA, and the NSS certificate database Debian 12's upsd needs (it is built against
 * NSS, so upsd.conf takes `CERTPATH <nss db dir>` + `CERTIDENT "<nickname>" "<db password>"`, not
 * OpenSSL's `CERTFILE <pem>`).
 *
 * Everything is made with the `openssl`, `certutil` and `pk12util` commands (scripts/ensure-nut.sh
 * installs them) in a fresh temporary directory that user `nut` can read (upsd opens the database
 * after dropping privileges). Must not: write outside that directory, or leave it behind after `remove()`.
 */
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  /** PEM of the CA that signed the server certificate. */
  caFile: string;
  /** A directory holding only `caFile`'s certificate (for `caPath`). */
  caDir: string;
  /** PEM of a CA that signed nothing the server has. */
  wrongCaFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** SHA-256 of the server certificate's DER, `AB:CD:...`. */
  serverSha256: string;
  /** SHA-256 of some other certificate (the wrong CA's). */
  otherSha256: string;
  /** NSS database (cert9.db/key4.db) with the server certificate and key under `nssNickname`. */
  nssDir: string;
  nssNickname: string;
  nssPassword: string;
  /** The upsd.conf lines that give Debian's NSS-built upsd this certificate. */
  upsdConf: string[];
  remove(): Promise<void>;
}

const SERVER_EXTENSIONS = [
  "subjectAltName=DNS:localhost,IP:127.0.0.1",
  "basicConstraints=CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
].join("\n");

/** `openssl req` arguments for a fresh unencrypted P-256 key written to `keyFile` (fast to generate). */
const NEW_P256_KEY_INTO = (keyFile: string) =>
  ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile] as const;

async function makeCa(dir: string, name: string, subject: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  await run("openssl", [
    "req",
    "-x509",
    ...NEW_P256_KEY_INTO(key),
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    subject,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { cert, key };
}

async function sha256Of(pemFile: string): Promise<string> {
  return new X509Certificate(await readFile(pemFile)).fingerprint256;
}

/** Build the whole PKI and NSS database. Call `remove()` when done (also when the test failed). */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "nutguard-pki-"));
  try {
    return await populate(dir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function populate(dir: string): Promise<TestPki> {
  const ca = await makeCa(dir, "ca", "/CN=nutguard test CA");
  const wrong = await makeCa(dir, "wrong-ca", "/CN=nutguard unrelated CA");

  const serverKeyFile = join(dir, "server.key");
  const serverCertFile = join(dir, "server.pem");
  const csr = join(dir, "server.csr");
  const ext = join(dir, "server.ext");
  await writeFile(ext, `${SERVER_EXTENSIONS}\n`);
  await run("openssl", ["req", ...NEW_P256_KEY_INTO(serverKeyFile), "-out", csr, "-subj", "/CN=localhost"]);
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-out",
    serverCertFile,
    "-days",
    "2",
    "-extfile",
    ext,
  ]);

  const caDir = join(dir, "ca.d");
  await mkdir(caDir);
  await writeFile(join(caDir, "nutguard-test-ca.pem"), await readFile(ca.cert));

  // NSS database for upsd: the server key + certificate (and its CA) imported from a PKCS#12 bundle.
  const nssDir = join(dir, "nss");
  const nssNickname = "nutguard upsd";
  const nssPassword = "nss-db-pass";
  const p12Password = "p12-pass";
  const p12 = join(dir, "server.p12");
  const pwFile = join(dir, "nss-password.txt");
  await mkdir(nssDir);
  await writeFile(pwFile, `${nssPassword}\n`);
  await run("openssl", [
    "pkcs12",
    "-export",
    "-inkey",
    serverKeyFile,
    "-in",
    serverCertFile,
    "-certfile",
    ca.cert,
    "-name",
    nssNickname,
    "-passout",
    `pass:${p12Password}`,
    "-out",
    p12,
  ]);
  await run("certutil", ["-N", "-d", `sql:${nssDir}`, "-f", pwFile]);
  await run("pk12util", ["-i", p12, "-d", `sql:${nssDir}`, "-k", pwFile, "-W", p12Password]);

  // upsd reads the database after dropping to user nut: root:nut, group-readable.
  const { stdout } = await run("id", ["-g", "nut"]);
  const nutGid = Number(stdout.trim());
  await chmod(dir, 0o755);
  await chown(nssDir, 0, nutGid);
  await chmod(nssDir, 0o750);
  for (const f of await readdir(nssDir)) {
    await chown(join(nssDir, f), 0, nutGid);
    await chmod(join(nssDir, f), 0o640);
  }

  return {
    dir,
    caFile: ca.cert,
    caDir,
    wrongCaFile: wrong.cert,
    serverCertFile,
    serverKeyFile,
    serverSha256: await sha256Of(serverCertFile),
    otherSha256: await sha256Of(wrong.cert),
    nssDir,
    nssNickname,
    nssPassword,
    upsdConf: [`CERTPATH ${nssDir}`, `CERTIDENT "${nssNickname}" "${nssPassword}"`],
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
