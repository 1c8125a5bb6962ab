import { describe, expect, it } from "vitest";
import { RequestQueue } from "../../src/client/request-queue.js";

describe("RequestQueue", () => {
  it("is first in, first out across compactions", () => {
    const q = new RequestQueue<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.shift()!);
    }
    expect(q.peek()).toBe(out.length);
    expect(q.at(1)).toBe(out.length + 1);
    while (q.length > 0) out.push(q.shift()!);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(q.shift()).toBeUndefined();
  });

  it("drains everything in order and is empty afterwards", () => {
    const q = new RequestQueue<string>();
    q.push("a");
    q.push("b");
    q.shift();
    q.push("c");
    expect(q.drain()).toEqual(["b", "c"]);
    expect(q.length).toBe(0);
  });

  it("is first in, first out when emptied and refilled, after one request at a time and after bursts", () => {
    const q = new RequestQueue<number>();
    let next = 0;
    let expected = 0;
    for (const burst of [1, 1, 3, 100, 1, 2000, 1, 5]) {
      for (let i = 0; i < burst; i++) q.push(next++);
      expect(q.length).toBe(burst);
      expect(q.at(burst)).toBeUndefined();
      const seen: number[] = [];
      q.forEach((n) => {
        seen.push(n);
      });
      expect(seen).toEqual(Array.from({ length: burst }, (_, i) => expected + i));
      while (q.length > 0) expect(q.shift()).toBe(expected++);
      expect(q.peek()).toBeUndefined();
      expect(q.at(0)).toBeUndefined();
    }
    expect(expected).toBe(next);
  });
});
