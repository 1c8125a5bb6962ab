import { describe, expect, it } from "vitest";
import { strftime } from "../../src/tools/strftime.js";
import {
  compileLogFormat,
  DEFAULT_LOG_FORMAT,
  logFormatVariables,
  renderLogLine,
  UPSHOST_PREFIX,
} from "../../src/tools/upslog-format.js";

const now = new Date(2026, 10, 25, 17, 58, 30); // local time
const ctx = (values: Record<string, string> = {}) => ({
  now,
  hostname: "box",
  upshost: "quirky@127.0.0.1:3493",
  pid: 8554,
  values: new Map(Object.entries(values)),
});
const render = (format: string, values: Record<string, string> = {}) =>
  renderLogLine(compileLogFormat(format), ctx(values));

describe("upslog format language", () => {
  it("renders NUT's default format, with NA for unreadable variables", () => {
    const values = {
      "battery.charge": "100",
      "input.voltage": "230.0",
      "ups.load": "25",
      "ups.status": "OL",
    };
    expect(render(DEFAULT_LOG_FORMAT, values)).toBe("20261125 175830 100 230.0 25 [OL] NA NA");
  });

  it("expands HOST, UPSHOST, PID and ETIME", () => {
    expect(render("%UPSHOST% %HOST% %PID%")).toBe("quirky@127.0.0.1:3493 box 8554");
    expect(render("%ETIME%")).toBe(String(Math.floor(now.getTime() / 1000)));
  });

  it("matches commands case-insensitively by prefix", () => {
    expect(render("%var ups.status% %hostname% %Variable ups.status%", { "ups.status": "OL" })).toBe(
      "OL box OL",
    );
  });

  it("prints INVALID for unknown commands, names without a dot, and an unclosed %", () => {
    expect(render("%BOGUS% x")).toBe("INVALID x");
    expect(render("%VAR nosuch.var% %VAR bad% %VAR%")).toBe("NA INVALID INVALID");
    expect(render("no end %VAR ups.status")).toBe("no end INVALIDVAR ups.status");
  });

  it("handles %% and %t, and @ as % inside TIME", () => {
    expect(render("%TIME @H:@M% 100%%")).toBe("17:58 100%");
    expect(render(`${UPSHOST_PREFIX}x`)).toBe("quirky@127.0.0.1:3493\tx");
  });

  it("lists the variables it needs once each", () => {
    expect(logFormatVariables(compileLogFormat("%VAR a.b% %VAR c.d% %VAR a.b% %VAR bad%"))).toEqual([
      "a.b",
      "c.d",
    ]);
  });
});

describe("strftime (C locale)", () => {
  it("formats the common conversions", () => {
    expect(strftime("%Y-%m-%d %H:%M:%S", now)).toBe("2026-11-25 17:58:30");
    expect(strftime("%a %A %b %B %e %j %y %p %I %u %w", now)).toBe(
      "Wed Wednesday Nov November 25 329 26 PM 05 3 3",
    );
    expect(strftime("%F %T %D %R %%", now)).toBe("2026-11-25 17:58:30 11/25/26 17:58 %");
    expect(strftime("%V %G", new Date(2027, 0, 1))).toBe("53 2026");
  });

  it("copies unknown conversions through", () => {
    expect(strftime("%Q %", now)).toBe("%Q %");
  });
});
