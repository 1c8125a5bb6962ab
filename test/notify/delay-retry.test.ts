import { describe, expect, it } from "vitest";
import type { NotifyType } from "../../src/config/upsmon-notify-types.js";
import { DelayFilter } from "../../src/notify/delay-filter.js";
import { httpOutcome, nextTryMs, retryDelayMs, smtpOutcome } from "../../src/notify/retry.js";

type Step = [atMs: number, type: NotifyType | "tick", ups?: string];

/** Run a timeline through a filter; returns "time:TYPE ups" for every item sent. */
function run(delayMs: number, steps: Step[]): string[] {
  const f = new DelayFilter<string>(delayMs);
  const out: string[] = [];
  for (const [at, type, ups] of steps) {
    const sent =
      type === "tick" ? f.due(at) : f.offer({ type, ups, item: `${type}${ups ? ` ${ups}` : ""}` }, at);
    for (const s of sent) out.push(`${at}:${s}`);
  }
  return out;
}

describe("delay = SECS (ONBATT held, an ONLINE within it drops both)", () => {
  it.each<{ name: string; delayMs: number; steps: Step[]; sent: string[] }>([
    {
      name: "no delay: everything at once",
      delayMs: 0,
      steps: [
        [0, "ONBATT", "a"],
        [100, "ONLINE", "a"],
      ],
      sent: ["0:ONBATT a", "100:ONLINE a"],
    },
    {
      name: "a flicker within the delay: neither is sent",
      delayMs: 30_000,
      steps: [
        [0, "ONBATT", "a"],
        [5000, "ONLINE", "a"],
        [40_000, "tick"],
      ],
      sent: [],
    },
    {
      name: "an outage past the delay: ONBATT at the delay, ONLINE later",
      delayMs: 30_000,
      steps: [
        [0, "ONBATT", "a"],
        [29_999, "tick"],
        [30_000, "tick"],
        [60_000, "ONLINE", "a"],
      ],
      sent: ["30000:ONBATT a", "60000:ONLINE a"],
    },
    {
      name: "LOWBATT within the delay releases ONBATT first",
      delayMs: 30_000,
      steps: [
        [0, "ONBATT", "a"],
        [2000, "LOWBATT", "a"],
        [3000, "ONLINE", "a"],
      ],
      sent: ["2000:ONBATT a", "2000:LOWBATT a", "3000:ONLINE a"],
    },
    {
      name: "a host-wide event releases every held ONBATT",
      delayMs: 30_000,
      steps: [
        [0, "ONBATT", "a"],
        [1, "ONBATT", "b"],
        [2, "SHUTDOWN"],
      ],
      sent: ["2:ONBATT a", "2:ONBATT b", "2:SHUTDOWN"],
    },
    {
      name: "UPSes are held apart",
      delayMs: 10_000,
      steps: [
        [0, "ONBATT", "a"],
        [5000, "ONBATT", "b"],
        [6000, "ONLINE", "a"],
        [15_000, "tick"],
        [16_000, "ONLINE", "b"],
      ],
      sent: ["15000:ONBATT b", "16000:ONLINE b"],
    },
    {
      name: "a second ONBATT while held keeps the first's time",
      delayMs: 10_000,
      steps: [
        [0, "ONBATT", "a"],
        [9000, "ONBATT", "a"],
        [10_000, "tick"],
      ],
      sent: ["10000:ONBATT a"],
    },
    {
      name: "an ONLINE with nothing held goes out",
      delayMs: 10_000,
      steps: [
        [0, "ONLINE", "a"],
        [1, "COMMBAD", "a"],
      ],
      sent: ["0:ONLINE a", "1:COMMBAD a"],
    },
    {
      name: "a due ONBATT goes out before the next event",
      delayMs: 10_000,
      steps: [
        [0, "ONBATT", "a"],
        [12_000, "ONLINE", "a"],
      ],
      sent: ["12000:ONBATT a", "12000:ONLINE a"],
    },
  ])("$name", ({ delayMs, steps, sent }) => {
    expect(run(delayMs, steps)).toEqual(sent);
  });

  it("says when the next held ONBATT is due", () => {
    const f = new DelayFilter<string>(10_000);
    expect(f.nextDueMs()).toBeUndefined();
    f.offer({ type: "ONBATT", ups: "a", item: "x" }, 500);
    f.offer({ type: "ONBATT", ups: "b", item: "y" }, 700);
    expect(f.nextDueMs()).toBe(10_500);
  });
});

describe("retry policy", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [6, 32_000],
    [7, 60_000],
    [20, 60_000],
  ])("after %i failed tries wait %i ms", (failures, ms) => {
    expect(retryDelayMs(failures)).toBe(ms);
  });

  it("gives up when the next try would start after the lifetime", () => {
    expect(nextTryMs(0, 5000, 1, 10_000)).toBe(6000);
    expect(nextTryMs(0, 9000, 1, 10_000)).toBe(10_000);
    expect(nextTryMs(0, 9001, 1, 10_000)).toBeUndefined();
  });

  it.each([
    [200, "OK", { ok: true }],
    [204, "No Content", { ok: true }],
    [500, "Internal Server Error", { ok: false, transient: true, reason: "HTTP 500 Internal Server Error" }],
    [503, "", { ok: false, transient: true, reason: "HTTP 503" }],
    [429, "Too Many Requests", { ok: false, transient: true, reason: "HTTP 429 Too Many Requests" }],
    [408, "Request Timeout", { ok: false, transient: true, reason: "HTTP 408 Request Timeout" }],
    [404, "Not Found", { ok: false, transient: false, reason: "HTTP 404 Not Found" }],
    [401, "Unauthorized", { ok: false, transient: false, reason: "HTTP 401 Unauthorized" }],
    [302, "Found", { ok: false, transient: false, reason: "HTTP 302 Found (redirects are not followed)" }],
  ])("HTTP %i %s", (status, text, want) => {
    expect(httpOutcome(status, text)).toEqual(want);
  });

  it.each([
    [undefined, true],
    [421, true],
    [451, true],
    [550, false],
    [535, false],
  ])("SMTP reply %s transient=%s", (code, transient) => {
    expect(smtpOutcome(code, "x")).toEqual({ ok: false, transient, reason: "x" });
  });
});
