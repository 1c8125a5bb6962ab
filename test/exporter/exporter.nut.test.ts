/**
 * `nutguard exporter` against Debian's real upsd + dummy-ups: every UPS of a server in one scrape,
 * a status change seen in the metrics, the JSON API and the live stream, history kept across a
 * restart, read-only routes.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type ExporterProcess, openStream, request, startExporter } from "../helpers/nutguard-exporter.js";

const OL = DEFAULT_DEVICES.dummy!.dev!;
const OB = OL.replace("ups.status: OL", "ups.status: OB DISCHRG").replace(
  "battery.charge: 100",
  "battery.charge: 80",
);

let stack: NutStack;
let stateDir: string;
let exporter: ExporterProcess;
let U: string;

beforeAll(async () => {
  stack = await startNutStack({
    devices: { dummy: { ...DEFAULT_DEVICES.dummy!, dev: OL }, quirky: DEFAULT_DEVICES.quirky! },
  });
  stateDir = await mkdtemp(join(tmpdir(), "nutguard-exporter-state-"));
  U = `dummy@127.0.0.1:${stack.port}`;
  exporter = await startExporter({ args: ["-i", "1", `*@127.0.0.1:${stack.port}`], stateDir });
});

afterAll(async () => {
  await exporter?.stop();
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

async function metrics(): Promise<string> {
  const r = await request(`${exporter.url}metrics`);
  expect(r.status).toBe(200);
  return r.body;
}

describe("nutguard exporter with a real upsd", () => {
  it("serves every UPS of the server in one valid scrape", async () => {
    await stack.waitFor(async () => (await metrics()).includes(`nut_ups_up{ups="${U}"} 1`));
    const text = await metrics();
    expect(text).toContain(`nut_ups_status{ups="${U}",status="OL"} 1`);
    expect(text).toContain(`nut_battery_charge{ups="${U}"} 1`);
    expect(text).toContain(`nut_load{ups="${U}"} 0.25`);
    expect(text).toContain(`nut_input_voltage_volts{ups="${U}"} 230`);
    expect(text).toContain(
      `nut_ups_info{ups="${U}",manufacturer="Dummy Manufacturer",model="Dummy UPS 1500",serial="DUMMY0001",type="ups",driver="dummy-ups"`,
    );
    expect(text).toContain(`nut_ups_up{ups="quirky@127.0.0.1:${stack.port}"} 1`);
    expect(text).toContain('description="Rack \\"A\\"  slot #3 \\\\ left"');
    expect(text).not.toContain("nut_monitor_");
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe("");
    expect(check.status).toBe(0);
  });

  it("shows the UPS going on battery in the metrics, the API and the live stream", async () => {
    const stream = openStream(`${exporter.url}api/v1/events/stream`);
    await stack.waitFor(async () => stream.status() === 200);
    await writeFile(stack.devicePath("dummy"), OB);
    await stack.waitFor(
      async () => (await metrics()).includes(`nut_ups_status{ups="${U}",status="OB"} 1`),
      20_000,
    );
    const api = JSON.parse((await request(`${exporter.url}api/v1/ups/dummy`)).body);
    expect(api).toMatchObject({
      name: U,
      status: ["OB", "DISCHRG"],
      statusText: "On battery, discharging",
      charge: 80,
    });
    expect(api.onBatterySeconds).toBeGreaterThanOrEqual(0);
    await stack.waitFor(async () => stream.events.some((e) => e.event === "status"));
    expect(stream.events.find((e) => e.event === "status")?.data).toMatchObject({
      kind: "status",
      ups: U,
      previous: ["OL"],
      current: ["OB", "DISCHRG"],
    });
    stream.close();
    const list = JSON.parse((await request(`${exporter.url}api/v1/ups`)).body);
    expect(list.source).toBe("exporter");
    expect(list.ups.map((u: { name: string }) => u.name)).toEqual([U, `quirky@127.0.0.1:${stack.port}`]);
  });

  it("is read-only and says what it does not have", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await request(`${exporter.url}api/v1/ups/dummy`, { method });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe("GET, HEAD");
    }
    expect((await request(`${exporter.url}nosuch`)).status).toBe(404);
    expect((await request(`${exporter.url}api/v1/ups/nosuch`)).status).toBe(404);
    const head = await request(`${exporter.url}metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });

  it("keeps its event history across a restart", async () => {
    const before = JSON.parse((await request(`${exporter.url}api/v1/events`)).body).events;
    const onBattery = before.find(
      (e: { kind: string; current?: string[] }) => e.kind === "status" && e.current?.includes("OB"),
    );
    expect(onBattery).toBeDefined();
    await exporter.stop();
    exporter = await startExporter({ args: ["-i", "1", `*@127.0.0.1:${stack.port}`], stateDir });
    const after = JSON.parse((await request(`${exporter.url}api/v1/events`)).body).events;
    expect(after).toContainEqual(onBattery);
  });

  it("a UPS whose driver stops is reported not up, with the reason", async () => {
    await stack.stopDriver("quirky");
    const Q = `quirky@127.0.0.1:${stack.port}`;
    await stack.waitFor(async () => (await metrics()).includes(`nut_ups_up{ups="${Q}"} 0`), 20_000);
    const q = JSON.parse((await request(`${exporter.url}api/v1/ups/quirky`)).body);
    expect(q.link).toBe("lost");
    expect(q.linkError).toMatch(/driver/i);
  });
});
