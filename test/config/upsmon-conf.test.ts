/** upsmon.conf parsing: every keyword, upsmon's defaults, its messages, file:line errors, fatal cases. */
import { describe, expect, it } from "vitest";
import { impossiblePowerMessage, parseUpsmonConf, splitUpsSystem } from "../../src/config/upsmon-conf.js";

const parse = (text: string) => parseUpsmonConf(text, "/etc/nut/upsmon.conf");

describe("upsmon.conf: defaults", () => {
  it("has upsmon's defaults when a keyword is absent", () => {
    const { config } = parse("MONITOR ups@localhost 1 mon pass primary\n");
    expect(config).toMatchObject({
      minSupplies: 1,
      shutdownCmd: undefined,
      shutdownExitSec: 0,
      notifyCmd: undefined,
      pollFreqSec: 5,
      pollFreqAlertSec: 5,
      hostSyncSec: 15,
      deadTimeSec: 15,
      powerDownFlag: undefined,
      rbWarnTimeSec: 43200,
      noCommWarnTimeSec: 300,
      finalDelaySec: 5,
      certVerify: false,
      forceSsl: false,
      alarmCritical: true,
      offDurationSec: 30,
      overDurationSec: -1,
      oblbDurationSec: 0,
      pollFailLogThrottleMax: -1,
      calCommLostCritical: true,
    });
    expect(config.notifyFlags.ONBATT).toEqual({ syslog: true, wall: true, exec: false, ignore: false });
  });

  it("warns when POWERDOWNFLAG is not configured", () => {
    expect(parse("").messages).toContainEqual({
      level: "warning",
      message: "No POWERDOWNFLAG value was configured in /etc/nut/upsmon.conf!",
    });
  });
});

describe("upsmon.conf: every keyword", () => {
  const text = `
# Debian-like file
MONITOR ups@127.0.0.1:3500 2 monuser "pass word" primary
MONITOR other@[::1]:3493 1 monuser pass slave
MONITOR third@nut.example 0 u p master
MINSUPPLIES 2
SHUTDOWNCMD "/sbin/shutdown -h +0"
SHUTDOWNEXIT 30
NOTIFYCMD /usr/local/bin/notify --tag nut
NOTIFYMSG ONBATT "On battery: %s"
NOTIFYFLAG onbatt SYSLOG+WALL+EXEC
NOTIFYFLAG LOWBATT IGNORE
POLLFREQ 2
POLLFREQALERT 1
HOSTSYNC 7
DEADTIME 9
POWERDOWNFLAG /etc/killpower
RBWARNTIME 100
NOCOMMWARNTIME 200
FINALDELAY 0
RUN_AS_USER nut
CERTPATH /etc/nut/certs
CERTFILE /etc/nut/client.pem
CERTIDENT "my name" "cert pass"
CERTHOST nut.example:3493 "server cert" 1 0
CERTVERIFY 1
FORCESSL 1
ALARMCRITICAL 0
OFFDURATION -1
OVERDURATION 20
OBLBDURATION 3
POLLFAIL_LOG_THROTTLE_MAX 10
debug_min 2
NUTGUARD_CALCOMMLOST_CRITICAL 0
`;
  const { config, messages, errorCount, fatal } = parse(text);

  it("reads every value", () => {
    expect(fatal).toBeUndefined();
    expect(errorCount).toBe(0);
    expect(config.monitors).toEqual([
      {
        system: "ups@127.0.0.1:3500",
        upsName: "ups",
        host: "127.0.0.1",
        port: 3500,
        powerValue: 2,
        username: "monuser",
        password: "pass word",
        role: "primary",
        line: 3,
      },
      {
        system: "other@[::1]:3493",
        upsName: "other",
        host: "::1",
        port: 3493,
        powerValue: 1,
        username: "monuser",
        password: "pass",
        role: "secondary",
        line: 4,
      },
      {
        system: "third@nut.example",
        upsName: "third",
        host: "nut.example",
        port: 3493,
        powerValue: 0,
        username: "u",
        password: "p",
        role: "primary",
        line: 5,
      },
    ]);
    expect(config).toMatchObject({
      minSupplies: 2,
      shutdownCmd: "/sbin/shutdown -h +0",
      shutdownExitSec: 30,
      notifyCmd: ["/usr/local/bin/notify", "--tag", "nut"],
      notifyMessages: { ONBATT: "On battery: %s" },
      pollFreqSec: 2,
      pollFreqAlertSec: 1,
      hostSyncSec: 7,
      deadTimeSec: 9,
      powerDownFlag: "/etc/killpower",
      rbWarnTimeSec: 100,
      noCommWarnTimeSec: 200,
      finalDelaySec: 0,
      runAsUser: "nut",
      certPath: "/etc/nut/certs",
      certFile: "/etc/nut/client.pem",
      certIdent: { name: "my name", password: "cert pass" },
      certHosts: [{ host: "nut.example:3493", certName: "server cert", certVerify: true, forceSsl: false }],
      certVerify: true,
      forceSsl: true,
      alarmCritical: false,
      offDurationSec: -1,
      overDurationSec: 20,
      oblbDurationSec: 3,
      pollFailLogThrottleMax: 10,
      debugMin: 2,
      calCommLostCritical: false,
    });
    expect(config.notifyFlags.ONBATT).toEqual({ syslog: true, wall: true, exec: true, ignore: false });
    expect(config.notifyFlags.LOWBATT).toEqual({ syslog: false, wall: false, exec: false, ignore: true });
  });

  it("logs each UPS as upsmon does at start-up", () => {
    expect(messages.filter((m) => m.level === "info").map((m) => m.message)).toEqual([
      "UPS: ups@127.0.0.1:3500 (primary) (power value 2)",
      "UPS: other@[::1]:3493 (secondary) (power value 1)",
      "UPS: third@nut.example (monitoring only)",
      "Using power down flag file /etc/killpower",
    ]);
  });
});

describe("upsmon.conf: SHUTDOWNCMD, SHUTDOWNEXIT forms", () => {
  it.each([
    ["SHUTDOWNCMD /sbin/poweroff", "/sbin/poweroff"],
    ['SHUTDOWNCMD "/bin/echo" "a b" c', "/bin/echo 'a b' 'c'"],
  ])("%s → %s", (line, cmd) => {
    expect(parse(line).config.shutdownCmd).toBe(cmd);
  });
  it.each([
    ["yes", 0],
    ["ON", 0],
    ["true", 0],
    ["no", -1],
    ["off", -1],
    ["FALSE", -1],
    ["-1", -1],
    ["12", 12],
  ])("SHUTDOWNEXIT %s → %d", (value, sec) => {
    expect(parse(`SHUTDOWNEXIT ${value}`).config.shutdownExitSec).toBe(sec);
  });
  it("SHUTDOWNEXIT garbage defaults to yes with upsmon's warning", () => {
    const r = parse("SHUTDOWNEXIT maybe");
    expect(r.config.shutdownExitSec).toBe(0);
    expect(r.messages[0]?.message).toContain("SHUTDOWNEXIT value not recognized, defaulting to 'yes'");
  });
});

describe("upsmon.conf: bad lines are reported with file and line, the rest still loads", () => {
  const r = parse(
    [
      "monitor ups 1 u p primary", // 1: keywords are case-sensitive
      "POLLFREQ 3", // 2
      "BOGUS 1 2", // 3
      "NOTIFYFLAG BLAH SYSLOG", // 4
      "NOTIFYFLAG ONLINE SYSLOG+BOGUS", // 5
      "NOTIFYMSG NOPE text", // 6
      "MONITOR ups 1 u", // 7: too few words
      "MONITOR neg -1 u p primary", // 8
      "MONITOR a 1 u p primary", // 9
      "MONITOR a 1 u p primary", // 10: duplicate
      "POLLFREQ -4", // 11
      'SHUTDOWNCMD "unterminated # quote"', // 12: unescaped # in quotes
      "MONITOR b 1 u p primray", // 13: typo → secondary, with a warning
      "HOSTSYNC", // 14: missing value
    ].join("\n"),
  );
  const texts = r.messages.map((m) => m.message);

  it("keeps the good lines", () => {
    expect(r.config.pollFreqSec).toBe(3);
    expect(r.config.monitors.map((m) => [m.system, m.role])).toEqual([
      ["a", "primary"],
      ["b", "secondary"],
    ]);
    expect(r.config.notifyFlags.ONLINE).toEqual({ syslog: true, wall: false, exec: false, ignore: false });
    expect(r.fatal).toBeUndefined();
  });

  it("reports each bad line in upsmon's wording with file and line", () => {
    const f = "/etc/nut/upsmon.conf";
    expect(texts).toEqual(
      expect.arrayContaining([
        `${f} line 1: invalid directive monitor ups 1 u p primary`,
        `${f} line 3: invalid directive BOGUS 1 2`,
        `${f} line 4: Warning: invalid notify type [BLAH]`,
        `${f} line 5: Invalid notify flag: [BOGUS]`,
        `${f} line 6: 'NOPE' is not a valid notify event name`,
        `${f} line 7: invalid directive MONITOR ups 1 u`,
        `${f} line 8: UPS [neg]: ignoring invalid power value [-1]`,
        `${f} line 10: Warning: ignoring duplicate UPS [a]`,
        `${f} line 11: Ignoring invalid POLLFREQ value: -4`,
        `Parse error: ${f}:12: Unbalanced word due to unescaped # in quotes`,
        `${f} line 13: MONITOR type [primray] is not primary/master/secondary/slave: using secondary`,
        `${f} line 14: invalid directive HOSTSYNC`,
        "Encountered 5 config errors, those entries were ignored",
      ]),
    );
    expect(r.errorCount).toBe(5);
  });
});

describe("upsmon.conf: names of JavaScript object members are not directives", () => {
  it.each(["constructor x", "toString 1", "__proto__ 1", "hasOwnProperty 1"])(
    "%j is an invalid directive",
    (line) => {
      const r = parse(["HOSTSYNC 7", line].join("\n"));
      expect(r.config.hostSyncSec).toBe(7);
      expect(r.messages.map((m) => m.message)).toContain(
        `/etc/nut/upsmon.conf line 2: invalid directive ${line}`,
      );
    },
  );
});

describe("upsmon.conf: fatal cases", () => {
  it("keeps a UTF-8 NOTIFYMSG whole; refuses a MONITOR password outside ASCII (upsmon would drop letters)", () => {
    const r = parseUpsmonConf(
      'MONITOR ok@localhost 1 mon pass primary\nMONITOR u@localhost 1 mon "pässword" primary\nNOTIFYMSG ONBATT "Stromausfall – %s auf Batterie"\n',
      "/etc/nut/upsmon.conf",
    );
    expect(r.config.notifyMessages.ONBATT).toBe("Stromausfall – %s auf Batterie");
    expect(r.config.monitors.map((m) => m.system)).toEqual(["ok@localhost"]);
    expect(r.messages.map((m) => m.message)).toContain(
      "/etc/nut/upsmon.conf line 2: UPS [u@localhost]: the name, user or password has characters outside ASCII, which the NUT protocol cannot carry",
    );
  });

  it("the old MONITOR form without a username is fatal, with upsmon's explanation", () => {
    const r = parse("POLLFREQ 1\nMONITOR ups@localhost 1 pass master\n");
    expect(r.fatal).toBe("/etc/nut/upsmon.conf line 2: old-style MONITOR line without a username");
    expect(r.messages.map((m) => m.message)).toEqual(
      expect.arrayContaining([
        "Unable to use old-style MONITOR line without a username",
        "Convert it and add a username to upsd.users - see the documentation",
        "Fatal error: unusable configuration",
      ]),
    );
  });

  it("a power configuration below MINSUPPLIES gets upsmon's fatal text", () => {
    const { config } = parse("MONITOR a 1 u p primary\nMINSUPPLIES 2\n");
    expect(impossiblePowerMessage(config)).toBe(
      "\nFatal error: insufficient power configured!\n\nSum of power values........: 1\nMinimum value (MINSUPPLIES): 2\n\nEdit your upsmon.conf and change the values.\n",
    );
    expect(impossiblePowerMessage(parse("MONITOR a 2 u p primary\nMINSUPPLIES 2\n").config)).toBeUndefined();
  });

  it("no MONITOR line at all is impossible with the default MINSUPPLIES 1", () => {
    expect(impossiblePowerMessage(parse("").config)).toContain("Sum of power values........: 0");
  });
});

describe("upsmon.conf: UPS system names (libupsclient's upscli_splitname, as upsmon)", () => {
  it.each([
    ["ups", { upsName: "ups", host: "localhost", port: 3493 }],
    ["ups@host", { upsName: "ups", host: "host", port: 3493 }],
    ["ups@host:1234", { upsName: "ups", host: "host", port: 1234 }],
    ["ups@[fe80::1]", { upsName: "ups", host: "fe80::1", port: 3493 }],
    ["ups@[::1]:4000", { upsName: "ups", host: "::1", port: 4000 }],
    // C's strtol reads the leading digits; text after "]" that is not ":port" leaves the default port
    ["ups@host:80x", { upsName: "ups", host: "host", port: 80 }],
    ["ups@[::1]x", { upsName: "ups", host: "::1", port: 3493 }],
  ])("%s", (system, expected) => {
    expect(splitUpsSystem(system)).toEqual(expected);
  });
  it.each([
    ["@host", "upscli_splitname: got empty upsname string"],
    ["ups@", "upscli_splitname: got the @ separator and then an empty hostname[:port] string"],
    ["ups:1", "upscli_splitname: port specified, but not a hostname"],
    ["ups@host:0", "upscli_splitaddr: no port number specified after ':' separator"],
    ["ups@host:x", "upscli_splitaddr: no port number specified after ':' separator"],
    ["ups@[::1", "upscli_splitaddr: missing closing bracket in [domain literal]"],
  ])("%s is an error", (system, diagnostic) => {
    expect(splitUpsSystem(system)).toBe(`Error: unable to split UPS name [${system}] (${diagnostic})`);
  });
});
