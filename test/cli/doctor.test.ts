// `nutguard doctor` argv handling (the checks themselves: test/service/doctor*.test.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "../../src/cli/doctor.js";

describe("nutguard doctor options", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("prints its usage with -h and exits 0", async () => {
    const lines: string[] = [];
    expect(await run(["-h"], (l) => lines.push(l))).toBe(0);
    expect(lines.join("\n")).toContain("Usage: nutguard doctor [--fix [--units]] [--target nut|nutguard]...");
  });

  it.each([
    [["--target", "upsd"], "nutguard doctor: --target takes nut or nutguard"],
    [["--target"], "nutguard doctor: --target takes nut or nutguard"],
    [["--frobnicate"], "nutguard doctor: unknown option '--frobnicate'"],
    [["--units"], "nutguard doctor: --units goes with --fix; --undo-units stands alone"],
    [["--fix", "--undo-units"], "nutguard doctor: --units goes with --fix; --undo-units stands alone"],
  ])("rejects %j with exit status 2, the reason and the usage", async (argv, reason) => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out: string[] = [];
    expect(await run(argv, (l) => out.push(l))).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0]).split("\n").slice(0, 2)).toEqual([
      reason,
      "Usage: nutguard doctor [--fix [--units]] [--target nut|nutguard]...",
    ]);
    expect(out).toEqual([]);
  });
});
