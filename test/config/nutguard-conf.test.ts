import { describe, expect, it } from "vitest";
import { nutguardConfPathFor, parseNutguardConf, sectionsOf } from "../../src/config/nutguard-conf.js";

describe("nutguard.conf front end", () => {
  it("reads sections, classifies them and keeps every entry with its line", () => {
    const conf = parseNutguardConf(
      [
        "# comment",
        "[http]",
        "  listen = 127.0.0.1:9399",
        "  listen = [::1]:9399",
        "[thresholds]",
        "  runtime = 300",
        "[thresholds:ups@db1]",
        "  charge = 30",
        "[ops]",
        "  type = webhook",
        '  url = "http://127.0.0.1:8080/hook"',
        "  events = ONBATT ONLINE",
      ].join("\n"),
      "/etc/nut/nutguard.conf",
    );
    expect(conf.sections.map((s) => [s.name, s.kind, s.qualifier])).toEqual([
      ["http", "http", undefined],
      ["thresholds", "thresholds", undefined],
      ["thresholds:ups@db1", "thresholds", "ups@db1"],
      ["ops", "channel", undefined],
    ]);
    const http = sectionsOf(conf, "http")[0]!;
    expect(http.all("listen").map((e) => [e.value, e.line])).toEqual([
      ["127.0.0.1:9399", 3],
      ["[::1]:9399", 4],
    ]);
    const ops = sectionsOf(conf, "channel")[0]!;
    expect(ops.one("url")?.value).toBe("http://127.0.0.1:8080/hook");
    expect(ops.one("events")?.words).toEqual(["ONBATT", "ONLINE"]);
  });

  it.each([
    ["listen = x", 'nutguard.conf:1: "listen" outside of a [section]'],
    ["[http]\nlisten 127.0.0.1", 'nutguard.conf:2: expected "key = value", got "listen 127.0.0.1"'],
    ["[http]\n[http]", "nutguard.conf:2: section [http] given twice (first at line 1)"],
    [
      "[mail]\nto = a@b",
      'nutguard.conf:1: [mail] is not a known section (http, history, exporter, thresholds, upssched) and has no "type =" to make it a notification channel',
    ],
    ["[http:x]", 'nutguard.conf:1: [http] takes no ":" qualifier'],
    ["[thresholds:]", "nutguard.conf:1: [thresholds:] needs a UPS after the colon"],
    ['[http]\nlisten = "unterminated', "nutguard.conf:2: Parse error"],
  ])("refuses %j with file:line", (text, message) => {
    expect(() => parseNutguardConf(text)).toThrow(message);
  });

  it("one() refuses a repeated key at the second line; rejectUnknown() names the key", () => {
    const [s] = parseNutguardConf("[thresholds]\ncharge = 1\ncharge = 2\nvolts = 3").sections;
    expect(() => s!.one("charge")).toThrow('nutguard.conf:3: "charge" given twice in [thresholds]');
    expect(() => s!.rejectUnknown(["charge"])).toThrow(
      'nutguard.conf:4: unknown setting "volts" in [thresholds]',
    );
  });

  it("lives beside the upsmon.conf in use", () => {
    expect(nutguardConfPathFor("/etc/nut/upsmon.conf")).toBe("/etc/nut/nutguard.conf");
    expect(nutguardConfPathFor("upsmon.conf")).toBe("nutguard.conf");
  });
});

describe("inline secrets of nutguard.conf (for doctor)", () => {
  it("names each secret written in the file, not those in *_file paths", async () => {
    const { inlineSecrets } = await import("../../src/config/nutguard-conf-secrets.js");
    const { parseNutguardConf } = await import("../../src/config/nutguard-conf.js");
    const conf = parseNutguardConf(
      "[http]\ntoken = abc\n[ops]\ntype = webhook\nurl = http://x/\ntoken_file = /etc/nut/t\n[team]\ntype = slack\nurl = https://hooks/x\n[p]\ntype = ntfy\ntopic = secret-topic\n[a]\ntype = apprise\nurls = tgram://x\n[m]\ntype = email\nsmtp_host = h\nsmtp_password = pw\n",
      "n.conf",
    );
    expect(inlineSecrets(conf)).toEqual([
      "[http] token (line 2)",
      "[team] url (line 9)",
      "[p] topic (line 12)",
      "[a] urls (line 15)",
      "[m] smtp_password (line 19)",
    ]);
  });
});
