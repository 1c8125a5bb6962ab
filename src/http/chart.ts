/**
 * Small inline SVG line charts for the status page (no scripts, no external resources). Pure.
 */
import type { Sample } from "../history/codec.js";

export interface ChartSpec {
  title: string;
  field: "charge" | "runtime" | "load" | "inputVoltage";
  unit: string;
  /** Fixed scale (percentages); otherwise from the data. */
  min?: number;
  max?: number;
}

export const CHARTS: readonly ChartSpec[] = [
  { title: "Charge", field: "charge", unit: "%", min: 0, max: 100 },
  { title: "Runtime", field: "runtime", unit: "s", min: 0 },
  { title: "Load", field: "load", unit: "%", min: 0, max: 100 },
  { title: "Input voltage", field: "inputVoltage", unit: "V" },
];

const W = 300;
const H = 64;
/** Keeps lines at the top or bottom of the scale off the frame. */
const PAD = 4;

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** An SVG chart of one reading over [startMs, endMs]; says so when there is no data. */
export function renderChart(
  spec: ChartSpec,
  samples: readonly Sample[],
  startMs: number,
  endMs: number,
): string {
  const points = samples
    .filter((s) => s.ms >= startMs && s.ms <= endMs && s[spec.field] !== undefined)
    .map((s) => [s.ms, s[spec.field]!] as const);

  if (points.length === 0) {
    return `<figure class="chart"><figcaption>${esc(spec.title)}</figcaption><p class="nodata">no data yet</p></figure>`;
  }
  const values = points.map((p) => p[1]);
  let lo = spec.min ?? Math.min(...values);
  let hi = spec.max ?? Math.max(...values);
  if (spec.min === undefined) lo -= (hi - lo) * 0.1 + 1;
  if (spec.max === undefined) hi += (hi - lo) * 0.1 + 1;
  // less than the whole window recorded yet: the chart spans what there is (said below it)
  const from = Math.max(startMs, points[0]![0]);
  const span = Math.max(1, endMs - from);
  const x = (ms: number) => ((ms - from) / span) * W;
  const y = (v: number) => PAD + (H - 2 * PAD) * (1 - (v - lo) / Math.max(1e-9, hi - lo));
  const coords = points.map(([ms, v]) => `${x(ms).toFixed(1)},${y(v).toFixed(1)}`);
  // a single reading still shows as a short flat line up to now
  if (points.length === 1) coords.push(`${W},${y(points[0]![1]).toFixed(1)}`);
  const last = values[values.length - 1]!;
  const since =
    from > startMs
      ? `since ${new Date(from).toISOString().slice(11, 16)} UTC`
      : `last ${sinceText(endMs - startMs)}`;
  const label = `${spec.title}, ${since}`;
  return (
    `<figure class="chart"><figcaption>${esc(spec.title)} <span>${last} ${spec.unit}</span></figcaption>` +
    `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${esc(label)}">` +
    `<rect x="0" y="0" width="${W}" height="${H}" fill="none" stroke="#ccc" stroke-width="1"/>` +
    `<polyline fill="none" stroke="#2563eb" stroke-width="2" vector-effect="non-scaling-stroke" points="${coords.join(" ")}"/>` +
    `</svg><div class="range"><span>${fmt(lo)} to ${fmt(hi)} ${spec.unit}</span><span>${since}</span></div></figure>`
  );
}

function sinceText(ms: number): string {
  const h = ms / 3600_000;
  return h >= 1 ? `${Math.round(h)} h` : `${Math.round(ms / 60_000)} min`;
}

function fmt(v: number): string {
  return String(Math.round(v * 10) / 10);
}
