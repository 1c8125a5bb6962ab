/**
 * A real Prometheus (Debian's) scraping `nutguard exporter`, which watches a real upsd with dummy-ups:
 * when the UPS goes on battery, the PromQL query for its OB status returns 1 within three poll
 * intervals of upsd serving it, and the shipped UpsOnBattery alert fires.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type ExporterProcess, startExporter } from "../helpers/nutguard-exporter.js";
import { type Prometheus, startPrometheus } from "../helpers/prometheus.js";

const RULES = fileURLToPath(new URL("../../contrib/prometheus/nutguard-alerts.yml", import.meta.url));
const INTERVAL_SEC = 2;
const OL = DEFAULT_DEVICES.dummy!.dev!;

let stack: NutStack;
let exporter: ExporterProcess;
let prom: Prometheus;
let U: string;

beforeAll(async () => {
  stack = await startNutStack({ devices: { dummy: { ...DEFAULT_DEVICES.dummy!, dev: OL } } });
  U = `dummy@127.0.0.1:${stack.port}`;
  exporter = await startExporter({ args: ["-i", String(INTERVAL_SEC), `dummy@127.0.0.1:${stack.port}`] });
  prom = await startPrometheus({ targets: [`127.0.0.1:${exporter.port}`], ruleFiles: [RULES] });
});

afterAll(async () => {
  await prom?.stop();
  await exporter?.stop();
  await stack?.stop();
});

async function value(promql: string): Promise<string | undefined> {
  const r = await prom.query(promql);
  return r[0]?.value[1];
}

it("Prometheus sees the UPS go on battery within three poll intervals, and UpsOnBattery fires", async () => {
  await stack.waitFor(async () => (await value(`nut_ups_status{ups="${U}",status="OL"}`)) === "1", 30_000);
  expect(await value(`nut_ups_status{ups="${U}",status="OB"}`)).toBe("0");
  expect((await prom.alerts()).filter((a) => a.labels.alertname === "UpsOnBattery")).toEqual([]);

  await writeFile(stack.devicePath("dummy"), OL.replace("ups.status: OL", "ups.status: OB DISCHRG"));
  // from the moment upsd serves OB ...
  await stack.waitFor(async () => (await stack.query("GET VAR dummy ups.status")).includes('"OB DISCHRG"'));
  // ... the query answers 1 within three poll intervals (a scrape every second)
  await stack.waitFor(
    async () => (await value(`nut_ups_status{ups="${U}",status="OB"}`)) === "1",
    3 * INTERVAL_SEC * 1000,
  );
  await stack.waitFor(async () =>
    (await prom.alerts()).some((a) => a.labels.alertname === "UpsOnBattery" && a.state === "firing"),
  );
  const alert = (await prom.alerts()).find((a) => a.labels.alertname === "UpsOnBattery")!;
  expect(alert.labels).toMatchObject({ ups: U, status: "OB", severity: "warning", job: "nutguard" });
  expect(await value("nut_ups_up")).toBe("1");
});
