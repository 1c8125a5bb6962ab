/**
 * The real UpsLink: one persistent, logged-in NUT connection per MONITOR line (client/NutSession),
 * as upsmon keeps one: USERNAME, PASSWORD, LOGIN (so NUMLOGINS counts us), PRIMARY (MASTER fallback)
 * for primaries, reconnect and re-LOGIN after drops, and a keep-alive so upsd's 60 s idle cutoff is
 * never reached even with a long POLLFREQ.
 *
 * Polls read `ups.status` and what the poll's demand asks for, all requests at once (poll-reader.ts),
 * on the connection that carries the polls of every UPS of the same server (poll-carriers.ts: the first
 * link of that server whose connection is up), so a round is one write per server. A link polls only
 * while its own connection is up. A variable the UPS does not have is not asked again until the next
 * reconnect. Connection changes are reported to the daemon (`onStateChange`) for its link events.
 *
 * Requests are pipelined, except to a server that once answered a request with the reply to another
 * (the client's `REPLY-MISMATCH`: it answers pipelined requests out of order; the poll fails, never
 * takes the wrong reply). The client then closes the connection; every link to that server reconnects
 * with one request in flight at a time, polls on its own connection and asks one thing after another,
 * for the rest of the process (upsmon never pipelines), logged once.
 *
 * A LOGIN the server refuses (`ERR ACCESS-DENIED`: no `upsmon` line for the user) is logged as upsmon
 * logs it and the link keeps polling on the connection, as upsmon does; it is then not counted in
 * NUMLOGINS, so a primary's HOSTSYNC wait does not wait for this host (logged too).
 * Must not interpret the status (the engine does) or decide anything.
 */

import type { NutClient } from "../client/client.js";
import { NutSession, type SessionStateChange } from "../client/session.js";
import type { NutTlsOptions } from "../client/tls.js";
import type { MonitorEntry, UpsmonConfig } from "../config/upsmon-conf.js";
import { NutServerError } from "../protocol/errors.js";
import { type Clock, realClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { PollResult } from "./engine-types.js";
import type { LinkStateChange } from "./monitor-view.js";
import type { PollCarrierMember, PollCarriers } from "./poll-carriers.js";
import { type PollDemand, STATUS_ONLY } from "./poll-demand.js";
import { codeOf, messageOf, PollReader } from "./poll-reader.js";
import type { UpsLink } from "./ups-link.js";

/**
 * A link's connection gets a `VER` after this long without a request of its own. upsd drops a client
 * after 60 s without one; a link whose polls go out on its server's carrier sends nothing else.
 */
const KEEPALIVE_MS = 45_000;
/** The client's code for a reply that does not answer its request (the connection is then closed). */
const REPLY_MISMATCH = "REPLY-MISMATCH";
/**
 * Servers (`host:port`) that answered pipelined requests out of order: spoken to one request at a time
 * for the rest of the process. Only this module reads or changes it.
 */
const oneAtATimeServers = new Set<string>();

export interface NutLinkOptions {
  /** Per-request timeout (default 5000 ms; upsmon: connect timeout + 5 s per request). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** upsmon -4 / -6: reach the server over IPv4 only or IPv6 only. */
  family?: 4 | 6;
  /** Send `VER` after this long without a request (default 45 s; upsd drops clients idle for 60 s). */
  keepaliveMs?: number;
  /**
   * The monitor's registry of poll carriers: links of the same server with one registry send their
   * polls together on one connection. Without it, a link polls on its own connection.
   */
  carriers?: PollCarriers<NutUpsLink>;
  /** The monitor's clock, for when a carried link polls on its own connection (default: real time). */
  clock?: Clock;
}

/** The reply-mismatch error behind `err` (itself, or the error that caused it), if any. */
function replyMismatchOf(err: unknown): unknown {
  if (codeOf(err) === REPLY_MISMATCH) return err;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return codeOf(cause) === REPLY_MISMATCH ? cause : undefined;
}
/** `GET VAR ups ups.status got VAR ups ups.mode.buzzwords "..."`, when the error says which. */
function describeMismatch(err: unknown): string {
  const e = err as { request?: unknown; replyLine?: unknown };
  if (typeof e.request === "string" && typeof e.replyLine === "string") {
    return `${e.request} got ${e.replyLine}`;
  }
  return messageOf(err);
}

/** STARTTLS settings for this server from CERTPATH/CERTVERIFY/FORCESSL/CERTHOST, or undefined for plaintext. */
function tlsFor(entry: MonitorEntry, config: UpsmonConfig): NutTlsOptions | undefined {
  const hostKey = `${entry.host}:${entry.port}`;
  const certHost = config.certHosts.find((h) => h.host === entry.host || h.host === hostKey);
  const verify = certHost?.certVerify ?? config.certVerify;
  const required = certHost?.forceSsl ?? config.forceSsl;
  if (!verify && !required && config.certPath === undefined && certHost === undefined) return undefined;
  const tls: NutTlsOptions = { verify, required };
  if (config.certPath !== undefined) tls.caFile = config.certPath;
  if (certHost !== undefined) tls.servername = certHost.certName;
  return tls;
}

export function createNutLink(
  entry: MonitorEntry,
  config: UpsmonConfig,
  log: Logger,
  o: NutLinkOptions = {},
): UpsLink {
  return new NutUpsLink(entry, config, log, o);
}

export class NutUpsLink implements UpsLink, PollCarrierMember {
  private readonly session: NutSession;
  private lastError: { code: string; message: string } = { code: "CONNECTING", message: "Not connected yet" };
  /** What a poll reads, learned per connection. */
  private readonly reader: PollReader;
  private stateListener: ((change: LinkStateChange) => void) | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly keepaliveMs: number;
  /** The options of every poll request (one object, not one per poll). */
  private readonly requestOptions: { timeoutMs: number };
  /** The steady poll's request when the caller keeps its deadline (pollThen's `deadlineKept`): no timer. */
  private readonly keptDeadlineOptions: { timeoutMs: number; timer: false };
  /** The configuration makes connecting impossible (CERTVERIFY without CERTPATH): never connect. */
  private impossible = false;
  /** After this long an unanswered poll counts as failed (upsmon: connect timeout + 5 s). */
  readonly pollTimeoutMs: number;
  /** `host:port`, the key of oneAtATimeServers and of the poll carriers. */
  readonly server: string;
  private readonly carriers: PollCarriers<NutUpsLink> | undefined;
  /** This link's session opens its connections with one request in flight. */
  private oneAtATime = false;
  /** The monitor's clock (virtual in a drill): when this link's own connection last sent a request. */
  private readonly clock: Clock;
  private lastOwnRequestMs = Number.NEGATIVE_INFINITY;
  /** Date.now() of the last request on this link's own connection (for the keep-alive). */
  private lastRequestRealMs = Date.now();
  /** A carried link still polls on its own connection this often (before the keep-alive is due). */
  private readonly ownPollEveryMs: number;

  constructor(
    readonly entry: MonitorEntry,
    config: UpsmonConfig,
    private readonly log: Logger,
    o: NutLinkOptions,
  ) {
    this.requestTimeoutMs = o.requestTimeoutMs ?? 5000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
    this.keepaliveMs = o.keepaliveMs ?? KEEPALIVE_MS;
    this.requestOptions = { timeoutMs: this.requestTimeoutMs };
    this.keptDeadlineOptions = { timeoutMs: this.requestTimeoutMs, timer: false };
    this.pollTimeoutMs = this.connectTimeoutMs + this.requestTimeoutMs;
    this.server = `${entry.host}:${entry.port}`;
    this.carriers = o.carriers;
    this.clock = o.clock ?? realClock;
    this.ownPollEveryMs = this.keepaliveMs - Math.min(5000, this.keepaliveMs / 2);
    this.reader = new PollReader(entry.upsName, entry.host, (err) => this.noteFailure(err));
    const tls = tlsFor(entry, config);
    if (config.certVerify && config.certPath === undefined) {
      // upsmon refuses to connect at all rather than verify against nothing
      log.error("Configuration error: CERTVERIFY is set, but CERTPATH isn't");
      log.error(`UPS [${entry.system}]: Connection impossible, dropping link`);
      this.impossible = true;
      this.lastError = { code: "CONFIG", message: "CERTVERIFY is set, but CERTPATH isn't" };
    }
    this.session = new NutSession({
      host: entry.host,
      port: entry.port,
      connectTimeoutMs: this.connectTimeoutMs,
      ...(o.family ? { family: o.family } : {}),
      requestTimeoutMs: this.requestTimeoutMs,
      username: entry.username,
      password: entry.password,
      login: entry.upsName,
      keepWithoutLogin: true,
      ...(oneAtATimeServers.has(this.server) ? { maxInFlight: 1 } : {}),
      // upsmon retries on every poll; keep the retry delay within one poll interval
      backoff: { initialMs: 500, factor: 2, maxMs: Math.max(1000, config.pollFreqAlertSec * 1000) },
      ...(tls ? { tls } : {}),
    });
    this.oneAtATime = oneAtATimeServers.has(this.server);
    this.session.on("state", (change: SessionStateChange) => this.onState(change));
  }

  /** Whether requests to this server go one at a time (and makes the session's next connections so). */
  private oneRequestAtATime(): boolean {
    if (!this.oneAtATime && oneAtATimeServers.has(this.server)) {
      this.oneAtATime = true;
      this.session.setMaxInFlight(1);
    }
    return this.oneAtATime;
  }

  /** A request failed: a reply that answered another request means no more pipelining to this server. */
  private noteFailure(err: unknown): void {
    const mismatch = replyMismatchOf(err);
    if (mismatch === undefined || oneAtATimeServers.has(this.server)) return;
    oneAtATimeServers.add(this.server);
    this.oneRequestAtATime();
    this.log.warning(
      `UPS [${this.entry.system}]: server ${this.server} answered a request with the reply to another ` +
        `(${describeMismatch(mismatch)}); talking to it one request at a time from now on`,
    );
    // the client closes such a connection; make sure its replies are never used again. After the
    // connection has settled its other requests (a callback poll reports from inside its read)
    const client = this.session.client;
    queueMicrotask(() => client?.destroy());
  }
  onStateChange(listener: (change: LinkStateChange) => void): void {
    this.stateListener = listener;
    if (this.impossible) listener({ state: "lost", error: this.lastError.message });
  }

  private reportState(change: SessionStateChange): void {
    const report = this.stateListener;
    if (report === undefined) return;
    if (change.state === "disconnected") {
      const lost: LinkStateChange = { state: "lost" };
      if (change.error) lost.error = messageOf(change.error);
      if (change.retryInMs !== undefined) lost.retryInMs = change.retryInMs;
      report(lost);
    } else if (change.state !== "idle") report({ state: change.state });
  }

  start(): void {
    if (this.impossible) return;
    this.carriers?.join(this);
    this.session.start();
    this.armKeepalive(this.keepaliveMs);
  }

  /** The keep-alive timer; a request does not touch it (it reads the time of the last one when it fires). */
  private armKeepalive(ms: number): void {
    this.keepalive = setTimeout(this.keepaliveDue, ms);
    this.keepalive.unref();
  }

  /** A request goes out on this link's connection now: the keep-alive is due keepaliveMs after it. */
  private noteRequest(): void {
    this.lastRequestRealMs = Date.now();
    this.lastOwnRequestMs = this.clock.now();
  }

  /** keepaliveMs after the last request (real time: upsd's idle cutoff is), a `VER`; else wait the rest. */
  private readonly keepaliveDue = (): void => {
    const idleMs = Date.now() - this.lastRequestRealMs;
    if (idleMs >= 0 && idleMs < this.keepaliveMs) this.armKeepalive(this.keepaliveMs - idleMs);
    else this.keepAlive();
  };

  private onState(change: SessionStateChange): void {
    this.reportState(change);
    if (change.state === "connected") {
      this.reader.reset();
      this.noteRequest();
      if (change.loginRefused) {
        this.loginRefused(change.loginRefused.replyLine);
        return;
      }
      this.log.debug(`Logged into UPS ${this.entry.system}`, 1);
      if (this.entry.role === "primary") void this.applyForPrimary();
    } else if (change.state === "disconnected" && change.error) {
      this.noteFailure(change.error);
      const first = this.lastError.code !== codeOf(change.error) || change.failures <= 1;
      this.lastError = { code: codeOf(change.error), message: messageOf(change.error) };
      const line = `UPS [${this.entry.system}]: connect failed: ${this.lastError.message}`;
      if (first) this.log.error(line);
      else this.log.debug(line, 1);
    }
  }

  /** upsmon's wording; it then polls on the connection without LOGIN (and without PRIMARY). */
  private loginRefused(reply: string): void {
    const system = this.entry.system;
    this.log.error(`Login on UPS [${system}] failed - got [${reply}]`);
    this.log.warning(
      this.entry.role === "primary"
        ? `UPS [${system}]: monitoring without LOGIN: this host is not counted in NUMLOGINS and has no primary rights (no PRIMARY without LOGIN)`
        : `UPS [${system}]: monitoring without LOGIN: this host is not counted in NUMLOGINS, so the primary's HOSTSYNC will not count this host`,
    );
  }

  private async applyForPrimary(): Promise<void> {
    const client = this.session.client;
    if (!client) return;
    try {
      await client.primary(this.entry.upsName);
    } catch (err) {
      this.log.error(`Primary managerial privileges unavailable on UPS [${this.entry.system}]`);
      this.log.error(`Reason: ${messageOf(err)}`);
    }
  }

  private keepAlive(): void {
    const client = this.session.client;
    this.noteRequest();
    this.armKeepalive(this.keepaliveMs); // connected or not
    if (client) client.ver(this.requestOptions).catch((err: unknown) => this.noteFailure(err));
  }

  /** The client, waiting for a connection attempt in progress (upsmon connects before it polls). */
  private async connectedClient(): Promise<NutClient | undefined> {
    if (this.session.client || this.session.state !== "connecting") return this.session.client;
    return this.session
      .whenConnected(AbortSignal.timeout(this.connectTimeoutMs + this.requestTimeoutMs))
      .catch(() => undefined);
  }

  /** Its own connection is up, and the server is spoken to pipelined. */
  canCarry(): boolean {
    return this.session.client?.isOpen === true && !this.oneAtATime && !oneAtATimeServers.has(this.server);
  }

  /** Not async: a connected link's poll is the reader's promise itself (no extra promise per poll). */
  poll(demand?: PollDemand): Promise<PollResult> {
    const client = this.session.client;
    if (client === undefined) return this.pollWhenConnected(demand);
    return this.pollOn(client, demand);
  }

  private async pollWhenConnected(demand: PollDemand | undefined): Promise<PollResult> {
    const client = await this.connectedClient();
    if (!client) return { kind: "failure", ...this.lastError };
    return this.pollOn(client, demand);
  }

  /**
   * `poll`, its result handed to `done` (the daemon's steady path, link-polls.ts): on a connection
   * spoken to pipelined, the reader's callback poll, without a promise; otherwise `poll`'s promise.
   */
  pollThen(demand: PollDemand | undefined, done: (result: PollResult) => void, deadlineKept = false): void {
    const client = this.session.client;
    if (client === undefined || this.oneRequestAtATime()) {
      this.poll(demand).then(done, (err: unknown) =>
        done({ kind: "failure", code: codeOf(err), message: messageOf(err) }),
      );
      return;
    }
    this.reader.readPipelinedThen(
      this.pipelinedClient(client),
      this.requestOptions,
      demand ?? STATUS_ONLY,
      done,
      deadlineKept ? this.keptDeadlineOptions : this.requestOptions,
    );
  }

  checkDeadlines(): void {
    this.reader.checkDeadlines();
  }

  /** The poll, with this link's own connection up; one request at a time to a server that answered out of order. */
  private pollOn(own: NutClient, demand: PollDemand | undefined): Promise<PollResult> {
    if (this.oneRequestAtATime()) {
      this.noteRequest();
      return this.reader.read(own, this.requestOptions, demand);
    }
    return this.reader.readPipelined(this.pipelinedClient(own), this.requestOptions, demand);
  }

  /**
   * Where a pipelined poll goes, its request noted there: the server's carrier, except once every
   * `ownPollEveryMs` of the monitor's clock, when it goes on the link's own connection (that keeps it
   * under upsd's idle cutoff with a real poll instead of a `VER`, and on the drill's virtual clock too).
   */
  private pipelinedClient(own: NutClient): NutClient {
    const carrier = this.carriers?.carrierFor(this) ?? this;
    const carried = carrier.session.client;
    if (
      carrier === this ||
      carried === undefined ||
      this.clock.now() - this.lastOwnRequestMs >= this.ownPollEveryMs
    ) {
      this.noteRequest();
      return own;
    }
    carrier.noteRequest();
    return carried;
  }

  async setFsd(): Promise<boolean> {
    const client = this.session.client;
    if (!client) {
      this.log.error(`FSD set on UPS ${this.entry.system} failed: ${this.lastError.message}`);
      return false;
    }
    try {
      await client.fsd(this.entry.upsName, { timeoutMs: this.requestTimeoutMs });
      this.log.debug(`data server confirmed setting FSD for UPS [${this.entry.system}]`, 1);
      return true;
    } catch (err) {
      this.noteFailure(err);
      // upsmon prints the server's reply as it came (`ERR ACCESS-DENIED`)
      const why = err instanceof NutServerError ? err.replyLine : messageOf(err);
      this.log.error(`FSD set on UPS ${this.entry.system} failed: ${why}`);
      return false;
    }
  }

  async numLogins(): Promise<number | undefined> {
    const client = this.session.client;
    if (!client) return undefined;
    this.noteRequest();
    return client.getNumLogins(this.entry.upsName, this.requestOptions).catch((err: unknown) => {
      this.noteFailure(err);
      return undefined;
    });
  }

  async close(): Promise<void> {
    this.carriers?.leave(this);
    if (this.keepalive) clearTimeout(this.keepalive);
    await this.session.close().catch(() => {});
  }
}
