import { describe, expect, it } from "vitest";
import { formatRwEntry, planRwType } from "../../src/tools/upsrw-listing.js";

describe("upsrw listing blocks", () => {
  it("formats STRING and NUMBER variables like NUT", () => {
    expect(
      formatRwEntry({
        name: "device.mfr",
        description: undefined,
        type: planRwType(["RW", "STRING:32"]),
        value: "Dummy Manufacturer",
      }),
    ).toBe(
      "[device.mfr]\nDescription unavailable\nType: STRING\nMaximum length: 32\nValue: Dummy Manufacturer\n\n",
    );
    expect(
      formatRwEntry({
        name: "ups.load",
        description: "Load on UPS (percent)",
        type: planRwType(["RW", "NUMBER"]),
        value: "25",
      }),
    ).toBe("[ups.load]\nLoad on UPS (percent)\nType: NUMBER\nValue: 25\n\n");
  });

  it("lists ENUM options and marks the current one SELECTED", () => {
    const type = planRwType(["RW", "ENUM", "STRING:8"]);
    expect(type.plan).toEqual({ kind: "enum", valueType: "STRING", maxLength: 8 });
    expect(
      formatRwEntry({ name: "a.b", description: "d", type, value: "on", enumValues: ["off", "on"] }),
    ).toBe('[a.b]\nd\nType: ENUM STRING\nMaximum length: 8\nOption: "off"\nOption: "on" SELECTED\n\n');
    expect(planRwType(["RW", "ENUM"]).plan).toEqual({ kind: "enum", valueType: "NONE", maxLength: 0 });
  });

  it("lists RANGE options with SELECTED where atoi(value) fits", () => {
    const type = planRwType(["RW", "RANGE", "NUMBER"]);
    expect(
      formatRwEntry({
        name: "x.y",
        description: "d",
        type,
        value: "15",
        ranges: [
          ["0", "10"],
          ["11", "20"],
        ],
      }),
    ).toBe('[x.y]\nd\nType: RANGE NUMBER\nOption: "0-10"\nOption: "11-20" SELECTED\n\n');
  });

  it("reports unrecognized flags and a failed GET TYPE", () => {
    const type = planRwType(["RW", "WEIRD", "NUMBER"]);
    expect(formatRwEntry({ name: "x.y", description: "d", type, value: "1" })).toBe(
      "[x.y]\nd\nType: WEIRD (unrecognized)\nType: NUMBER\nValue: 1\n\n",
    );
    expect(formatRwEntry({ name: "x.y", description: "d", type: undefined, value: "" })).toBe(
      "[x.y]\nd\nUnknown type\n\n",
    );
  });
});
