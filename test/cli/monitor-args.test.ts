/** upsmon's command line for `nutguard monitor`. */
import { describe, expect, it } from "vitest";
import { parseMonitorArgs } from "../../src/cli/monitor-args.js";

describe("monitor argv", () => {
  it("takes upsmon's flags, clustered or separate", () => {
    expect(
      parseMonitorArgs(["-DD", "-F", "-u", "nut", "-f/etc/x.conf", "-p", "-4", "-W", "3"]),
    ).toMatchObject({
      debugLevel: 2,
      foreground: true,
      user: "nut",
      configFile: "/etc/x.conf",
      singleProcess: true,
      addressFamily: 4,
      connectTimeoutSec: 3,
    });
    expect(parseMonitorArgs(["-BK"])).toMatchObject({ background: true, checkPowerDownFlag: true });
    expect(parseMonitorArgs(["--check", "-f", "a"])).toMatchObject({ check: true, configFile: "a" });
  });

  it.each([
    ["fsd", "fsd"],
    ["f", "fsd"],
    ["stop", "stop"],
    ["r", "reload"],
    ["reload", "reload"],
  ])("-c %s means %s (upsmon's prefix match)", (value, command) => {
    expect(parseMonitorArgs(["-c", value, "-P", "123"])).toMatchObject({ command, pid: 123 });
  });

  it.each([
    [["-c", "explode"], "Invalid command 'explode' (use fsd, stop or reload)"],
    [["-P", "x"], "Invalid PID 'x'"],
    [["-f"], "option requires an argument -- 'f'"],
    [["-Z"], "invalid option -- 'Z'"],
    [["extra"], "unexpected argument 'extra'"],
  ])("%j is an error", (argv, error) => {
    expect(parseMonitorArgs(argv)).toEqual({ error });
  });
});
