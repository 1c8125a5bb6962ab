/**
 * GET / — the status page, rendered on the server so it is complete without JavaScript (a static
 * snapshot). app.js replaces the `#live` part with GET live (the same renderer) whenever the event
 * stream reports something. Every URL is relative, so the page works at a sub-path behind a reverse
 * proxy; nothing is loaded from outside the host. Pure: data in, HTML out.
 */

import { type LastDrillRead, lastDrillText } from "../drill/last-drill.js";
import type { Sample } from "../history/codec.js";
import type { StoredEvent } from "../history/store.js";
import type { MonitorSnapshot, UpsSnapshot } from "../monitor/events.js";
import { CHARTS, renderChart } from "./chart.js";
import { isUp } from "./metrics.js";
import { infoValue } from "./metrics-catalogue.js";
import { CRITICAL_REASON_TEXT, clock, describeEvent, duration, SHUTDOWN_PHASE_TEXT } from "./page-text.js";
import { describeStatus } from "./status-words.js";
import type { ViewSource } from "./view.js";

export interface PageInput {
  snapshot: MonitorSnapshot;
  source: ViewSource;
  nowMs: number;
  events: readonly StoredEvent[];
  series: (ups: string) => readonly Sample[];
  hours: number;
  version: string;
  /** The last `nutguard drill`'s result, when there is one. */
  lastDrill?: LastDrillRead | undefined;
}

export const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function severity(u: UpsSnapshot, up: boolean): "ok" | "warn" | "crit" {
  if (u.critical || u.status.includes("LB") || u.status.includes("FSD")) return "crit";
  if (
    !up ||
    u.status.includes("OB") ||
    u.status.some((w) => ["RB", "OVER", "ALARM", "OFF", "BYPASS"].includes(w))
  )
    return "warn";
  return "ok";
}

function row(label: string, value: string | undefined): string {
  return value === undefined ? "" : `<tr><th>${esc(label)}</th><td>${esc(value)}</td></tr>`;
}

const withUnit = (v: number | undefined, unit: string) => (v === undefined ? undefined : `${v} ${unit}`);

function linkText(u: UpsSnapshot): string {
  if (u.link === "connected") return "connected";
  if (u.link === "lost") return `lost${u.linkError ? `: ${u.linkError}` : ""}`;
  return u.link;
}

function upsCard(u: UpsSnapshot, p: PageInput): string {
  const s = p.snapshot;
  const up = isUp(u, s, p.nowMs);
  const r = u.readings;
  const v = r.vars;
  const model = [
    infoValue(u, "manufacturer", ["device.mfr", "ups.mfr"]),
    infoValue(u, "model", ["device.model", "ups.model"]),
  ]
    .filter(Boolean)
    .join(" ");
  const desc = v["device.description"] ?? model;
  const rows = [
    row("Charge", withUnit(r.charge, "%")),
    row("Runtime", r.runtime === undefined ? undefined : duration(r.runtime)),
    row("Load", withUnit(r.load, "%")),
    row("Input voltage", withUnit(r.inputVoltage, "V")),
    row("Output voltage", withUnit(r.outputVoltage, "V")),
    row(
      "On battery for",
      u.onBatterySinceMs === undefined ? undefined : duration((p.nowMs - u.onBatterySinceMs) / 1000),
    ),
    row("Alarm", r.alarm),
    row("Link", linkText(u)),
    row(
      "Last poll",
      u.lastPollMs === undefined ? "never" : `${duration((p.nowMs - u.lastPollMs) / 1000)} ago`,
    ),
  ];
  if (p.source === "monitor") {
    rows.push(row("Role", `${u.role}, power value ${u.powerValue}`));
    if (u.critical) rows.push(row("Critical", CRITICAL_REASON_TEXT[u.critical]));
  }
  const start = p.nowMs - p.hours * 3600_000;
  const samples = p.series(u.system);
  const charts = CHARTS.map((c) => renderChart(c, samples, start, p.nowMs)).join("");
  return (
    `<section class="ups ${severity(u, up)}" data-ups="${esc(u.system)}">` +
    `<h2>${esc(u.system)}</h2>${desc ? `<p class="desc">${esc(desc)}</p>` : ""}` +
    `<p class="status">${esc(describeStatus(u.status))}${up ? "" : " <em>(not polled)</em>"}</p>` +
    `<table>${rows.join("")}</table><div class="charts">${charts}</div></section>`
  );
}

/** What the monitor will do and why (or that the exporter only watches). */
function decision(p: PageInput): string {
  const s = p.snapshot;
  if (p.source === "exporter") {
    return `<p>nutguard exporter: it watches these UPSes and never shuts anything down.</p>`;
  }
  const sum = `healthy power ${s.healthyPowerValue} of MINSUPPLIES ${s.settings.minSupplies}`;
  const critical = s.ups.filter((u) => u.critical);
  const lines: string[] = [];
  if (s.shutdown !== "none") {
    lines.push(
      `<p class="crit"><strong>Shutting down</strong>: ${esc(SHUTDOWN_PHASE_TEXT[s.shutdown])} (${sum}).</p>`,
    );
  } else if (s.healthyPowerValue < s.settings.minSupplies) {
    lines.push(`<p class="crit"><strong>Will shut down</strong>: ${sum} is too little.</p>`);
  } else {
    lines.push(`<p class="ok"><strong>No shutdown needed</strong>: ${sum}.</p>`);
  }
  for (const u of critical) {
    lines.push(`<p>${esc(u.system)} is critical: ${esc(CRITICAL_REASON_TEXT[u.critical!])}.</p>`);
  }
  const roles = s.ups.map((u) => `${esc(u.system)} (${u.role}, power ${u.powerValue})`).join(", ");
  lines.push(`<p class="small">Monitoring ${roles || "no UPS"}.</p>`);
  return lines.join("");
}

function eventList(p: PageInput): string {
  const items = [...p.events]
    .reverse()
    .map((e) => `<li><time>${esc(clock(e.event.timeMs))}</time> ${esc(describeEvent(e.event))}</li>`);
  return items.length === 0 ? "<p>No events yet.</p>" : `<ol class="events">${items.join("")}</ol>`;
}

/** The part of the page that changes (also served alone as GET live). */
export function renderLive(p: PageInput): string {
  return (
    `<section class="decision">${decision(p)}${p.lastDrill ? `<p class="small">Last drill: ${esc(lastDrillText(p.lastDrill))}</p>` : ""}</section>` +
    `<div class="grid">${p.snapshot.ups.map((u) => upsCard(u, p)).join("")}</div>` +
    `<section><h2>Recent events</h2>${eventList(p)}</section>` +
    `<p class="small">As of ${esc(clock(p.nowMs))}.</p>`
  );
}

export function renderPage(p: PageInput): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>UPS status - nutguard</title><link rel="stylesheet" href="app.css"></head><body>` +
    `<header><h1>UPS status</h1><span id="conn" class="small">static snapshot</span></header>` +
    `<main id="live">${renderLive(p)}</main>` +
    `<footer class="small">nutguard ${esc(p.version)} ${p.source} · <a href="metrics">metrics</a> · <a href="api/v1/ups">JSON</a></footer>` +
    `<script src="app.js"></script></body></html>`
  );
}
