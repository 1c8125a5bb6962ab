/** The injected clock: a VirtualClock fires timers in simulated order and holds time during I/O. */
import { describe, expect, it } from "vitest";
import { realClock, repeatEvery, VirtualClock } from "../../src/util/clock.js";

describe("VirtualClock", () => {
  it("advance() fires due timers in time order (ties in the order set); cancel and refresh work", () => {
    const c = new VirtualClock(0);
    const fired: string[] = [];
    c.setTimer(() => fired.push(`b@${c.now()}`), 200);
    c.setTimer(() => fired.push(`a@${c.now()}`), 100);
    c.setTimer(() => fired.push(`a2@${c.now()}`), 100);
    c.setTimer(() => fired.push("never"), 150).cancel();
    const r = c.setTimer(() => fired.push(`r@${c.now()}`), 100);
    c.advance(50);
    r.refresh(); // due at 150 now
    c.advance(1000);
    expect(fired).toEqual(["a@100", "a2@100", "r@150", "b@200"]);
    expect(c.now()).toBe(1050);
    expect(c.pendingTimers).toBe(0);
  });

  it("repeatEvery() repeats until cancelled; sleep() ends early on abort", async () => {
    const c = new VirtualClock(0);
    let n = 0;
    const t = repeatEvery(c, 100, () => n++);
    c.advance(350);
    t.cancel();
    c.advance(1000);
    expect(n).toBe(3);
    const abort = new AbortController();
    const slept = c.sleep(10_000, abort.signal);
    abort.abort();
    await slept;
    expect(c.now()).toBe(1350);
  });

  it("runUntil() jumps from timer to timer, but not while during() work is pending", async () => {
    const c = new VirtualClock(0);
    const seen: string[] = [];
    const work = async () => {
      await c.sleep(60_000);
      seen.push(`slept to ${c.now()}`);
      // real I/O: time must not move while it runs, though a timer is due in 1 s
      c.setTimer(() => seen.push(`timer at ${c.now()}`), 1000);
      await c.during(new Promise((r) => setTimeout(r, 30)));
      seen.push(`io done at ${c.now()}`);
      await c.sleep(5000);
      return c.now();
    };
    expect(await c.runUntil(work())).toBe(65_000);
    expect(seen).toEqual(["slept to 60000", "io done at 60000", "timer at 61000"]);
  });

  it("a hold() keeps time still until it is released, as during() does for a promise; a second release is nothing", async () => {
    const c = new VirtualClock(0);
    const seen: string[] = [];
    const work = async () => {
      c.setTimer(() => seen.push(`timer at ${c.now()}`), 1000);
      const hold = c.hold();
      // I/O that ends in a callback (30 ms of real time), not a promise
      await new Promise<void>((done) =>
        setTimeout(() => {
          seen.push(`callback at ${c.now()}`);
          hold.release();
          hold.release();
          done();
        }, 30),
      );
      await c.sleep(5000);
      return c.now();
    };
    expect(await c.runUntil(work())).toBe(5000);
    expect(seen).toEqual(["callback at 0", "timer at 1000"]);
  });
});

describe("realClock", () => {
  it("reads Date.now and sleeps on real timers", async () => {
    const before = realClock.now();
    await realClock.sleep(5);
    expect(realClock.now()).toBeGreaterThanOrEqual(before);
    expect(await realClock.during(Promise.resolve(7))).toBe(7);
    realClock.hold().release(); // nothing to hold on real time
  });
});
