import { describe, expect, it } from "vitest";
import { jsonEscape } from "../../src/tools/json-output.js";
import {
  formatClients,
  formatJsonFailure,
  formatUpsList,
  formatValue,
  formatVariables,
} from "../../src/tools/upsc-output.js";

const vars = [
  ["battery.charge", "100"],
  ["device.description", 'Rack "A"  slot #3 \\ left'],
] as const;

describe("upsc output", () => {
  it("prints variables as 'name: value' with values unescaped", () => {
    expect(formatVariables(vars, false)).toBe(
      'battery.charge: 100\ndevice.description: Rack "A"  slot #3 \\ left\n',
    );
  });

  it("prints the JSON forms of NUT 2.8.5+ byte for byte", () => {
    expect(formatVariables(vars, true)).toBe(
      '{\n  "battery.charge": "100",\n  "device.description": "Rack \\"A\\"  slot #3 \\\\ left"\n}\n',
    );
    expect(formatVariables([], true)).toBe("{\n\n}\n");
    expect(formatValue("Dummy UPS", true)).toBe('"Dummy UPS"\n');
    const upses = [
      { name: "dummy", description: "d1" },
      { name: "UPS1", description: "Description unavailable" },
    ];
    expect(formatUpsList(upses, false, true)).toBe('[\n  "dummy",\n  "UPS1"\n]\n');
    expect(formatUpsList(upses, true, true)).toBe(
      '{\n  "dummy": "d1",\n  "UPS1": "Description unavailable"\n}\n',
    );
    expect(formatUpsList([], false, true)).toBe("[\n\n]\n");
    expect(formatClients(["127.0.0.1", "::1"], true)).toBe('[\n  "127.0.0.1",\n  "::1"\n]\n');
  });

  it("prints the plain list forms", () => {
    const upses = [{ name: "dummy", description: "d1" }];
    expect(formatUpsList(upses, false, false)).toBe("dummy\n");
    expect(formatUpsList(upses, true, false)).toBe("dummy: d1\n");
    expect(formatUpsList([], false, false)).toBe("");
    expect(formatClients([], false)).toBe("");
  });

  it("shapes JSON errors like upsc: nested only inside an opened variable list", () => {
    const listVars = { kind: "list-vars", upsname: "dummy" } as const;
    expect(formatJsonFailure(listVars, "Driver not connected", true)).toBe(
      '{\n  "error": "Driver not connected"\n}\n',
    );
    expect(formatJsonFailure(listVars, "Connection failure: Connection refused", false)).toBe(
      '{"error": "Connection failure: Connection refused"}\n',
    );
    expect(formatJsonFailure({ kind: "get-var", upsname: "d", varname: "x.y" }, "Unknown UPS", true)).toBe(
      '{"error": "Unknown UPS"}\n',
    );
  });

  it("escapes control characters as json_print_esc does", () => {
    expect(jsonEscape('a\nb\t"\\\x01\x7f')).toBe('a\\nb\\t\\"\\\\\\u0001\x7f');
  });
});
