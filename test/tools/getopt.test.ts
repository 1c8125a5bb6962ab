import { describe, expect, it } from "vitest";
import { getopt } from "../../src/tools/getopt.js";

describe("getopt (NUT's '+' option strings)", () => {
  it("stops at the first operand, so later dashes are operands", () => {
    const r = getopt(["-l", "127.0.0.1:3493", "-x"], "+DhlLcVW:jA:");
    expect(r.options).toEqual([{ letter: "l" }]);
    expect(r.operands).toEqual(["127.0.0.1:3493", "-x"]);
  });

  it("clusters flags and takes attached or separate arguments", () => {
    const r = getopt(["-jl", "-uadmin", "-p", "secret", "ups"], "+Dlhu:p:t:wjl");
    expect(r.options).toEqual([
      { letter: "j" },
      { letter: "l" },
      { letter: "u", value: "admin" },
      { letter: "p", value: "secret" },
    ]);
    expect(r.operands).toEqual(["ups"]);
  });

  it("reports unknown options and missing arguments in glibc's words", () => {
    expect(getopt(["-x"], "+hl").options).toEqual([{ letter: "?", diagnostic: "invalid option -- 'x'" }]);
    expect(getopt(["-s"], "+s:").options).toEqual([
      { letter: "?", diagnostic: "option requires an argument -- 's'" },
    ]);
  });

  it("treats '--' as the end of options and '-' as an operand", () => {
    expect(getopt(["--", "-l"], "+l").operands).toEqual(["-l"]);
    expect(getopt(["-"], "+l").operands).toEqual(["-"]);
  });
});
