/**
 * What the HTTP surface renders, kept between requests: a hammering of scrapes or page loads must not
 * turn into a hammering of renders (each one is garbage the size of the output, and V8 grows its young
 * generation, and the process's RSS, with the allocation rate).
 *
 * - /metrics: the families that change only with the view (metrics.ts `renderRoundMetrics`) are
 *   rendered once per change — an event, a new history sample, or the view's `revision()` — and the same
 *   bytes go to every scrape in between; the few clock-dependent lines (`nut_ups_up`, ages) once per
 *   second (so an age may be read up to 1 s early).
 * - The status page and its live fragment show ages in whole seconds: rendered once per change and
 *   per second.
 */
import type { LastDrillRead } from "../drill/last-drill.js";
import type { HistoryStore } from "../history/store.js";
import { NUTGUARD_VERSION } from "../util/version.js";
import { renderClockMetrics, renderRoundMetrics } from "./metrics.js";
import { type PageInput, renderLive, renderPage } from "./page.js";
import type { ObservedView } from "./view.js";

interface Kept {
  key: string;
  bytes: Buffer;
}

export class RenderCache {
  private changes = 0;
  private round: Kept = { key: "", bytes: Buffer.alloc(0) };
  private clock: Kept = { key: "", bytes: Buffer.alloc(0) };
  private page: Kept = { key: "", bytes: Buffer.alloc(0) };
  private live: Kept = { key: "", bytes: Buffer.alloc(0) };

  constructor(
    private readonly view: ObservedView,
    private readonly history: HistoryStore,
    /** The last `nutguard drill`'s result (read at most once a second, with the page). */
    private readonly lastDrill?: () => LastDrillRead | undefined,
  ) {}

  /** Something the renders show has changed (an event arrived, a sample was taken). */
  changed(): void {
    this.changes++;
  }

  private key(): string {
    return `${this.changes}:${this.view.revision?.() ?? 0}`;
  }

  /** GET /metrics at `nowMs`: the kept round families, then the clock families of this second. */
  metrics(nowMs: number): [Buffer, Buffer] {
    const input = {
      snapshot: this.view.snapshot(),
      source: this.view.source,
      nowMs,
      version: NUTGUARD_VERSION,
    };
    const key = this.key();
    if (this.round.key !== key) this.round = { key, bytes: renderRoundMetrics(input) };
    const second = `${key}:${Math.floor(nowMs / 1000)}`;
    if (this.clock.key !== second) this.clock = { key: second, bytes: renderClockMetrics(input) };
    return [this.round.bytes, this.clock.bytes];
  }

  /** GET / (the whole page) or GET live (its live part) at `nowMs`. */
  html(which: "page" | "live", nowMs: number): Buffer {
    const key = `${this.key()}:${Math.floor(nowMs / 1000)}`;
    const kept = which === "page" ? this.page : this.live;
    if (kept.key === key) return kept.bytes;
    const input = this.pageInput(nowMs);
    const bytes = Buffer.from(which === "page" ? renderPage(input) : renderLive(input), "utf8");
    if (which === "page") this.page = { key, bytes };
    else this.live = { key, bytes };
    return bytes;
  }

  private pageInput(t: number): PageInput {
    const h = this.history;
    return {
      snapshot: this.view.snapshot(),
      source: this.view.source,
      nowMs: t,
      events: h.recentEvents(20),
      series: (ups: string) => h.series(ups, t - h.hours * 3600_000),
      hours: h.hours,
      lastDrill: this.lastDrill?.(),
      version: NUTGUARD_VERSION,
    };
  }
}
