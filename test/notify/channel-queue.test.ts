/**
 * The queue's policy on an injected clock: backoff times, the bounded lifetime, order behind a
 * failing head, and the episode's two log lines. The transport is a scripted receiver of outcomes
 * (the network's side); the HTTP, SMTP and apprise tests cover the real transports.
 */
import { describe, expect, it } from "vitest";
import { ChannelQueue } from "../../src/notify/channel-queue.js";
import type { RenderedNotification } from "../../src/notify/requests.js";
import type { SendResult } from "../../src/notify/retry.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { ManualClock } from "../helpers/manual-clock.js";

const n = (event: "ONBATT" | "ONLINE" | "FSD"): RenderedNotification => ({
  payload: {
    event,
    ups: "u@h",
    message: event,
    status: null,
    charge: null,
    runtime: null,
    host: "h",
    time: "t",
  },
  title: event,
});

function setUp(outcomes: SendResult[], lifetimeMs = 10_000) {
  const clock = new ManualClock();
  const log = createMemoryLogger(9);
  const tries: string[] = [];
  const q = new ChannelQueue({
    name: "c",
    clock,
    log,
    lifetimeMs,
    send: async (item) => {
      tries.push(`${clock.t}:${item.payload.event}`);
      return outcomes.shift() ?? { ok: true };
    },
  });
  const lines = () => log.lines.filter((l) => l.level !== "debug").map((l) => `${l.level}: ${l.message}`);
  return { clock, q, tries, lines };
}

const down: SendResult = { ok: false, transient: true, reason: "down" };

describe("channel queue on an injected clock", () => {
  it("retries at 1, 2, 4 s; later notifications wait behind the head, in order", async () => {
    const { clock, q, tries, lines } = setUp([down, down, down]);
    q.push(n("ONBATT"));
    q.push(n("ONLINE"));
    await clock.advance(20_000);
    expect(tries).toEqual(["0:ONBATT", "1000:ONBATT", "3000:ONBATT", "7000:ONBATT", "7000:ONLINE"]);
    expect(lines()).toEqual([
      "warning: notify [c]: cannot deliver ONBATT for u@h: down; retrying for up to 10 s",
      "notice: notify [c]: delivering again after 3 failed tries",
    ]);
  });

  it("gives up at the end of the lifetime and counts the loss in the closing line", async () => {
    const { clock, q, tries, lines } = setUp([down, down, down, down, down], 5000);
    q.push(n("ONBATT"));
    await clock.advance(3500);
    q.push(n("ONLINE"));
    await clock.advance(60_000);
    // ONBATT: tries at 0, 1, 3 s; the next would be at 7 s, past its 5 s lifetime: lost.
    // ONLINE (queued at 3.5 s): fails at 3.5 and 4.5 s, delivered at 6.5 s (within 8.5 s).
    expect(tries).toEqual([
      "0:ONBATT",
      "1000:ONBATT",
      "3000:ONBATT",
      "3500:ONLINE",
      "4500:ONLINE",
      "6500:ONLINE",
    ]);
    expect(q.pending).toBe(0);
    expect(lines()).toEqual([
      "warning: notify [c]: cannot deliver ONBATT for u@h: down; retrying for up to 5 s",
      "notice: notify [c]: delivering again after 5 failed tries; 1 notification lost",
    ]);
  });

  it("urgent notifications go at once, beside a head that waits for its retry", async () => {
    const { clock, q, tries } = setUp([down]);
    q.push(n("ONBATT"));
    await clock.advance(10);
    q.push(n("FSD"), true);
    await clock.advance(20);
    expect(tries).toEqual(["0:ONBATT", "10:FSD"]);
    await q.urgentSettled();
    await clock.advance(5000);
    expect(tries).toEqual(["0:ONBATT", "10:FSD", "1000:ONBATT"]);
  });

  it("a full queue drops the oldest waiting notification", async () => {
    const clock = new ManualClock();
    const log = createMemoryLogger(9);
    const q = new ChannelQueue({
      name: "c",
      clock,
      log,
      maxQueued: 2,
      send: () => new Promise<SendResult>(() => {}),
    });
    q.push(n("ONBATT")); // in flight forever
    q.push(n("ONLINE"));
    q.push(n("FSD"));
    expect(q.pending).toBe(2);
    expect(log.lines.map((l) => l.message)).toEqual(["notify [c]: queue full, dropped ONLINE for u@h"]);
  });
});
