/**
 * The demand rule (monitor/poll-demand.ts): a plain monitor polls what upsmon polls; each extension
 * asks for the variables it uses. Counted on the wire: real NUT links of a composed monitor against a
 * scripted upsd, every GET recorded per round.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseNutguardConf } from "../../src/config/nutguard-conf.js";
import type { NutguardConfLoad } from "../../src/config/nutguard-conf-file.js";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { renderMetrics } from "../../src/http/metrics.js";
import { monitorHttpExtension } from "../../src/http/monitor-extension.js";
import type { MonitorEvent, UpsSnapshot } from "../../src/monitor/events.js";
import {
  combineDemands,
  DASHBOARD_DEMAND,
  demandOf,
  type PollDemandSource,
  STATUS_ONLY,
} from "../../src/monitor/poll-demand.js";
import { composeMonitor, type MonitorExtension } from "../../src/service/compose-monitor.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";

describe("combineDemands", () => {
  const perUps: PollDemandSource = (system) => (system === "a@h" ? demandOf(["battery.charge"]) : undefined);
  it.each<[string, PollDemandSource[], string, { vars: string[]; identity: boolean }]>([
    ["nobody asks", [], "a@h", { vars: [], identity: false }],
    ["a per-UPS source, its UPS", [perUps], "a@h", { vars: ["battery.charge"], identity: false }],
    ["a per-UPS source, another UPS", [perUps], "b@h", { vars: [], identity: false }],
    [
      "union in the order first asked, without repeats",
      [demandOf(["battery.runtime", "battery.charge"]), perUps],
      "a@h",
      { vars: ["battery.runtime", "battery.charge"], identity: false },
    ],
    [
      "identity from any source",
      [perUps, DASHBOARD_DEMAND],
      "a@h",
      {
        vars: [
          "battery.charge",
          "ups.alarm",
          "battery.runtime",
          "ups.load",
          "input.voltage",
          "output.voltage",
        ],
        identity: true,
      },
    ],
  ])("%s", (_name, sources, system, want) => {
    const d = combineDemands(sources, system);
    expect({ vars: [...d.vars], identity: d.identity }).toEqual(want);
    if (want.vars.length === 0 && !want.identity) expect(d).toBe(STATUS_ONLY);
  });
});

const parseLoad = (file: string, text: string): NutguardConfLoad => ({
  file,
  conf: parseNutguardConf(text, file),
});

/** A upsd with two UPSes on one server; every request line recorded with the round it came in. */
function upsdLike(vars: Record<string, string>) {
  return (line: string): FakeAction => {
    const w = line.split(" ");
    if (["USERNAME", "PASSWORD", "LOGIN"].includes(w[0]!)) return "OK\n";
    if (w[0] === "GET" && w[1] === "VAR") {
      const v = vars[w[3]!];
      return v === undefined ? "ERR VAR-NOT-SUPPORTED\n" : `VAR ${w[2]} ${w[3]} "${v}"\n`;
    }
    if (w[0] === "GET" && w[1] === "UPSDESC") return `UPSDESC ${w[2]} "rack"\n`;
    if (w[0] === "VER") return "Network UPS Tools upsd 2.8.0\n";
    if (w[0] === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
    return "ERR UNKNOWN-COMMAND\n";
  };
}

const UPS_VARS = {
  "ups.status": "OL",
  "battery.charge": "97",
  "battery.runtime": "2400",
  "ups.load": "21",
  "input.voltage": "230.0",
  "device.mfr": "Eaton",
};

let server: FakeServer;
let dir: string;
beforeEach(async () => {
  server = await startFakeServer({ onLine: upsdLike(UPS_VARS) });
  dir = await mkdtemp(join(tmpdir(), "nutguard-demand-"));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs a composed monitor (real NUT links) for `rounds` rounds; returns the GET lines of the last
 * round (after the first connection's learning) and the last snapshot of each UPS.
 */
async function watch(o: { extensions?: MonitorExtension[]; nutguardConf?: string; rounds?: number }) {
  const upsmonConf = join(dir, "upsmon.conf");
  const text = `MONITOR a@127.0.0.1:${server.port} 1 u p secondary\nMONITOR b@127.0.0.1:${server.port} 1 u p secondary\nPOLLFREQ 0\n`;
  await writeFile(upsmonConf, text);
  if (o.nutguardConf !== undefined) await writeFile(join(dir, "nutguard.conf"), o.nutguardConf);
  const config = parseUpsmonConf(text, upsmonConf).config;
  const roundLines: string[][] = [];
  let mark = 0;
  const want = o.rounds ?? 4;
  let done!: () => void;
  const enough = new Promise<void>((r) => (done = r));
  const listener = (e: MonitorEvent) => {
    if (e.kind !== "round") return;
    roundLines.push(server.lines.slice(mark).filter((l) => l.startsWith("GET")));
    mark = server.lines.length;
    if (roundLines.length === want) done();
  };
  const handle = composeMonitor({
    config,
    // with a configPath the notification extensions read nutguard.conf beside it
    ...(o.nutguardConf !== undefined ? { configPath: upsmonConf } : {}),
    host: { requestShutdown: async () => {}, ready: () => {}, status: () => {}, heartbeat: () => {} },
    log: createMemoryLogger(),
    notifier: null,
    minIntervalMs: 20,
    listeners: [listener],
    ...(o.extensions ? { extensions: o.extensions } : {}),
  });
  await enough;
  const snapshot = handle.snapshot();
  await handle.stop();
  const byUps = (u: UpsSnapshot) => u.readings;
  return { last: roundLines.at(-1)!, first: roundLines[0]!, readings: snapshot.ups.map(byUps), snapshot };
}

describe("what a composed monitor polls each round", () => {
  it("a plain upsmon.conf monitor: ups.status only, and its readings show nothing else", async () => {
    const t = await watch({});
    expect(t.last.sort()).toEqual(["GET VAR a ups.status", "GET VAR b ups.status"]);
    // every reading but the status is absent (not polled), none stale
    const present = (r: object) => Object.entries(r).filter(([, v]) => v !== undefined);
    expect(t.readings.map(present)).toEqual([
      [
        ["status", "OL"],
        ["vars", { "ups.status": "OL" }],
      ],
      [
        ["status", "OL"],
        ["vars", { "ups.status": "OL" }],
      ],
    ]);
  });

  it("the HTTP surface's extension: the dashboard variables every round, the identity once", async () => {
    const ext = await monitorHttpExtension({ confPath: join(dir, "none.conf"), http: ["127.0.0.1:0"] }, {});
    expect(ext.pollDemand()).toBe(DASHBOARD_DEMAND);
    const t = await watch({ extensions: [ext] });
    // the UPS lacks ups.alarm and output.voltage: asked on the first round, learned
    expect(t.last.filter((l) => l.startsWith("GET VAR a ")).sort()).toEqual([
      "GET VAR a battery.charge",
      "GET VAR a battery.runtime",
      "GET VAR a input.voltage",
      "GET VAR a ups.load",
      "GET VAR a ups.status",
    ]);
    expect(t.first).toContain("GET VAR a device.mfr");
    expect(t.first).toContain("GET UPSDESC a");
    expect(t.readings[0]).toMatchObject({ charge: 97, runtime: 2400, load: 21, inputVoltage: 230 });
    // the identity was read on the first round only, and the metrics and page still show it on the last
    expect(t.readings[0]!.vars["device.mfr"]).toBeUndefined();
    const metrics = renderMetrics({
      snapshot: t.snapshot,
      source: "monitor",
      nowMs: Date.now(),
      version: "0",
    });
    expect(metrics).toMatch(/^nut_ups_info\{ups="a@127\.0\.0\.1:\d+",manufacturer="Eaton"\} 1$/m);
  });

  it("the HTTP extension without a listen address (no --http, no [http] listen) asks for nothing; a reload that adds one does", async () => {
    const confPath = join(dir, "nutguard.conf");
    const ext = await monitorHttpExtension({ confPath, http: [], serving: false }, {});
    expect(ext.pollDemand()).toBeUndefined();
    const t = await watch({ extensions: [ext] });
    expect(t.last.sort()).toEqual(["GET VAR a ups.status", "GET VAR b ups.status"]);
    // [http] gains a listen address: the next rounds read what the surface shows
    const hooks = ext.start({
      monitor: { snapshot: () => t.snapshot, subscribe: () => () => {} },
      log: createMemoryLogger(),
    });
    hooks.reload(parseLoad(confPath, "[http]\nlisten = 127.0.0.1:0\n"));
    expect(ext.pollDemand()).toBe(DASHBOARD_DEMAND);
    hooks.reload(parseLoad(confPath, "[http]\n"));
    expect(ext.pollDemand()).toBeUndefined();
    await hooks.stop();
  });

  it("nutguard.conf: a channel asks for charge and runtime; a threshold for its variable, on its UPS only", async () => {
    const channelOnly = await watch({
      nutguardConf: "[ops]\ntype = webhook\nurl = http://127.0.0.1:9/h\n",
    });
    expect(channelOnly.last.sort()).toEqual([
      "GET VAR a battery.charge",
      "GET VAR a battery.runtime",
      "GET VAR a ups.status",
      "GET VAR b battery.charge",
      "GET VAR b battery.runtime",
      "GET VAR b ups.status",
    ]);
    server.lines.length = 0;
    const threshold = await watch({
      nutguardConf: `[thresholds:b@127.0.0.1:${server.port}]\nruntime = 300\n`,
    });
    expect(threshold.last.sort()).toEqual([
      "GET VAR a ups.status",
      "GET VAR b battery.runtime",
      "GET VAR b ups.status",
    ]);
    expect(threshold.readings.map((r) => r.runtime)).toEqual([undefined, 2400]);
  });
});
