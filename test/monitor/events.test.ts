/**
 * The monitor's event stream and snapshot (src/monitor/events.ts), through the composition root with
 * scripted links (no network): what a subscriber sees, in order, and what snapshot() shows.
 */
import { describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import type { MonitorEvent, MonitorSnapshot } from "../../src/monitor/events.js";
import { composeMonitor, type MonitorExtension } from "../../src/service/compose-monitor.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { ScriptedLink } from "../helpers/scripted-link.js";

const vars = (status: string, charge: string, runtime: string): PollResult => ({
  kind: "status",
  status,
  vars: {
    "ups.status": status,
    "battery.charge": charge,
    "battery.runtime": runtime,
    "ups.load": "40",
    "input.voltage": status.startsWith("OL") ? "230.1" : "0.0",
  },
  identity: { manufacturer: "Eaton", model: "5E", serial: "X1", driver: "usbhid-ups", description: "rack" },
});

function run(polls: PollResult[], extra: { extensions?: MonitorExtension[] } = {}) {
  const config = parseUpsmonConf(
    "MONITOR u@h 1 m p primary\nPOLLFREQ 0\nPOLLFREQALERT 0\nFINALDELAY 1\n",
    "upsmon.conf",
  ).config;
  const log = createMemoryLogger();
  const events: MonitorEvent[] = [];
  const snapshots: MonitorSnapshot[] = [];
  const host = { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} };
  const handle = composeMonitor({
    config,
    log,
    host,
    notifier: null,
    minIntervalMs: 5,
    createLink: (entry) => new ScriptedLink(entry, [...polls]),
    listeners: [
      (e) => {
        events.push(e);
        if (e.kind === "status" || e.kind === "shutdown") snapshots.push(handle.snapshot());
      },
    ],
    ...extra,
  });
  return { handle, events, snapshots, log };
}

describe("monitor events", () => {
  it("a power failure: link, status, notification, round and shutdown events in order", async () => {
    const t = run([vars("OL", "100", "2400"), vars("OB DISCHRG", "80", "1500"), vars("OB LB", "10", "120")]);
    expect((await t.handle.done).reason).toBe("shutdown");
    const brief = t.events.map((e) => {
      switch (e.kind) {
        case "notification":
          return `notification ${e.type}`;
        case "status":
          return `status ${e.previous.join(" ")} -> ${e.current.join(" ")} ${e.charge}% ${e.runtime}s`;
        case "link":
          return `link ${e.state}`;
        case "round":
          return `round ${e.critical.map((c) => `${c.ups}:${c.reason}`).join(",")} ${e.healthyPowerValue}/${e.minSupplies}${e.shutdown ? " shutdown" : ""}`;
        case "shutdown":
          return `shutdown ${e.phase} ${e.cause}`;
        default:
          return e.kind;
      }
    });
    // every link starts "connecting" (the snapshot shows it); the first event is its change
    expect(brief).toEqual([
      "link connected",
      "status  -> OL 100% 2400s",
      "round  1/1",
      "status OL -> OB DISCHRG 80% 1500s",
      "notification ONBATT",
      "round  1/1",
      "status OB DISCHRG -> OB LB 10% 120s",
      "notification LOWBATT",
      "round u@h:oblb-primary 0/1 shutdown",
      "notification FSD",
      "shutdown fsd-set critical",
      "shutdown final-delay critical",
      "notification SHUTDOWN",
      "shutdown shutdowncmd-requested critical",
      "shutdown done critical",
      "link closed",
    ]);
    const notification = t.events.find((e) => e.kind === "notification");
    expect(notification).toMatchObject({ type: "ONBATT", ups: "u@h", message: "UPS u@h on battery" });
    expect(Object.isFrozen(notification)).toBe(true);
  });

  it("snapshot(): readings, identity, link, role, critical reason and shutdown phase, frozen", async () => {
    const t = run([vars("OL", "100", "2400"), vars("OB LB", "10", "120")]);
    await t.handle.done;
    const onLowBattery = t.snapshots.find((s) => s.ups[0]!.status.includes("LB"))!;
    const u = onLowBattery.ups[0]!;
    expect(u).toMatchObject({
      system: "u@h",
      upsName: "u",
      host: "h",
      port: 3493,
      role: "primary",
      powerValue: 1,
      link: "connected",
      status: ["OB", "LB"],
      identity: { manufacturer: "Eaton", model: "5E", serial: "X1", driver: "usbhid-ups" },
      pollFailures: 0,
    });
    expect(u.readings).toMatchObject({ charge: 10, runtime: 120, load: 40, inputVoltage: 0 });
    expect(u.lastPollMs).toBeTypeOf("number");
    expect(u.onBatterySinceMs).toBeTypeOf("number");
    expect(onLowBattery.settings).toMatchObject({ minSupplies: 1, finalDelaySec: 1 });
    expect(Object.isFrozen(onLowBattery) && Object.isFrozen(u) && Object.isFrozen(u.readings)).toBe(true);
    const last = t.handle.snapshot();
    expect(last.shutdown).toBe("done");
    expect(last.ups[0]!.critical).toBe("oblb-primary");
    expect(last.summary).toBe("u@h: OB LB");
    expect(last.notificationCounts).toMatchObject({ ONBATT: 1, LOWBATT: 1, FSD: 1, SHUTDOWN: 1 });
  });

  it("a listener that throws or rejects is logged and does not stop the monitor or the other listeners", async () => {
    const seen: string[] = [];
    const t = run([vars("OL", "100", "2400"), vars("OB LB", "10", "120")], {
      extensions: [
        {
          name: "bad",
          start: ({ monitor }) => {
            monitor.subscribe(() => {
              throw new Error("boom");
            });
            monitor.subscribe(async () => {
              throw new Error("async boom");
            });
            monitor.subscribe((e) => seen.push(e.kind));
          },
        },
      ],
    });
    expect((await t.handle.done).reason).toBe("shutdown");
    expect(seen).toContain("shutdown");
    const errors = t.log.lines.map((l) => l.message);
    expect(errors).toContain("monitor event listener failed: boom");
    expect(errors).toContain("monitor event listener failed: async boom");
  });

  it("extensions start before the first event, are stopped before done resolves, and can unsubscribe", async () => {
    const order: string[] = [];
    const t = run([vars("OB LB", "10", "120")], {
      extensions: [
        {
          name: "recorder",
          start: ({ monitor }) => {
            const off = monitor.subscribe((e) => {
              order.push(e.kind);
              if (e.kind === "round") off();
            });
            return async () => {
              order.push("stopped");
            };
          },
        },
      ],
    });
    await t.handle.done;
    expect(order).toEqual(["link", "status", "notification", "notification", "round", "stopped"]);
  });
});
