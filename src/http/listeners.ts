/**
 * The HTTP surface's listening sockets: one node:http (or node:https) server per configured address,
 * and what a reload changes about them (http/server.ts `reconfigure`):
 * - an address still configured keeps its server and every connection on it (event-stream clients
 *   too); a new one is bound before anything is closed, so a bind that fails changes nothing;
 * - an address no longer configured is closed (with its connections);
 * - a new certificate/key pair (same paths or not) goes into the running servers (setSecureContext);
 * - switching between HTTP and HTTPS replaces every server: the old ones are closed first (the ports
 *   are the same), and if the new ones cannot listen the old settings are bound again.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { readConfigFile } from "../util/config-file-read.js";
import type { Logger } from "../util/log.js";
import type { ListenAddress } from "./http-conf.js";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

interface TlsPair {
  cert: string;
  key: string;
}

interface Bound {
  listen: ListenAddress;
  server: Server;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The certificate and key (PEM) through the safe file reader; throws naming the file. */
function readTls(files: TlsFiles | undefined): TlsPair | undefined {
  return files ? { cert: readConfigFile(files.certFile), key: readConfigFile(files.keyFile) } : undefined;
}

function closeServer(srv: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    srv.close(() => resolve());
    srv.closeAllConnections();
  });
}

export class Listeners {
  private bound: Bound[] = [];
  private tls: TlsPair | undefined;

  constructor(
    private readonly handler: Handler,
    private readonly log: Logger,
    private readonly maxConnections: number,
  ) {}

  /** Where it listens (ports resolved when 0 was asked), in configuration order. */
  get addresses(): { host: string; port: number }[] {
    return this.bound.map((b) => {
      const a = b.server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    });
  }

  /** Listen on every address; on a failure nothing is left listening and the error names the address. */
  async start(listen: readonly ListenAddress[], tls: TlsFiles | undefined): Promise<void> {
    this.tls = readTls(tls);
    this.bound = await this.bindAll(listen, this.tls);
  }

  /**
   * Apply new addresses and TLS files. Throws (naming the file or the address) with the previous
   * servers still serving when a file cannot be read or an address cannot be bound. Returns whether
   * anything changed.
   */
  async reconfigure(listen: readonly ListenAddress[], tlsFiles: TlsFiles | undefined): Promise<boolean> {
    const tls = readTls(tlsFiles);
    if (Boolean(tls) !== Boolean(this.tls)) {
      const previous = this.bound;
      const previousTls = this.tls;
      await Promise.all(previous.map((b) => closeServer(b.server)));
      this.bound = [];
      try {
        this.bound = await this.bindAll(listen, tls);
        this.tls = tls;
        return true;
      } catch (err) {
        this.bound = await this.bindAll(
          previous.map((b) => b.listen),
          previousTls,
        ).catch((again: Error) => {
          this.log.error(`http: cannot listen again with the previous settings: ${again.message}`);
          return [];
        });
        throw err;
      }
    }
    let changed = false;
    const kept = this.bound.filter((b) => listen.some((l) => l.text === b.listen.text));
    const added = await this.bindAll(
      listen.filter((l) => !kept.some((b) => b.listen.text === l.text)),
      tls,
    );
    for (const b of this.bound.filter((x) => !kept.includes(x))) {
      await closeServer(b.server);
      this.log.info(`http: no longer listening on ${b.listen.text}`);
    }
    changed = added.length > 0 || kept.length !== this.bound.length;
    if (tls && this.tls && (tls.cert !== this.tls.cert || tls.key !== this.tls.key)) {
      for (const b of kept)
        (b.server as unknown as { setSecureContext(o: TlsPair): void }).setSecureContext(tls);
      this.log.info("http: certificate and key reloaded");
      changed = true;
    }
    this.tls = tls;
    this.bound = listen.map((l) => [...kept, ...added].find((b) => b.listen.text === l.text)!);
    return changed;
  }

  async close(): Promise<void> {
    const all = this.bound;
    this.bound = [];
    await Promise.all(all.map((b) => closeServer(b.server)));
  }

  /** Bind each address; on a failure the ones bound here are closed again and the error is thrown. */
  private async bindAll(listen: readonly ListenAddress[], tls: TlsPair | undefined): Promise<Bound[]> {
    const out: Bound[] = [];
    try {
      for (const l of listen) out.push({ listen: l, server: await this.bind(l, tls) });
    } catch (err) {
      await Promise.all(out.map((b) => closeServer(b.server)));
      throw err;
    }
    return out;
  }

  private async bind(l: ListenAddress, tls: TlsPair | undefined): Promise<Server> {
    const srv: Server = tls ? createTlsServer(tls, this.handler) : createServer(this.handler);
    srv.requestTimeout = 10_000;
    srv.headersTimeout = 5_000;
    srv.keepAliveTimeout = 5_000;
    srv.timeout = 30_000;
    srv.maxHeadersCount = 50;
    srv.maxConnections = this.maxConnections;
    srv.on("clientError", (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      srv.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          new Error(`${l.where ? `${l.where}: ` : ""}cannot listen on ${l.text}: ${err.code ?? err.message}`),
        ),
      );
      srv.listen(l.port, l.host, () => resolve());
    });
    const a = srv.address() as AddressInfo;
    this.log.info(
      `http: listening on ${tls ? "https" : "http"}://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/`,
    );
    return srv;
  }
}
