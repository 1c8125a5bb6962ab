/**
 * `nutguard exporter`'s poller: watches UPSes on any number of upsd servers, with no shutdown logic,
 * and offers what it knows as the same view the monitor offers (snapshot + event stream), so one HTTP
 * surface serves both. One persistent connection per server (no LOGIN: it is not an upsmon), a round
 * every interval: `LIST UPS` for `*@host` targets, then `LIST VAR` for each UPS, pipelined — one round
 * trip per UPS, however many variables are exported. A round never overlaps the previous one.
 */
import { NutSession } from "../client/session.js";
import type { ObservedView } from "../http/view.js";
import type { MonitorEvent, MonitorListener, MonitorSnapshot, UpsSnapshot } from "../monitor/events.js";
import type { Logger } from "../util/log.js";
import type { ExporterTarget } from "./exporter-conf.js";
import { applyPoll, initialUps, type UpsKey, type UpsPoll } from "./state.js";

export interface ExporterPollerOptions {
  targets: readonly ExporterTarget[];
  intervalSec: number;
  username?: string | undefined;
  password?: string | undefined;
  log: Logger;
  now?: () => number;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  configPath?: string | undefined;
}

interface ServerGroup {
  host: string;
  port: number;
  /** Named UPSes, in target order. */
  named: string[];
  wildcard: boolean;
  session: NutSession;
  lastError: string;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function systemName(ups: string, host: string, port: number): string {
  return `${ups}@${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export class ExporterPoller implements ObservedView {
  readonly source = "exporter" as const;
  private readonly groups: ServerGroup[] = [];
  private readonly ups = new Map<string, UpsSnapshot>();
  private readonly listeners = new Set<MonitorListener>();
  private current: MonitorSnapshot;
  private builds = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(private o: ExporterPollerOptions) {
    this.now = o.now ?? Date.now;
    this.timeoutMs = o.requestTimeoutMs ?? 5000;
    this.addTargets(o.targets, []);
    this.current = this.build();
  }

  /** Groups per server for `targets`, reusing the sessions of `reusable` groups to the same server. */
  private addTargets(targets: readonly ExporterTarget[], reusable: readonly ServerGroup[]): void {
    for (const t of targets) {
      let g = this.groups.find((x) => x.host === t.host && x.port === t.port);
      if (!g) {
        const old = reusable.find((x) => x.host === t.host && x.port === t.port);
        if (old) {
          old.named = [];
          old.wildcard = false;
          g = old;
        } else g = this.newGroup(t);
        this.groups.push(g);
      }
      if (t.ups === undefined) g.wildcard = true;
      else if (!g.named.includes(t.ups)) {
        g.named.push(t.ups);
        this.track(g, t.ups);
      }
    }
  }

  private newGroup(t: ExporterTarget): ServerGroup {
    const o = this.o;
    const g: ServerGroup = {
      host: t.host,
      port: t.port,
      named: [],
      wildcard: false,
      lastError: "Not connected yet",
      session: new NutSession({
        host: t.host,
        port: t.port,
        connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
        requestTimeoutMs: this.timeoutMs,
        ...(o.username !== undefined ? { username: o.username, password: o.password } : {}),
        backoff: { initialMs: 500, factor: 2, maxMs: Math.max(1000, o.intervalSec * 1000) },
      }),
    };
    g.session.on("state", (c: { state: string; error?: Error }) => {
      if (c.state === "disconnected" && c.error) g.lastError = messageOf(c.error);
    });
    return g;
  }

  /**
   * New targets, interval or credentials (a reload): waits for a round in flight, keeps the connection
   * to every server still watched (unless the credentials changed), closes the others, forgets the UPSes
   * no longer watched, and goes on at the new interval.
   */
  async reconfigure(
    next: Pick<ExporterPollerOptions, "targets" | "intervalSec" | "username" | "password">,
  ): Promise<void> {
    const wasRunning = this.timer !== undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    const sameLogin = next.username === this.o.username && next.password === this.o.password;
    this.o = { ...this.o, ...next };
    const old = this.groups.splice(0);
    this.addTargets(next.targets, sameLogin ? old : []);
    const kept = new Set(this.groups.map((g) => g.session));
    await Promise.all(
      old.filter((g) => !kept.has(g.session)).map((g) => g.session.close().catch(() => undefined)),
    );
    for (const u of [...this.ups.values()]) {
      const g = this.groups.find((x) => x.host === u.host && x.port === u.port);
      if (!g || (!g.wildcard && !g.named.includes(u.upsName))) this.ups.delete(u.system);
    }
    this.current = this.build();
    if (this.stopped) return;
    for (const g of this.groups) if (!old.some((x) => x.session === g.session)) g.session.start();
    if (wasRunning) this.schedule();
  }

  private schedule(): void {
    this.timer = setInterval(() => {
      if (!this.running) void this.round();
    }, this.o.intervalSec * 1000);
  }

  private track(g: ServerGroup, ups: string): void {
    const key: UpsKey = { system: systemName(ups, g.host, g.port), upsName: ups, host: g.host, port: g.port };
    if (!this.ups.has(key.system)) this.ups.set(key.system, initialUps(key));
  }

  private build(): MonitorSnapshot {
    this.builds++;
    const sec = this.o.intervalSec;
    return Object.freeze({
      timeMs: this.now(),
      ups: Object.freeze([...this.ups.values()]),
      settings: {
        pollFreqSec: sec,
        pollFreqAlertSec: sec,
        deadTimeSec: 3 * sec,
        hostSyncSec: 0,
        finalDelaySec: 0,
        minSupplies: 0,
        configPath: this.o.configPath,
      },
      healthyPowerValue: 0,
      shutdown: "none",
      summary: [...this.ups.values()]
        .map(
          (u) => `${u.system}: ${u.lastPollMs === undefined ? "waiting" : u.status.join(" ") || "no status"}`,
        )
        .join(", "),
      notificationCounts: {},
    });
  }

  snapshot(): MonitorSnapshot {
    return this.current;
  }

  /** Changes with each new snapshot (ObservedView.revision). */
  revision(): number {
    return this.builds;
  }

  subscribe(listener: MonitorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(events: readonly MonitorEvent[]): void {
    for (const e of events) {
      const frozen = Object.freeze(e);
      for (const l of this.listeners) {
        try {
          l(frozen);
        } catch (err) {
          this.o.log.error(`exporter: an event listener failed: ${messageOf(err)}`);
        }
      }
    }
  }

  /** Connect to every server, run the first round (after the connections are tried), then every interval. */
  async start(): Promise<void> {
    for (const g of this.groups) g.session.start();
    await Promise.all(
      this.groups.map((g) =>
        g.session
          .whenConnected(AbortSignal.timeout(this.o.connectTimeoutMs ?? 10_000))
          .catch(() => undefined),
      ),
    );
    await this.round();
    if (this.stopped) return;
    this.schedule();
  }

  /** One poll of every server (resolves when all have answered or failed). */
  round(): Promise<void> {
    this.running = Promise.all(this.groups.map((g) => this.pollServer(g))).then(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pollServer(g: ServerGroup): Promise<void> {
    const client = g.session.client;
    const results = new Map<string, UpsPoll>();
    const known = () => [...this.ups.values()].filter((u) => u.host === g.host && u.port === g.port);
    if (!client) {
      for (const u of known()) results.set(u.upsName, { ok: false, error: g.lastError });
    } else {
      const opts = { timeoutMs: this.timeoutMs };
      let names = [...g.named];
      let listed: string[] | undefined;
      if (g.wildcard) {
        try {
          listed = (await client.listUps(opts)).map((e) => e.name);
          for (const n of listed) if (!names.includes(n)) names.push(n);
        } catch (err) {
          names = [...new Set([...names, ...known().map((u) => u.upsName)])];
          for (const n of names) results.set(n, { ok: false, error: messageOf(err) });
        }
      }
      const pending = names
        .filter((n) => !results.has(n))
        .map((n) =>
          client.listVar(n, opts).then(
            (vars): [string, UpsPoll] => [
              n,
              { ok: true, vars: Object.fromEntries(vars.map((v) => [v.name, v.value])) },
            ],
            (err): [string, UpsPoll] => [n, { ok: false, error: messageOf(err) }],
          ),
        );
      for (const [n, r] of await Promise.all(pending)) results.set(n, r);
      if (listed) {
        for (const u of known()) {
          if (!listed.includes(u.upsName) && !g.named.includes(u.upsName)) this.ups.delete(u.system);
        }
      }
    }
    if (this.stopped) return;
    const nowMs = this.now();
    const events: MonitorEvent[] = [];
    for (const [name, poll] of results) {
      this.track(g, name);
      const system = systemName(name, g.host, g.port);
      const prev = this.ups.get(system)!;
      const { next, events: ev } = applyPoll(prev, poll, nowMs);
      if (!poll.ok && prev.link !== "lost") this.o.log.error(`Poll UPS [${system}] failed - ${poll.error}`);
      if (poll.ok && prev.link === "lost") this.o.log.notice(`Communications with UPS ${system} established`);
      this.ups.set(system, next);
      events.push(...ev);
    }
    this.current = this.build();
    this.emit(events);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await Promise.all(this.groups.map((g) => g.session.close().catch(() => undefined)));
  }
}
