import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeHistory, encodeRecord, HISTORY_HEADER } from "../../src/history/codec.js";
import { HISTORY_FILE, HistoryStore, MAX_EVENTS } from "../../src/history/store.js";
import type { MonitorEvent } from "../../src/monitor/events.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { snapshot, ups } from "../http/fixtures.js";

let dir: string;
let now: number;
const HOUR = 3600_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-history-"));
  now = Date.UTC(2026, 11, 5, 12);
});
const opened: HistoryStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.flush();
  await rm(dir, { recursive: true, force: true });
});

function open(hours = 24) {
  const log = createMemoryLogger();
  const store = new HistoryStore({ dir, hours }, log, () => now);
  opened.push(store);
  return { store, log };
}
const onBattery = (timeMs: number): MonitorEvent => ({
  kind: "status",
  timeMs,
  ups: "ups1@127.0.0.1:3493",
  previous: ["OL"],
  current: ["OB"],
  charge: 90,
  runtime: 1000,
});
const file = () => join(dir, HISTORY_FILE);

describe("history store", () => {
  it("keeps events and readings across a restart, ids continuing", async () => {
    const a = open();
    expect(a.store.record(onBattery(now - 1000))).toBe(1);
    a.store.sample(
      snapshot({
        ups: [ups({ vars: { "ups.status": "OB", "battery.charge": "90", "input.voltage": "0" } })],
      }),
    );
    await a.store.flush();
    const b = open();
    expect(b.store.recentEvents().map((e) => e.id)).toEqual([1]);
    expect(b.store.recentEvents()[0]!.event).toEqual(onBattery(now - 1000));
    expect(b.store.series("ups1@127.0.0.1:3493", 0)).toEqual([
      { ms: now, ups: "ups1@127.0.0.1:3493", charge: 90, inputVoltage: 0 },
    ]);
    expect(b.store.record(onBattery(now))).toBe(2);
    expect(b.log.lines).toEqual([]);
  });

  it("a record cut short by a crash is dropped, the rest kept", async () => {
    const a = open();
    a.store.record(onBattery(now - 2000));
    await a.store.flush();
    appendFileSync(file(), encodeRecord({ t: "event", id: 2, e: onBattery(now) }).slice(0, 30));
    const b = open();
    expect(b.store.recentEvents().map((e) => e.id)).toEqual([1]);
    expect(b.log.lines).toEqual([
      {
        level: "notice",
        message: `history: ${file()} ended in a partly written record (a crash?); it was dropped`,
      },
    ]);
    await b.store.flush();
    expect(decodeHistory(readFileSync(file(), "utf8"))).toMatchObject({ tornTail: false, corruptLines: [] });
  });

  it("a corrupt record: the file is set aside, what was readable is kept, not fatal", async () => {
    const good = encodeRecord({ t: "event", id: 1, e: onBattery(now) });
    const bad = encodeRecord({ t: "event", id: 2, e: onBattery(now) }).replace('"OB"', '"OL"');
    writeFileSync(file(), `${HISTORY_HEADER}\n${good}${bad}`);
    const b = open();
    expect(b.store.recentEvents().map((e) => e.id)).toEqual([1]);
    const aside = readdirSync(dir).filter((f) => f.startsWith(`${HISTORY_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(b.log.lines[0]!.level).toBe("warning");
    expect(b.log.lines[0]!.message).toBe(
      `history: ${file()} has 1 corrupt record(s) (first at line 3); moved aside to ${join(dir, aside[0]!)}, starting from what was readable`,
    );
  });

  it("a foreign file is set aside whole", () => {
    writeFileSync(file(), "some other program's data\n");
    const b = open();
    expect(b.store.recentEvents()).toEqual([]);
    expect(b.log.lines[0]!.message).toContain("is not a nutguard history file; moved aside to");
    expect(readdirSync(dir).some((f) => f.startsWith(`${HISTORY_FILE}.corrupt-`))).toBe(true);
  });

  it("a directory that cannot be made keeps history in memory, said once", () => {
    writeFileSync(join(dir, "plainfile"), "");
    const log = createMemoryLogger();
    const store = new HistoryStore({ dir: join(dir, "plainfile", "sub"), hours: 24 }, log, () => now);
    expect(store.record(onBattery(now))).toBe(1);
    expect(store.recentEvents()).toHaveLength(1);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]!.message).toMatch(
      /^history: cannot create .*; keeping history in memory only \(lost on restart\)$/,
    );
  });

  it("is bounded: older than `hours` is dropped, events are capped, the file is compacted", async () => {
    const a = open(1);
    a.store.record(onBattery(now - 2 * HOUR));
    a.store.record(onBattery(now - 10));
    a.store.sample(snapshot());
    expect(a.store.recentEvents(10).map((e) => e.id)).toEqual([2]);
    for (let i = 0; i < MAX_EVENTS * 2; i++) a.store.record(onBattery(now));
    expect(a.store.recentEvents(MAX_EVENTS * 3).length).toBeLessThanOrEqual(MAX_EVENTS * 1.1 + 1);
    await a.store.flush();
    const lines = readFileSync(file(), "utf8").split("\n").length;
    expect(lines).toBeLessThanOrEqual(2 * (MAX_EVENTS * 1.1 + 2) + 100);
    const b = open(1);
    expect(b.store.recentEvents(1)[0]!.id).toBe(MAX_EVENTS * 2 + 2);
  });
});
