import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { escapeLabel, type MetricsInput, renderMetrics } from "../../src/http/metrics.js";
import { describeStatus } from "../../src/http/status-words.js";
import { snapshot, ups } from "./fixtures.js";

const NOW = 1_002_000;

function render(o: Partial<MetricsInput> = {}): string {
  return renderMetrics({ snapshot: snapshot(), source: "monitor", nowMs: NOW, version: "0.1.0", ...o });
}

/** The sample lines (no comments) of a rendered exposition. */
function samples(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

const U = 'ups="ups1@127.0.0.1:3493"';

describe("renderMetrics: one UPS", () => {
  const cases: { name: string; vars: Record<string, string>; expect: string[]; absent?: string[] }[] = [
    {
      name: "charge and load are 0-1 ratios, runtime in seconds",
      vars: { "ups.status": "OL", "battery.charge": "87", "ups.load": "29", "battery.runtime": "1200" },
      expect: [
        `nut_battery_charge{${U}} 0.87`,
        `nut_load{${U}} 0.29`,
        `nut_battery_runtime_seconds{${U}} 1200`,
      ],
    },
    {
      name: "voltages in volts, apparent power in volt-amperes, real power in watts",
      vars: {
        "ups.status": "OL",
        "input.voltage": "230.5",
        "output.voltage": "229",
        "ups.power": "400",
        "ups.realpower": "350",
      },
      expect: [
        `nut_input_voltage_volts{${U}} 230.5`,
        `nut_output_voltage_volts{${U}} 229`,
        `nut_power_voltamperes{${U}} 400`,
        `nut_real_power_watts{${U}} 350`,
      ],
      absent: ["nut_power_watts"],
    },
    {
      name: "a variable that is not a number is left out, not exported as NaN",
      vars: { "ups.status": "OL", "battery.charge": "n/a", "ups.load": "" },
      expect: [],
      absent: ["nut_battery_charge{", "nut_load{"],
    },
    {
      name: "every RFC 9271 word is a state-set member; the reported ones are 1",
      vars: { "ups.status": "OB LB DISCHRG" },
      expect: [
        `nut_ups_status{${U},status="OB"} 1`,
        `nut_ups_status{${U},status="LB"} 1`,
        `nut_ups_status{${U},status="DISCHRG"} 1`,
        `nut_ups_status{${U},status="OL"} 0`,
        `nut_ups_status{${U},status="HB"} 0`,
        `nut_ups_status{${U},status="CAL"} 0`,
        `nut_ups_status{${U},status="TRIM"} 0`,
        `nut_ups_status{${U},status="ALARM"} 0`,
        `nut_ups_status{${U},status="ECO"} 0`,
      ],
    },
    {
      name: "a word outside RFC 9271 that the UPS reports gets its own member",
      vars: { "ups.status": "OL CP" },
      expect: [`nut_ups_status{${U},status="CP"} 1`, `nut_ups_status{${U},status="OL"} 1`],
    },
    {
      name: "identity labels from the device variables",
      vars: {
        "ups.status": "OL",
        "device.mfr": "Eaton",
        "device.model": "5P 1550",
        "driver.name": "usbhid-ups",
      },
      expect: [`nut_ups_info{${U},manufacturer="Eaton",model="5P 1550",driver="usbhid-ups"} 1`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const lines = samples(render({ snapshot: snapshot({ ups: [ups({ vars: c.vars })] }) }));
      for (const e of c.expect) expect(lines).toContain(e);
      for (const a of c.absent ?? []) expect(lines.some((l) => l.startsWith(a))).toBe(false);
    });
  }
});

describe("renderMetrics: the monitor's view", () => {
  const cases: { name: string; snap: Parameters<typeof snapshot>[0]; expect: string[] }[] = [
    {
      name: "healthy: reason none, power against MINSUPPLIES, no shutdown",
      snap: {},
      expect: [
        `nut_monitor_critical{${U},reason="none"} 0`,
        "nut_monitor_healthy_power_value 1",
        "nut_monitor_min_supplies 1",
        "nut_monitor_shutdown_in_progress 0",
        'nut_monitor_shutdown_phase{phase="none"} 1',
        `nut_monitor_ups_role{${U},role="primary"} 1`,
      ],
    },
    {
      name: "critical with its reason, shutdown in progress",
      snap: {
        ups: [ups({ vars: { "ups.status": "OB LB" }, critical: "oblb-primary" })],
        healthyPowerValue: 0,
        shutdown: "final-delay",
      },
      expect: [
        `nut_monitor_critical{${U},reason="oblb-primary"} 1`,
        "nut_monitor_healthy_power_value 0",
        "nut_monitor_shutdown_in_progress 1",
        'nut_monitor_shutdown_phase{phase="final-delay"} 1',
        'nut_monitor_shutdown_phase{phase="none"} 0',
      ],
    },
    {
      name: "counters: poll failures per UPS, notifications per type (0 for the ones never sent)",
      snap: { ups: [ups({ pollFailures: 3 })], notificationCounts: { ONBATT: 2, ONLINE: 1 } },
      expect: [
        `nut_ups_poll_failures_total{${U}} 3`,
        'nut_monitor_notifications_total{type="ONBATT"} 2',
        'nut_monitor_notifications_total{type="LOWBATT"} 0',
      ],
    },
    {
      name: "link lost: ups_up 0, link state set, age of the last good poll",
      snap: { ups: [ups({ link: "lost", lastPollMs: 990_000 })] },
      expect: [
        `nut_ups_up{${U}} 0`,
        `nut_ups_link_state{${U},state="lost"} 1`,
        `nut_ups_link_state{${U},state="connected"} 0`,
        `nut_ups_last_poll_age_seconds{${U}} 12`,
      ],
    },
    {
      name: "connected but not polled for more than two intervals: not up",
      snap: { ups: [ups({ lastPollMs: NOW - 11_001 })] },
      expect: [`nut_ups_up{${U}} 0`],
    },
    {
      name: "polled within two intervals: up; on battery for 90 s",
      snap: { ups: [ups({ lastPollMs: NOW - 4000, onBatterySinceMs: NOW - 90_000 })] },
      expect: [`nut_ups_up{${U}} 1`, `nut_ups_on_battery_seconds{${U}} 90`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const lines = samples(render({ snapshot: snapshot(c.snap) }));
      for (const e of c.expect) expect(lines).toContain(e);
    });
  }

  it("the exporter leaves the monitor's decisions out", () => {
    const text = render({ source: "exporter" });
    expect(text).not.toContain("nut_monitor_");
    expect(text).toContain('nut_exporter_info{version="0.1.0",mode="exporter"} 1');
  });

  it("every UPS in one scrape, each family's HELP and TYPE once", () => {
    const two = snapshot({
      ups: [ups(), ups({ system: "ups2@10.0.0.2:3493", upsName: "ups2", vars: { "ups.status": "OB" } })],
    });
    const text = render({ snapshot: two });
    expect(text.match(/^# TYPE nut_ups_status gauge$/gm)).toHaveLength(1);
    expect(samples(text)).toContain('nut_ups_status{ups="ups2@10.0.0.2:3493",status="OB"} 1');
    expect(samples(text)).toContain(`nut_ups_status{${U},status="OL"} 1`);
  });
});

describe("label escaping and status words", () => {
  it.each([
    ['Rack "A" \\ left', 'Rack \\"A\\" \\\\ left'],
    ["two\nlines", "two\\nlines"],
  ])("%j → %j", (raw, escaped) => {
    expect(escapeLabel(raw)).toBe(escaped);
  });
  it.each([
    [["OB", "LB"], "On battery, low battery"],
    [["OL", "CHRG"], "On line power, charging"],
    [["FSD", "OB", "LB"], "Forced shutdown, on battery, low battery"],
    [["OL", "XYZ"], "On line power, XYZ"],
    [[], "Unknown (no status read yet)"],
  ])("%j → %s", (words, text) => {
    expect(describeStatus(words)).toBe(text);
  });
});

describe("promtool check metrics", () => {
  it("accepts a scrape with awkward labels, every status word and both sources", () => {
    const snap = snapshot({
      ups: [
        ups({
          vars: {
            "ups.status": "OB LB DISCHRG CP",
            "device.description": 'Rack "A" \\ slot #3',
            "battery.charge": "10",
            "ups.load": "55",
            "input.voltage": "0",
          },
          critical: "oblb-primary",
          onBatterySinceMs: NOW - 5000,
        }),
      ],
      notificationCounts: { ONBATT: 1, LOWBATT: 1 },
      shutdown: "fsd-set",
    });
    for (const source of ["monitor", "exporter"] as const) {
      const text = render({ snapshot: snap, source });
      const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      if (r.error) throw new Error(`promtool missing (scripts/ensure-test-tools.sh): ${r.error.message}`);
      expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
      expect(r.status).toBe(0);
    }
  });
});
