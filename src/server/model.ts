/**
 * What every connection of one server shares: the UPSes (each a simulation plus upsd's latched
 * FSD flag), the users, the descriptions, the logged-in sessions (NUMLOGINS, LIST CLIENT) and the
 * TRACKING table. Pure data with small methods: no sockets, files, timers or clocks (time and
 * tracking ids are injected).
 */
import type { Descriptions } from "../config/cmdvartab.js";
import type { UpsdUser } from "../config/upsd-users.js";
import type { DummyUpsSimulation } from "./simulation.js";

export const NUT_VERSION = "2.8.0";
export const VER_REPLY = `Network UPS Tools upsd ${NUT_VERSION} - http://www.networkupstools.org/`;

export interface UpsEntry {
  /** Name as written in ups.conf. */
  name: string;
  desc: string | undefined;
  sim: DummyUpsSimulation;
  /** upsd's FSD latch: set by `FSD <ups>`, cleared only by a restart (or removal from ups.conf). */
  fsd: boolean;
}

/** Per-connection state (the session's own part; the shared part is ServerModel). */
export interface SessionState {
  readonly id: number;
  /** Peer address as LIST CLIENT shows it. */
  readonly address: string;
  username: string | undefined;
  password: string | undefined;
  /** Canonical name of the UPS this connection did LOGIN to. */
  loginUps: string | undefined;
  tracking: boolean;
  tls: boolean;
}

export type TrackingResult = "PENDING" | "SUCCESS" | "ERR UNKNOWN" | "ERR FAILED" | "ERR INVALID-ARGUMENT";

export interface ServerModelOptions {
  users: Map<string, UpsdUser>;
  descriptions?: Descriptions;
  tlsConfigured: boolean;
  trackingDelayMs?: number;
  /** Source of TRACKING ids (upper-case UUIDs); injected so tests are deterministic. */
  newTrackingId: () => string;
}

export class ServerModel {
  private readonly upsByKey = new Map<string, UpsEntry>();
  users: Map<string, UpsdUser>;
  descriptions: Descriptions;
  tlsConfigured: boolean;
  readonly sessions = new Set<SessionState>();
  private readonly tracking = new Map<string, { result: TrackingResult; expiresAtMs: number }>();
  private readonly trackingDelayMs: number;
  private readonly newTrackingId: () => string;
  private nextSessionId = 1;

  constructor(options: ServerModelOptions) {
    this.users = options.users;
    this.descriptions = options.descriptions ?? { vars: new Map(), cmds: new Map() };
    this.tlsConfigured = options.tlsConfigured;
    this.trackingDelayMs = options.trackingDelayMs ?? 3600_000;
    this.newTrackingId = options.newTrackingId;
  }

  /** UPSes in ups.conf order. */
  get upsList(): UpsEntry[] {
    return [...this.upsByKey.values()];
  }

  /** Replace the set of UPSes (start-up and reload); an entry passed again keeps its FSD latch. */
  setUps(entries: UpsEntry[]): void {
    this.upsByKey.clear();
    for (const e of entries) this.upsByKey.set(e.name.toLowerCase(), e);
  }

  /** UPS names are matched case-insensitively, as upsd does. */
  findUps(name: string): UpsEntry | undefined {
    return this.upsByKey.get(name.toLowerCase());
  }

  openSession(address: string): SessionState {
    const s: SessionState = {
      id: this.nextSessionId++,
      address,
      username: undefined,
      password: undefined,
      loginUps: undefined,
      tracking: false,
      tls: false,
    };
    this.sessions.add(s);
    return s;
  }

  /** A connection closed: it no longer counts in NUMLOGINS or LIST CLIENT. */
  closeSession(s: SessionState): void {
    this.sessions.delete(s);
  }

  loggedIn(upsName: string): SessionState[] {
    const key = upsName.toLowerCase();
    return [...this.sessions].filter((s) => s.loginUps?.toLowerCase() === key);
  }

  /** Record the outcome of a SET/INSTCMD for a tracking session; returns the id. */
  track(result: TrackingResult, nowMs: number): string {
    const id = this.newTrackingId().toUpperCase();
    this.tracking.set(id, { result, expiresAtMs: nowMs + this.trackingDelayMs });
    return id;
  }

  trackingResult(id: string, nowMs: number): TrackingResult {
    const key = id.toUpperCase();
    const entry = this.tracking.get(key);
    if (!entry) return "ERR UNKNOWN";
    if (entry.expiresAtMs <= nowMs) {
      this.tracking.delete(key);
      return "ERR UNKNOWN";
    }
    return entry.result;
  }

  /** Drop expired tracking entries (call now and then). */
  expireTracking(nowMs: number): void {
    for (const [id, e] of this.tracking) if (e.expiresAtMs <= nowMs) this.tracking.delete(id);
  }
}
