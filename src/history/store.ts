/**
 * The history store: recent monitor events and UPS readings, kept in memory for the API, the status
 * page and its charts, and appended to `<dir>/history.log` so they survive a restart (codec.ts).
 *
 * Bounded: records older than `hours` and events beyond MAX_EVENTS are dropped; the file is rewritten
 * (temp file + fsync + rename, never half-written) when it holds twice what is kept. A foreign or
 * corrupt file is reported and renamed aside (`history.log.corrupt-<time>`), never fatal; a directory
 * that cannot be written leaves the store in memory only, said once. Writes are queued one at a time
 * and never awaited by callers: recording never delays the poll loop.
 *
 * The one owner of event sequence numbers (the ids of the API and the event stream).
 */
import { mkdirSync, readFileSync, renameSync } from "node:fs";
import { appendFile, open, rename } from "node:fs/promises";
import { join } from "node:path";
import type { MonitorEvent, MonitorSnapshot } from "../monitor/events.js";
import type { Logger } from "../util/log.js";
import { decodeHistory, encodeRecord, HISTORY_HEADER, type HistoryRecord, type Sample } from "./codec.js";
import type { HistorySettings } from "./history-conf.js";

export const HISTORY_FILE = "history.log";
export const MAX_EVENTS = 2000;

export interface StoredEvent {
  id: number;
  event: MonitorEvent;
}

export class HistoryStore {
  private readonly events: StoredEvent[] = [];
  private readonly samples = new Map<string, Sample[]>();
  private nextId = 1;
  private linesInFile = 0;
  private writing: Promise<void> = Promise.resolve();
  private persistent: boolean;
  private failedWrite = false;
  private pending: string[] = [];
  private writeQueued = false;
  readonly file: string;

  constructor(
    private readonly settings: HistorySettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    persistent = true,
  ) {
    this.file = join(settings.dir, HISTORY_FILE);
    this.persistent = persistent;
    if (persistent) this.load();
  }

  private get windowMs(): number {
    return this.settings.hours * 3600_000;
  }

  private load(): void {
    try {
      mkdirSync(this.settings.dir, { recursive: true, mode: 0o750 });
    } catch (err) {
      this.inMemoryOnly(`cannot create ${this.settings.dir}: ${(err as Error).message}`);
      return;
    }
    let text = "";
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        this.inMemoryOnly(`cannot read ${this.file}: ${(err as Error).message}`);
        return;
      }
    }
    const d = decodeHistory(text);
    if (d.foreign || d.corruptLines.length > 0) {
      const aside = `${this.file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, "-")}`;
      const why = d.foreign
        ? "is not a nutguard history file"
        : `has ${d.corruptLines.length} corrupt record(s) (first at line ${d.corruptLines[0]})`;
      try {
        renameSync(this.file, aside);
        this.log.warning(
          `history: ${this.file} ${why}; moved aside to ${aside}, starting from what was readable`,
        );
      } catch (err) {
        this.inMemoryOnly(`${this.file} ${why} and cannot be moved aside: ${(err as Error).message}`);
        return;
      }
    } else if (d.tornTail) {
      this.log.notice(`history: ${this.file} ended in a partly written record (a crash?); it was dropped`);
    }
    for (const r of d.records) this.apply(r);
    this.prune();
    // start every run from a clean, compact file (also drops a torn tail)
    this.compact();
  }

  private inMemoryOnly(why: string): void {
    this.persistent = false;
    this.log.warning(`history: ${why}; keeping history in memory only (lost on restart)`);
  }

  private apply(r: HistoryRecord): void {
    if (r.t === "event") {
      this.events.push({ id: r.id, event: r.e });
      this.nextId = Math.max(this.nextId, r.id + 1);
    } else {
      const { t: _t, ...sample } = r;
      let list = this.samples.get(sample.ups);
      if (!list) this.samples.set(sample.ups, (list = []));
      list.push(sample);
    }
  }

  private prune(): void {
    const cutoff = this.now() - this.windowMs;
    let drop = 0;
    while (drop < this.events.length && this.events[drop]!.event.timeMs < cutoff) drop++;
    drop = Math.max(drop, this.events.length - MAX_EVENTS);
    if (drop > 0) this.events.splice(0, drop);
    for (const [ups, list] of this.samples) {
      let n = 0;
      while (n < list.length && list[n]!.ms < cutoff) n++;
      if (n > 0) list.splice(0, n);
      if (list.length === 0) this.samples.delete(ups);
    }
  }

  private keptRecords(): number {
    let n = this.events.length;
    for (const list of this.samples.values()) n += list.length;
    return n;
  }

  private append(r: HistoryRecord): void {
    this.apply(r);
    if (!this.persistent) return;
    this.pending.push(encodeRecord(r));
    this.linesInFile++;
    if (!this.writeQueued) {
      this.writeQueued = true;
      this.writing = this.writing.then(() => this.writePending());
    }
    if (this.linesInFile > 2 * this.keptRecords() + 100) {
      this.prune();
      this.compact();
    }
  }

  /** Append what is pending in one write (records that arrive while a write runs wait for the next). */
  private async writePending(): Promise<void> {
    this.writeQueued = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    try {
      await appendFile(this.file, text, { mode: 0o640 });
      this.failedWrite = false;
    } catch (err) {
      if (!this.failedWrite)
        this.log.warning(`history: cannot append to ${this.file}: ${(err as Error).message}`);
      this.failedWrite = true;
    }
  }

  /**
   * Rewrite the file with what is kept: temp file, fsync, rename. Queued after pending writes; the
   * content is taken when it runs, so every record applied by then is in it.
   */
  private compact(): void {
    if (!this.persistent) return;
    this.linesInFile = this.keptRecords();
    this.writing = this.writing.then(async () => {
      this.pending = [];
      const records: HistoryRecord[] = this.events.map((e) => ({ t: "event", id: e.id, e: e.event }));
      for (const list of this.samples.values()) for (const s of list) records.push({ t: "sample", ...s });
      const text = HISTORY_HEADER + "\n" + records.map(encodeRecord).join("");
      this.linesInFile = records.length;
      const tmp = `${this.file}.tmp`;
      try {
        const fh = await open(tmp, "w", 0o640);
        try {
          await fh.writeFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.file);
      } catch (err) {
        this.log.warning(`history: cannot rewrite ${this.file}: ${(err as Error).message}`);
      }
    });
  }

  /** Record an event; returns its sequence number. */
  record(event: MonitorEvent): number {
    const id = this.nextId++;
    this.append({ t: "event", id, e: event });
    if (this.events.length > MAX_EVENTS + MAX_EVENTS / 10) this.prune();
    return id;
  }

  /** Record each UPS's readings from a snapshot (charts). */
  sample(s: MonitorSnapshot, ms = this.now()): void {
    for (const u of s.ups) {
      if (u.lastPollMs === undefined) continue;
      const r = u.readings;
      const sample: Sample = { ms, ups: u.system };
      if (r.charge !== undefined) sample.charge = r.charge;
      if (r.runtime !== undefined) sample.runtime = r.runtime;
      if (r.load !== undefined) sample.load = r.load;
      if (r.inputVoltage !== undefined) sample.inputVoltage = r.inputVoltage;
      this.append({ t: "sample", ...sample });
    }
    this.prune();
  }

  /** The last `limit` events, oldest first; only those after `afterId` when given. */
  recentEvents(limit = 100, afterId = 0): StoredEvent[] {
    const from = afterId > 0 ? this.events.filter((e) => e.id > afterId) : this.events;
    return from.slice(Math.max(0, from.length - limit));
  }

  /** Readings of one UPS since `sinceMs`, oldest first. */
  series(ups: string, sinceMs: number): readonly Sample[] {
    return (this.samples.get(ups) ?? []).filter((s) => s.ms >= sinceMs);
  }

  get hours(): number {
    return this.settings.hours;
  }

  /** Resolves when every queued write has reached the file. */
  flush(): Promise<void> {
    return this.writing;
  }
}
