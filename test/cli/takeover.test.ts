// `nutguard takeover` argv handling (the steps: test/service/takeover-*.test.ts and the container tests).
import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "../../src/cli/takeover.js";

describe("nutguard takeover options", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("prints its usage with --help and exits 0", async () => {
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    expect(await run(["--help"])).toBe(0);
    expect(String(stdout.mock.calls[0]?.[0])).toMatch(
      /^Usage: nutguard takeover \[--timeout SEC\]\n {7}nutguard takeover --undo/,
    );
  });

  it.each([
    [["--frobnicate"], "nutguard takeover: unknown option '--frobnicate'"],
    [["--timeout"], "nutguard takeover: --timeout needs a number of seconds"],
    [["--timeout", "0"], "nutguard takeover: --timeout needs a number of seconds"],
    [["--timeout", "soon"], "nutguard takeover: --timeout needs a number of seconds"],
  ])("rejects %j with exit status 2, the reason and the usage", async (argv, reason) => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    expect(await run(argv)).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0]).split("\n").slice(0, 3)).toEqual([
      reason,
      "",
      "Usage: nutguard takeover [--timeout SEC]",
    ]);
  });
});
