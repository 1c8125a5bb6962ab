// The split-mode monitor's host (monitor-child.ts): what reaches the supervisor's channel, line by line.
import { describe, expect, it } from "vitest";
import { createChannelHost } from "../../src/service/monitor-child.js";

function channel() {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line) > 0 };
}

describe("createChannelHost", () => {
  it("sends no heartbeat when the supervisor has no watchdog to feed", () => {
    const c = channel();
    const host = createChannelHost(c, undefined);
    for (let i = 0; i < 10; i++) host.heartbeat();
    host.ready();
    expect(c.lines).toEqual(["READY\n"]);
  });

  it.each([
    // [heartbeatEveryMs, heartbeat times (ms), times a HEARTBEAT line is sent]
    [1000, [0, 5000, 10_000], [0, 5000, 10_000]], // rounds slower than the interval: every one
    [10_000, [0, 5000, 10_000, 15_000, 20_000], [0, 10_000, 20_000]], // faster: one per interval
    [10_000, [0, 9999, 10_000], [0, 10_000]],
    [10_000, [50_000, 20_000, 25_000], [50_000, 20_000]], // the clock set back: at once
  ])("every %i ms at most: heartbeats at %j send at %j", (everyMs, at, sentAt) => {
    const c = channel();
    let now = 0;
    const host = createChannelHost(c, everyMs, () => now);
    const sent: number[] = [];
    for (const t of at) {
      now = t;
      const before = c.lines.length;
      host.heartbeat();
      if (c.lines.length > before) sent.push(t);
    }
    expect(sent).toEqual(sentAt);
    expect(new Set(c.lines)).toEqual(new Set(["HEARTBEAT\n"]));
  });
});
