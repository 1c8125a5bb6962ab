/**
 * What a scrape or a page load sees while the surface keeps its renders between requests
 * (http/render-cache.ts): a change of the view shows at the next request after its event (the monitor)
 * or its revision (the exporter), and the clock-dependent lines follow the clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HistoryStore } from "../../src/history/store.js";
import { parseListen } from "../../src/http/http-conf.js";
import { startHttpSurface } from "../../src/http/server.js";
import type { MonitorSnapshot } from "../../src/monitor/events.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { request } from "../helpers/nutguard-exporter.js";
import { snapshot, ups } from "./fixtures.js";
import { ScriptedView } from "./scripted-view.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A view that, like the exporter's poller, says when its snapshot changed (and emits nothing). */
class RevisedView extends ScriptedView {
  revisions = 0;
  revision(): number {
    return this.revisions;
  }
}

async function start(view: ScriptedView, clock: { t: number }) {
  const l = parseListen("127.0.0.1:0");
  if ("error" in l) throw new Error(l.error);
  const log = createMemoryLogger();
  const history = new HistoryStore({ dir: "/nonexistent", hours: 24 }, log, () => clock.t, false);
  const s = await startHttpSurface({ view, history, listen: [l], credentials: {}, log, now: () => clock.t });
  cleanups.push(() => s.close());
  return `http://127.0.0.1:${s.addresses[0]!.port}/`;
}

const onBattery = (charge: string): MonitorSnapshot =>
  snapshot({ ups: [ups({ vars: { "ups.status": "OB DISCHRG", "battery.charge": charge } })] });

const line = (body: string, prefix: string) => body.split("\n").find((l) => l.startsWith(prefix));

describe("kept renders", () => {
  it("the monitor's view: a change shows in /metrics, the API and the page at the next request after its event", async () => {
    const view = new ScriptedView();
    const clock = { t: 1_000_000 };
    const url = await start(view, clock);
    expect((await request(`${url}metrics`)).body).toContain(
      'nut_ups_status{ups="ups1@127.0.0.1:3493",status="OL"} 1',
    );
    for (let i = 0; i < 5; i++) await request(`${url}metrics`);
    expect((await request(url)).body).toContain("On line power");
    view.current = onBattery("80");
    view.emit({
      kind: "status",
      timeMs: clock.t,
      ups: "ups1@127.0.0.1:3493",
      previous: ["OL"],
      current: ["OB", "DISCHRG"],
      charge: 80,
      runtime: undefined,
    });
    const after = (await request(`${url}metrics`)).body;
    expect(after).toContain('nut_ups_status{ups="ups1@127.0.0.1:3493",status="OB"} 1');
    expect(after).toContain('nut_ups_status{ups="ups1@127.0.0.1:3493",status="OL"} 0');
    expect(line(after, "nut_battery_charge{")).toBe('nut_battery_charge{ups="ups1@127.0.0.1:3493"} 0.8');
    expect((await request(url)).body).toContain("On battery");
    expect((await request(`${url}live`)).body).toContain("On battery");
  });

  it("the exporter's view: a new revision shows without an event", async () => {
    const view = new RevisedView("exporter");
    const clock = { t: 1_000_000 };
    const url = await start(view, clock);
    expect(line((await request(`${url}metrics`)).body, "nut_battery_charge{")).toMatch(/ 1$/);
    view.current = onBattery("55");
    view.revisions++;
    expect(line((await request(`${url}metrics`)).body, "nut_battery_charge{")).toMatch(/ 0\.55$/);
    expect((await request(url)).body).toContain("On battery");
  });

  it("ages and nut_ups_up follow the clock from one second to the next", async () => {
    const view = new ScriptedView();
    const clock = { t: 1_000_000 };
    const url = await start(view, clock);
    const age = async () => line((await request(`${url}metrics`)).body, "nut_ups_last_poll_age_seconds{");
    const up = async () => line((await request(`${url}metrics`)).body, "nut_ups_up{");
    expect(await age()).toMatch(/ 0$/);
    clock.t += 7000;
    expect(await age()).toMatch(/ 7$/);
    expect(await up()).toMatch(/ 1$/);
    clock.t += 60_000; // past two poll intervals without a poll
    expect(await up()).toMatch(/ 0$/);
    expect(await age()).toMatch(/ 67$/);
  });
});
