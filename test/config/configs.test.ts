import { describe, expect, it } from "vitest";
import { parseCmdvartab } from "../../src/config/cmdvartab.js";
import { ConfigError } from "../../src/config/reader.js";
import { parseUpsConf } from "../../src/config/ups-conf.js";
import { parseUpsdConf } from "../../src/config/upsd-conf.js";
import { parseUpsdUsers, userMay } from "../../src/config/upsd-users.js";

describe("upsd.conf", () => {
  it("reads LISTEN, MAXAGE, MAXCONN, CERTFILE", () => {
    const c = parseUpsdConf(
      "LISTEN 127.0.0.1 3493\nLISTEN ::1\nMAXAGE 5\nMAXCONN 20000\nCERTFILE /etc/nut/upsd.pem\n",
    );
    expect(c.listen).toEqual([
      { host: "127.0.0.1", port: 3493 },
      { host: "::1", port: 3493 },
    ]);
    expect(c).toMatchObject({ maxAgeSec: 5, maxConn: 20000, certFile: "/etc/nut/upsd.pem" });
  });

  it("names file and line for a bad value, and warns about unknown directives", () => {
    expect(() => parseUpsdConf("\nMAXCONN lots\n", "/etc/nut/upsd.conf")).toThrow(
      '/etc/nut/upsd.conf:2: MAXCONN needs a positive whole number, got "lots"',
    );
    expect(parseUpsdConf("FROB 1\n", "upsd.conf").warnings).toEqual([
      "upsd.conf:1: Unrecognized directive FROB",
    ]);
  });
});

describe("ups.conf", () => {
  it("reads sections, settings with their lines, and globals", () => {
    const c = parseUpsConf(
      'maxretry = 3\n[dummy]\n\tdriver = dummy-ups\n\tport = dummy.dev\n\tdesc = "A \\"quoted\\" desc"\n',
    );
    expect(c.globals.get("maxretry")).toBe("3");
    expect(c.sections[0]!.name).toBe("dummy");
    expect(c.sections[0]!.settings.get("desc")).toEqual({ value: 'A "quoted" desc', line: 5 });
    expect(c.sections[0]!.settings.get("port")).toEqual({ value: "dummy.dev", line: 4 });
  });

  it("reports a parse error and a duplicate section with file:line", () => {
    expect(() => parseUpsConf('[a]\n\tdesc = "x # y"\n', "ups.conf")).toThrow(ConfigError);
    expect(() => parseUpsConf('[a]\n\tdesc = "x # y"\n', "ups.conf")).toThrow(/^ups\.conf:2: Parse error/);
    expect(() => parseUpsConf("[a]\n[A]\n", "ups.conf")).toThrow("ups.conf:2: UPS name [A] is defined twice");
  });

  it("refuses text outside ASCII where it would be served over the NUT protocol (NUT drops it), keeps it in comments", () => {
    expect(() => parseUpsConf('[a]\n\tdriver = dummy-ups\n\tdesc = "Büro"\n', "ups.conf")).toThrow(
      'ups.conf:3: "Büro" has characters outside ASCII, which the NUT protocol cannot carry (NUT would drop them)',
    );
    expect(() => parseUpsdUsers("[mon]\n\tpassword = pässword\n", "upsd.users")).toThrow(
      'upsd.users:2: "pässword" has characters outside ASCII',
    );
    expect(parseUpsConf("# Büro – Keller\n[a]\n\tdesc = Keller\n", "ups.conf").sections[0]!.name).toBe("a");
  });
});

describe("upsd.users", () => {
  const users = parseUpsdUsers(`[admin]
	password = adminpass
	actions = SET
	actions = FSD
	instcmds = load.off
[mon]
	password = p
	upsmon master
[sec]
	password = s
	upsmon slave
`);

  it.each([
    ["admin", "adminpass", "SET", true],
    ["admin", "adminpass", "FSD", true],
    ["admin", "wrong", "SET", false],
    ["admin", "adminpass", "LOGIN", false],
    ["mon", "p", "LOGIN", true],
    ["mon", "p", "PRIMARY", true],
    ["mon", "p", "FSD", true],
    ["mon", "p", "SET", false],
    ["sec", "s", "LOGIN", true],
    ["sec", "s", "PRIMARY", false],
    ["sec", "s", "FSD", false],
    ["nobody", "", "LOGIN", false],
  ] as const)("%s/%s may %s: %s", (u, p, right, expected) => {
    expect(userMay(users, u, p, right)).toBe(expected);
  });

  it("grants only the listed instant commands, or ALL", () => {
    expect(userMay(users, "admin", "adminpass", { instcmd: "load.off" })).toBe(true);
    expect(userMay(users, "admin", "adminpass", { instcmd: "load.on" })).toBe(false);
    const all = parseUpsdUsers("[a]\npassword = x\ninstcmds = ALL\n");
    expect(userMay(all, "a", "x", { instcmd: "anything" })).toBe(true);
  });

  it("rejects an unknown directive and a bad upsmon role with file:line", () => {
    expect(() => parseUpsdUsers("[a]\n\tfrobnicate = 1\n", "upsd.users")).toThrow(
      'upsd.users:2: Unrecognized directive "frobnicate" for user [a]',
    );
    expect(() => parseUpsdUsers("[a]\n\tupsmon boss\n", "upsd.users")).toThrow(
      /^upsd\.users:2: upsmon needs/,
    );
  });
});

describe("cmdvartab", () => {
  it("reads variable and command descriptions", () => {
    const d = parseCmdvartab(
      '# c\nVARDESC ups.status "UPS status"\nCMDDESC load.off "Turn off the load immediately"\n',
    );
    expect(d.vars.get("ups.status")).toBe("UPS status");
    expect(d.cmds.get("load.off")).toBe("Turn off the load immediately");
  });
});
