// Would nutguard behave like NUT's upsmon on this upsmon.conf? One row per difference that matters,
// and the ones that do not.
import { describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { type ConfigHostFacts, takeoverConfigReasons } from "../../src/service/takeover-config.js";

const BASE = [
  "MONITOR dummy@localhost 1 monuser secret primary",
  "RUN_AS_USER nut",
  'SHUTDOWNCMD "/sbin/shutdown -h +0"',
  "POWERDOWNFLAG /etc/killpower",
];
const HOST: ConfigHostFacts = { certPathIsDirectory: false, runAsUserExists: true };
const reasons = (lines: string[], host: Partial<ConfigHostFacts> = {}) =>
  takeoverConfigReasons(parseUpsmonConf(`${lines.join("\n")}\n`, "/etc/nut/upsmon.conf"), {
    ...HOST,
    ...host,
  });

describe("upsmon.conf checks before a takeover", () => {
  it.each([
    ["Debian's usual file", BASE],
    ["NUT 2.7.4's words master/slave", ["MONITOR a@h 1 u p master", "MONITOR b@h 1 u p slave"]],
    ["NOTIFYCMD naming a program", [...BASE, "NOTIFYCMD /usr/sbin/upssched"]],
    ["CERTPATH naming a PEM file", [...BASE, "CERTPATH /etc/nut/ca.pem"]],
    ["keywords of newer NUT releases", [...BASE, "OFFDURATION 30", "OBLBDURATION 5"]],
  ])("no objection: %s", (_name, lines) => {
    expect(reasons(lines)).toEqual([]);
  });

  it.each([
    ["no MONITOR line", ["RUN_AS_USER nut"], {}, "has no MONITOR line"],
    ["an old-style MONITOR line", ["MONITOR ups@host 1 secret master"], {}, "cannot be used"],
    ["a line nutguard skips", [...BASE, "FROBNICATE 1"], {}, "invalid directive FROBNICATE 1"],
    [
      "a NOTIFYCMD with shell syntax",
      [...BASE, 'NOTIFYCMD "/usr/bin/logger -t ups"'],
      {},
      "runs it through /bin/sh",
    ],
    ["a NOTIFYCMD with a pipe", [...BASE, 'NOTIFYCMD "/x|y"'], {}, "runs it through /bin/sh"],
    [
      "CERTPATH an NSS database",
      [...BASE, "CERTPATH /etc/nut/cert"],
      { certPathIsDirectory: true },
      "NSS database",
    ],
    ["CERTIDENT", [...BASE, 'CERTIDENT "my host" "pw"'], {}, "CERTIDENT"],
    ["RUN_AS_USER not an account", BASE, { runAsUserExists: false }, "RUN_AS_USER nut is not an OS account"],
  ] as [string, string[], Partial<ConfigHostFacts>, string][])("refuses: %s", (_name, lines, host, why) => {
    const r = reasons(lines, host);
    expect(r.join("\n")).toContain(why);
  });
});
