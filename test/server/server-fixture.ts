/**
 * Test fixture: a config directory (upsd.conf, ups.conf, upsd.users and the device files of the
 * real-NUT stack) in a fresh temp dir, an in-process nutguard server on a free 127.0.0.1 port, and
 * a raw line-protocol client. Everything is removed/closed by `stop()`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quoteValue } from "../../src/protocol/encoder.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { DEFAULT_DEVICES, DEFAULT_UPSD_USERS, type NutDeviceSpec } from "../helpers/nut-stack.js";

/** Write a NUT config directory for `devices`; returns its path. */
export async function writeConfDir(
  dir: string,
  devices: Record<string, NutDeviceSpec> = DEFAULT_DEVICES,
  upsdConf: string[] = [],
): Promise<void> {
  let upsConf = "";
  for (const [name, spec] of Object.entries(devices)) {
    const file = join(dir, `${name}.${spec.seq !== undefined ? "seq" : "dev"}`);
    await writeFile(file, spec.seq ?? spec.dev ?? "");
    upsConf += `[${name}]\n\tdriver = dummy-ups\n\tport = ${file}\n`;
    if (spec.desc !== undefined) upsConf += `\tdesc = ${quoteValue(spec.desc)}\n`;
    if (spec.mode !== undefined) upsConf += `\tmode = ${spec.mode}\n`;
    if (spec.nutguardInstcmds) upsConf += "\tnutguard_instcmds = yes\n";
  }
  await writeFile(join(dir, "ups.conf"), upsConf);
  await writeFile(join(dir, "upsd.users"), DEFAULT_UPSD_USERS);
  await writeFile(join(dir, "upsd.conf"), ["LISTEN 127.0.0.1 0", ...upsdConf].join("\n") + "\n");
}

/**
 * A self-signed certificate for 127.0.0.1 made with openssl: `cert.pem`, `key.pem`, and `upsd.pem`
 * (both in one file, as CERTFILE wants). Returns the three paths.
 */
export function writeSelfSignedPem(dir: string): { certFile: string; keyFile: string; pemFile: string } {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const pemFile = join(dir, "upsd.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  writeFileSync(pemFile, readFileSync(certFile, "utf8") + readFileSync(keyFile, "utf8"));
  return { certFile, keyFile, pemFile };
}

export interface ServerFixture {
  dir: string;
  port: number;
  server: RunningServer;
  log: ReturnType<typeof createMemoryLogger>;
  stop(): Promise<void>;
}

export async function startFixture(
  o: {
    devices?: Record<string, NutDeviceSpec>;
    upsdConf?: string[];
    idleTimeoutMs?: number;
    /** Bound on what all clients together hold (StartServerOptions.maxHeldBytes). */
    maxHeldBytes?: number;
    /** Serve NUT's own descriptions (/usr/share/nut/cmdvartab) like upsd does. */
    nutDescriptions?: boolean;
    /** Enable STARTTLS with a self-signed certificate (`<dir>/cert.pem`). */
    tls?: boolean;
  } = {},
): Promise<ServerFixture> {
  const dir = await mkdtemp(join(tmpdir(), "nutguard-server-"));
  const tlsConf = o.tls ? [`CERTFILE ${writeSelfSignedPem(dir).pemFile}`] : [];
  await writeConfDir(dir, o.devices, [...(o.upsdConf ?? []), ...tlsConf]);
  const log = createMemoryLogger(2);
  const server = await startServer({
    confPath: dir,
    log,
    idleTimeoutMs: o.idleTimeoutMs,
    maxHeldBytes: o.maxHeldBytes,
    cmdvartabPath: o.nutDescriptions ? undefined : join(dir, "none"),
  });
  return {
    dir,
    port: server.addresses[0]!.port,
    server,
    log,
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A raw protocol connection: write bytes, read whole lines. */
export class RawClient {
  private buffer = "";
  private waiters: (() => void)[] = [];
  closed = false;
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buffer += d;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Wait for `n` complete lines (without LF); rejects on timeout or close before that. */
  async lines(n: number, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.split("\n").length - 1 < n) {
      if (this.closed) throw new Error(`connection closed after: ${JSON.stringify(this.buffer.slice(-500))}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timeout waiting for ${n} lines, have …${JSON.stringify(this.buffer.slice(-500))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    const parts = this.buffer.split("\n");
    const out = parts.slice(0, n);
    this.buffer = parts.slice(n).join("\n");
    return out;
  }

  /** Send one request and return its single reply line. */
  async ask(line: string): Promise<string> {
    this.write(line + "\n");
    return (await this.lines(1))[0]!;
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  /** Bytes received and not yet consumed by lines(). */
  get pending(): string {
    return this.buffer;
  }

  close(): void {
    this.socket.destroy();
  }
}
