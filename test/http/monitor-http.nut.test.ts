/**
 * `nutguard monitor -p --http` against a real upsd with dummy-ups: the monitor's own view in the
 * metrics (role, power against MINSUPPLIES, critical reason, shutdown), scraped by a real Prometheus
 * (Debian's) whose OB query answers 1 within three poll intervals and whose shipped alert fires; the
 * JSON API says what the monitor will do.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { request } from "../helpers/nutguard-exporter.js";
import { type NutguardMonitor, setUpsStatus, startNutguardMonitor } from "../helpers/nutguard-monitor.js";
import { type Prometheus, startPrometheus } from "../helpers/prometheus.js";

const RULES = fileURLToPath(new URL("../../contrib/prometheus/nutguard-alerts.yml", import.meta.url));
const POLL_SEC = 1;

let stack: NutStack;
let mon: NutguardMonitor;
let prom: Prometheus;
let dir: string;
let url: string;
let U: string;

beforeAll(async () => {
  stack = await startNutStack({ devices: { dummy: DEFAULT_DEVICES.dummy! } });
  U = `dummy@127.0.0.1:${stack.port}`;
  dir = await mkdtemp(join(tmpdir(), "nutguard-monitor-http-"));
  const conf = join(dir, "nutguard.conf");
  await writeFile(conf, `[history]\n  dir = ${join(dir, "state")}\n`);
  mon = await startNutguardMonitor(stack, {
    role: "primary",
    pollFreqSec: POLL_SEC,
    finalDelaySec: 60,
    args: ["-p", "-D", "--http", "127.0.0.1:0", "-C", conf],
  });
  await stack.waitFor(async () =>
    /http: listening on http:\/\/127\.0\.0\.1:\d+\//.test(readFileSync(mon.log, "utf8")),
  );
  const port = /http: listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(readFileSync(mon.log, "utf8"))![1];
  url = `http://127.0.0.1:${port}/`;
  prom = await startPrometheus({ targets: [`127.0.0.1:${port}`], ruleFiles: [RULES] });
});

afterAll(async () => {
  await prom?.stop();
  await mon?.stop();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const value = async (q: string) => (await prom.query(q))[0]?.value[1];

describe("nutguard monitor --http", () => {
  it("serves the monitor's view: role, power against MINSUPPLIES, no shutdown", async () => {
    await stack.waitFor(async () =>
      (await request(`${url}metrics`)).body.includes(`nut_ups_up{ups="${U}"} 1`),
    );
    const m = (await request(`${url}metrics`)).body;
    expect(m).toContain(`nut_monitor_ups_role{ups="${U}",role="primary"} 1`);
    expect(m).toContain(`nut_monitor_critical{ups="${U}",reason="none"} 0`);
    expect(m).toContain("nut_monitor_healthy_power_value 1");
    expect(m).toContain("nut_monitor_min_supplies 1");
    expect(m).toContain("nut_monitor_shutdown_in_progress 0");
    expect(m).toContain('nut_exporter_info{version="');
    const api = JSON.parse((await request(`${url}api/v1/ups`)).body);
    expect(api).toMatchObject({
      source: "monitor",
      monitor: { healthyPowerValue: 1, minSupplies: 1, shutdown: "none" },
    });
    expect(api.ups[0]).toMatchObject({ name: U, role: "primary", powerValue: 1, critical: null });
  });

  it("Prometheus sees OB within three poll intervals, UpsOnBattery fires; OB LB makes it critical and it shuts down", async () => {
    await stack.waitFor(async () => (await value(`nut_ups_status{ups="${U}",status="OL"}`)) === "1", 30_000);
    await setUpsStatus(stack, "dummy", "OB DISCHRG");
    await stack.waitFor(
      async () => (await value(`nut_ups_status{ups="${U}",status="OB"}`)) === "1",
      3 * POLL_SEC * 1000 + 1000, // + the scrape interval
    );
    await stack.waitFor(async () =>
      (await prom.alerts()).some((a) => a.labels.alertname === "UpsOnBattery" && a.state === "firing"),
    );
    await setUpsStatus(stack, "dummy", "OB LB");
    await stack.waitFor(
      async () => (await value(`nut_monitor_critical{ups="${U}",reason="oblb-primary"}`)) === "1",
    );
    await stack.waitFor(async () => (await value("nut_monitor_shutdown_in_progress")) === "1");
    await stack.waitFor(async () =>
      (await prom.alerts()).some(
        (a) => a.labels.alertname === "UpsShutdownInProgress" && a.state === "firing",
      ),
    );
    const page = (await request(url)).body;
    expect(page).toContain("Shutting down");
    expect(page).toContain("on battery with a low battery, and this host is its primary");
  });
});
