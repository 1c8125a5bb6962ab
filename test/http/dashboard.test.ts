/**
 * The shipped Grafana dashboard queries only metrics nutguard exports: every metric name in its PromQL
 * appears in a rendered scrape of the monitor's view (so a renamed metric breaks this test, not a
 * dashboard in the field).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { renderMetrics } from "../../src/http/metrics.js";
import { snapshot, ups } from "./fixtures.js";

const DASHBOARD = fileURLToPath(new URL("../../contrib/grafana/nutguard-dashboard.json", import.meta.url));
const RULES = fileURLToPath(new URL("../../contrib/prometheus/nutguard-alerts.yml", import.meta.url));

const vars = {
  "ups.status": "OL",
  "battery.charge": "100",
  "battery.runtime": "3600",
  "ups.load": "20",
  "input.voltage": "230",
  "output.voltage": "230",
};
const exported = new Set(
  renderMetrics({
    snapshot: snapshot({ ups: [ups({ vars })] }),
    source: "monitor",
    nowMs: 1_000_000,
    version: "x",
  })
    .split("\n")
    .filter((l) => l.startsWith("# TYPE "))
    .map((l) => l.split(" ")[2]!),
);

function metricNames(expr: string): string[] {
  return [...expr.replace(/"[^"]*"/g, "").matchAll(/\b(nut_[a-z_]+)/g)].map((m) => m[1]!);
}

it("every metric the dashboard queries is exported", () => {
  const dash = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: { targets: { expr: string }[] }[] };
  const names = dash.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr)));
  expect(names.length).toBeGreaterThan(10);
  expect(names.filter((n) => !exported.has(n))).toEqual([]);
});

it("every metric the alert rules use is exported", () => {
  const names = metricNames(
    readFileSync(RULES, "utf8")
      .split("\n")
      .filter((l) => l.includes("expr:"))
      .join("\n"),
  );
  expect(names.length).toBeGreaterThan(5);
  expect(names.filter((n) => !exported.has(n))).toEqual([]);
});
