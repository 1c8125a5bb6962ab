/**
 * GET /metrics: the Prometheus text exposition (format 0.0.4) of one snapshot, every UPS in one scrape
 * with a `ups="name@host:port"` label. Pure: snapshot and the scrape's clock in, text out; a scrape
 * never talks to upsd. Names: metrics-catalogue.ts and the README's metrics table.
 */
import { NOTIFY_TYPES } from "../config/upsmon-notify-types.js";
import type { LinkState, MonitorSnapshot, ShutdownPhase, UpsSnapshot } from "../monitor/events.js";
import { INFO_LABELS, infoValue, VAR_METRICS } from "./metrics-catalogue.js";
import { KNOWN_STATUS_WORDS } from "./status-words.js";
import type { ViewSource } from "./view.js";

export interface MetricsInput {
  snapshot: MonitorSnapshot;
  source: ViewSource;
  /** The scrape's wall clock (ms), for ages. */
  nowMs: number;
  version: string;
}

export const LINK_STATES: readonly LinkState[] = ["connecting", "connected", "lost", "closed"];
export const SHUTDOWN_PHASES: readonly ShutdownPhase[] = [
  "none",
  "fsd-set",
  "waiting-secondaries",
  "final-delay",
  "shutdowncmd-requested",
  "done",
];

/** A label value escaped for the text format (backslash, double quote, line feed). */
export function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
const NEEDS_ESCAPE = /[\\"\n]/;

/** `k="v"` pairs joined (the inside of `{...}`). */
function labels(pairs: readonly (readonly [string, string])[]): string {
  let out = "";
  for (const [k, v] of pairs) out += `${out === "" ? "" : ","}${k}="${escapeLabel(v)}"`;
  return out;
}

/** A number as the text format writes it. */
function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/**
 * The exposition written straight into bytes: a scrape of 100 UPSes is ~200 KiB, and building it as
 * one string would make V8 grow (and keep) its heap for every scrape's large string.
 */
class Exposition {
  private buf: Buffer;
  private len = 0;
  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }
  private put(text: string): void {
    // a UTF-8 character takes at most 3 bytes per UTF-16 code unit
    if (this.len + text.length * 3 > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + text.length * 3));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.len += this.buf.write(text, this.len, "utf8");
  }
  family(name: string, type: "gauge" | "counter", help: string, samples: readonly string[]): void {
    if (samples.length === 0) return;
    this.put(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
    for (const line of samples) this.put(`${line}\n`);
  }
  /** The bytes written, in a buffer of their own size (a render may be kept between scrapes). */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** The labels of a UPS's sample plus one more pair. */
function withLabel(ups: string, key: string, value: string): string {
  return `${ups},${key}="${escapeLabel(value)}"`;
}

/** One sample line; `labelText` is the inside of the braces (already escaped), "" for none. */
function sample(name: string, labelText: string, value: number): string {
  return labelText === "" ? `${name} ${num(value)}` : `${name}{${labelText}} ${num(value)}`;
}

/** The value of a NUT variable as a finite number, or undefined. */
function numeric(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

/** Poll intervals allowed to pass before a UPS whose link is up counts as not polled. */
function upWindowMs(s: MonitorSnapshot): number {
  return 2 * Math.max(s.settings.pollFreqSec, s.settings.pollFreqAlertSec) * 1000 + 1000;
}

export function isUp(u: UpsSnapshot, s: MonitorSnapshot, nowMs: number): boolean {
  return u.link === "connected" && u.lastPollMs !== undefined && nowMs - u.lastPollMs <= upWindowMs(s);
}

/** Status words for the state set: every known word, then any other word the UPS reports. */
function stateSetWords(u: UpsSnapshot): string[] {
  const words: string[] = [...KNOWN_STATUS_WORDS];
  for (const w of u.status) if (!words.includes(w)) words.push(w);
  return words;
}

export function renderMetrics(input: MetricsInput): string {
  return renderMetricsBytes(input).toString("utf8");
}

/** The exposition as UTF-8 bytes: the families that hold between poll rounds, then those of the clock. */
export function renderMetricsBytes(input: MetricsInput): Buffer {
  return Buffer.concat([renderRoundMetrics(input), renderClockMetrics(input)]);
}

/** Each UPS's `ups="..."` label, escaped once per render. */
function perUps(s: MonitorSnapshot): (f: (u: UpsSnapshot, ups: string) => string[]) => string[] {
  const upsLabels = s.ups.map((u) => labels([["ups", u.system]]));
  return (f) => {
    const out: string[] = [];
    for (let i = 0; i < s.ups.length; i++) for (const line of f(s.ups[i]!, upsLabels[i]!)) out.push(line);
    return out;
  };
}

/**
 * The families that depend on the scrape's clock (`nut_ups_up`, time on battery, age of the last
 * poll): a few lines per UPS, rendered for every scrape.
 */
export function renderClockMetrics(input: MetricsInput): Buffer {
  const { snapshot: s, nowMs } = input;
  const x = new Exposition(256 + 256 * s.ups.length);
  const per = perUps(s);
  x.family(
    "nut_ups_up",
    "gauge",
    "1 when the UPS was polled successfully within the last two poll intervals.",
    per((u, ups) => [sample("nut_ups_up", ups, isUp(u, s, nowMs) ? 1 : 0)]),
  );
  x.family(
    "nut_ups_on_battery_seconds",
    "gauge",
    "How long the UPS has been on battery (0 when it is not).",
    per((u, ups) => [
      sample(
        "nut_ups_on_battery_seconds",
        ups,
        u.onBatterySinceMs === undefined ? 0 : Math.max(0, (nowMs - u.onBatterySinceMs) / 1000),
      ),
    ]),
  );
  x.family(
    "nut_ups_last_poll_age_seconds",
    "gauge",
    "Seconds since the last successful poll of the UPS.",
    per((u, ups) =>
      u.lastPollMs === undefined
        ? []
        : [sample("nut_ups_last_poll_age_seconds", ups, Math.max(0, (nowMs - u.lastPollMs) / 1000))],
    ),
  );
  return x.bytes();
}

/**
 * Every family that changes only with what a poll round read (status, readings, identity, link,
 * counters, the monitor's decision): the HTTP surface renders it once per change of the view and
 * serves the same bytes to every scrape in between (server.ts).
 */
export function renderRoundMetrics(input: MetricsInput): Buffer {
  const { snapshot: s } = input;
  const x = new Exposition(64 * 1024);
  const per = perUps(s);

  x.family("nut_exporter_info", "gauge", "nutguard's version and what serves these metrics.", [
    sample(
      "nut_exporter_info",
      labels([
        ["version", input.version],
        ["mode", input.source],
      ]),
      1,
    ),
  ]);
  x.family(
    "nut_ups_status",
    "gauge",
    "UPS status word (ups.status) as a state set: 1 when the word is present.",
    per((u, ups) =>
      stateSetWords(u).map((w) =>
        sample("nut_ups_status", withLabel(ups, "status", w), u.status.includes(w) ? 1 : 0),
      ),
    ),
  );
  x.family(
    "nut_ups_info",
    "gauge",
    "UPS identity, as labels (value 1).",
    per((u, ups) => {
      const pairs: [string, string][] = [];
      for (const [label, vars] of INFO_LABELS) {
        const v = infoValue(u, label, vars);
        if (v !== undefined) pairs.push([label, v]);
      }
      return [sample("nut_ups_info", pairs.length === 0 ? ups : `${ups},${labels(pairs)}`, 1)];
    }),
  );
  for (const m of VAR_METRICS) {
    x.family(
      m.metric,
      "gauge",
      `${m.help} From ${m.variable}.`,
      per((u, ups) => {
        const v = numeric(u.readings.vars[m.variable]);
        return v === undefined ? [] : [sample(m.metric, ups, m.scale ? round(v * m.scale) : v)];
      }),
    );
  }
  x.family(
    "nut_ups_link_state",
    "gauge",
    "The connection to the UPS's upsd, as a state set.",
    per((u, ups) =>
      LINK_STATES.map((st) =>
        sample("nut_ups_link_state", withLabel(ups, "state", st), u.link === st ? 1 : 0),
      ),
    ),
  );
  x.family(
    "nut_ups_poll_failures_total",
    "counter",
    "Polls of the UPS that failed since start.",
    per((u, ups) => [sample("nut_ups_poll_failures_total", ups, u.pollFailures)]),
  );
  if (input.source === "monitor") renderMonitor(x, s, per);
  return x.bytes();
}

function renderMonitor(
  x: Exposition,
  s: MonitorSnapshot,
  per: (f: (u: UpsSnapshot, ups: string) => string[]) => string[],
): void {
  x.family(
    "nut_monitor_ups_role",
    "gauge",
    "This host's role for the UPS (MONITOR line), value 1.",
    per((u, ups) => [sample("nut_monitor_ups_role", withLabel(ups, "role", u.role), 1)]),
  );
  x.family(
    "nut_monitor_ups_power_value",
    "gauge",
    "The UPS's power value (MONITOR line).",
    per((u, ups) => [sample("nut_monitor_ups_power_value", ups, u.powerValue)]),
  );
  x.family(
    "nut_monitor_critical",
    "gauge",
    'Whether the monitor counts the UPS as critical (1) and the rule that matched; reason="none" when healthy.',
    per((u, ups) => [
      sample("nut_monitor_critical", withLabel(ups, "reason", u.critical ?? "none"), u.critical ? 1 : 0),
    ]),
  );
  x.family("nut_monitor_healthy_power_value", "gauge", "Sum of the power values of the healthy UPSes.", [
    sample("nut_monitor_healthy_power_value", "", s.healthyPowerValue),
  ]);
  x.family(
    "nut_monitor_min_supplies",
    "gauge",
    "MINSUPPLIES: below this healthy power the host shuts down.",
    [sample("nut_monitor_min_supplies", "", s.settings.minSupplies)],
  );
  x.family(
    "nut_monitor_shutdown_in_progress",
    "gauge",
    "1 once the monitor has started the forced shutdown.",
    [sample("nut_monitor_shutdown_in_progress", "", s.shutdown === "none" ? 0 : 1)],
  );
  x.family(
    "nut_monitor_shutdown_phase",
    "gauge",
    "The forced shutdown's phase, as a state set.",
    SHUTDOWN_PHASES.map((p) =>
      sample("nut_monitor_shutdown_phase", labels([["phase", p]]), s.shutdown === p ? 1 : 0),
    ),
  );
  x.family(
    "nut_monitor_notifications_total",
    "counter",
    "Notifications the monitor sent since start, by NUT notify type.",
    NOTIFY_TYPES.map((t) =>
      sample("nut_monitor_notifications_total", labels([["type", t]]), s.notificationCounts[t] ?? 0),
    ),
  );
}

/** Ratios from percentages without binary noise (0.29 rather than 0.29000000000000004). */
function round(v: number): number {
  return Math.round(v * 1e9) / 1e9;
}
