// Parsers behind doctor's facts: the text systemctl, tmpfiles.d, passwd and upsmon.conf give.
import { describe, expect, it } from "vitest";
import {
  findRunAsUser,
  nutguardTarget,
  parseAccounts,
  parseEnvironment,
  parseExecStart,
  parseNutMode,
  parseSystemctlShow,
  tmpfilesEntriesFor,
  unitStartMessages,
} from "../../src/service/doctor-facts.js";

describe("systemctl show parsing", () => {
  it("splits properties at the first '='", () => {
    expect(parseSystemctlShow("Type=simple\nEnvironment=A=1 B=2\nPIDFile=\n")).toEqual({
      Type: "simple",
      Environment: "A=1 B=2",
      PIDFile: "",
    });
  });
  it("takes ExecStart's argv (systemd 252 format)", () => {
    const value =
      "{ path=/sbin/upsmon ; argv[]=/sbin/upsmon -F ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }";
    expect(parseExecStart(value)).toEqual(["/sbin/upsmon", "-F"]);
    expect(parseExecStart("")).toEqual([]);
  });
  it("reads Environment= with quoted values", () => {
    expect(parseEnvironment('NUT_PIDPATH=/run/ng "X=a b"')).toEqual({ NUT_PIDPATH: "/run/ng", X: "a b" });
  });
});

describe("the journal of a unit's last start", () => {
  const start = { invocationId: "8ca253015218414da47cf0bae5c067d8", sinceMonotonicUs: 54625486255 };
  const entry = (fields: Record<string, string>) => JSON.stringify(fields);
  // fields as journalctl -o json prints them for Debian 12's nut-monitor.service
  const previous = entry({
    INVOCATION_ID: "1802994e1bd441fa9c53d38714623b0b",
    __MONOTONIC_TIMESTAMP: "54622069040",
    MESSAGE: "nut-monitor.service: Deactivated successfully.",
  });
  const fopen = (monotonic: string) =>
    entry({
      _SYSTEMD_INVOCATION_ID: start.invocationId,
      __MONOTONIC_TIMESTAMP: monotonic,
      MESSAGE: "fopen /run/nut/upsmon.pid: No such file or directory",
    });
  const notOurChild = entry({
    INVOCATION_ID: start.invocationId,
    __MONOTONIC_TIMESTAMP: "54627080164",
    MESSAGE:
      "nut-monitor.service: Supervising process 330 which is not our child. We'll most likely not notice when it exits.",
  });
  it.each([
    [
      "the service's lines and PID 1's, by invocation ID",
      [previous, fopen("54625505643"), notOurChild],
      [
        "fopen /run/nut/upsmon.pid: No such file or directory",
        expect.stringContaining("Supervising process 330"),
      ],
    ],
    [
      // a busy host: journald read the line before systemd recorded the start
      "a line of this start stamped before InactiveExitTimestamp",
      [previous, fopen("54625486000"), notOurChild],
      [
        "fopen /run/nut/upsmon.pid: No such file or directory",
        expect.stringContaining("Supervising process 330"),
      ],
    ],
    [
      "a previous start's line stamped after it",
      [
        entry({
          INVOCATION_ID: "1802994e1bd441fa9c53d38714623b0b",
          __MONOTONIC_TIMESTAMP: "54625486300",
          MESSAGE: "late",
        }),
      ],
      [],
    ],
    [
      "entries without an invocation ID, by time",
      [
        entry({ __MONOTONIC_TIMESTAMP: "54625486254", MESSAGE: "before" }),
        entry({ __MONOTONIC_TIMESTAMP: "54625486255", MESSAGE: "at the start" }),
      ],
      ["at the start"],
    ],
    [
      "lines that are not JSON, or have no MESSAGE",
      ["-- No entries --", entry({ INVOCATION_ID: start.invocationId })],
      [],
    ],
  ])("%s", (_name, lines, want) => {
    expect(unitStartMessages(lines.join("\n"), start)).toEqual(want);
  });
  it("judges every entry by time when systemd gave no InvocationID", () => {
    const got = unitStartMessages([previous, fopen("54625505643")].join("\n"), {
      ...start,
      invocationId: "",
    });
    expect(got).toEqual(["fopen /run/nut/upsmon.pid: No such file or directory"]);
  });
});

describe("tmpfiles.d lines", () => {
  it("finds the directory-creating lines for a path, ignoring comments and other paths", () => {
    const text =
      "# comment\nd /run/nut 0770 root nut - -\nd /run/nut/nut 0770 nut nut - -\nX /run/nut\nD! /run/nut/ 0750\n";
    expect(tmpfilesEntriesFor("/x.conf", text, "/run/nut")).toEqual([
      {
        file: "/x.conf",
        lineNumber: 2,
        type: "d",
        path: "/run/nut",
        mode: "0770",
        user: "root",
        group: "nut",
      },
      { file: "/x.conf", lineNumber: 5, type: "D!", path: "/run/nut/", mode: "0750", user: "-", group: "-" },
    ]);
  });
});

describe("accounts", () => {
  it("maps user and group names to ids", () => {
    expect(
      parseAccounts(
        "root:x:0:0:root:/root:/bin/sh\nnut:x:101:106::/var/lib/nut:/usr/sbin/nologin\n",
        "nut:x:106:\n",
      ),
    ).toEqual({
      users: { root: { uid: 0, gid: 0 }, nut: { uid: 101, gid: 106 } },
      groups: { nut: 106 },
    });
  });
});

describe("RUN_AS_USER in upsmon.conf", () => {
  it("reads it with NUT's tokenizer (quotes, comments) and keeps the last one", () => {
    const text =
      '# RUN_AS_USER commented\nRUN_AS_USER nut\nMONITOR ups@localhost 1 u p primary\nRUN_AS_USER "mon user" # trailing\n';
    expect(findRunAsUser(text)).toEqual({ user: "mon user", lineNumber: 4 });
  });
  it("is absent when the file does not set it", () => {
    expect(findRunAsUser("MONITOR ups@localhost 1 u p primary\n")).toBeUndefined();
  });
});

describe("nutguard's paths", () => {
  it("follows NUT_PIDPATH and NUT_CONFPATH", () => {
    const t = nutguardTarget("/run/custom/", "/etc/ng");
    expect(t.pidFile).toBe("/run/custom/nutguard-monitor.pid");
    expect(t.configFile).toBe("/etc/ng/upsmon.conf");
    expect(nutguardTarget().pidFile).toBe("/run/nutguard/nutguard-monitor.pid");
  });
});

describe("MODE in nut.conf", () => {
  it.each([
    ["MODE=none\n", "none"],
    ['# MODE=standalone\nMODE="netclient"\n', "netclient"],
    ["MODE = standalone # comment\n", "standalone"],
    ["MODE=none\nMODE=netserver\n", "netserver"],
    ["# nothing\n", undefined],
  ])("%j → %s", (text, mode) => {
    expect(parseNutMode(text)).toBe(mode);
  });
});
