// doctor's rules, table-driven: a healthy host, then one planted fault per row and the finding it gives.
import { describe, expect, it } from "vitest";
import { type DoctorFacts, NUT_TARGET, nutguardTarget } from "../../src/service/doctor-facts.js";
import { diagnose, formatFinding, runsInForeground } from "../../src/service/doctor-rules.js";

const accounts = {
  users: { root: { uid: 0, gid: 0 }, nut: { uid: 101, gid: 106 } },
  groups: { root: 0, nut: 106 },
};

/** A Debian 12 host with NUT's upsmon set up well (stock unit minus PIDFile=), running. */
function healthyNut(): DoctorFacts {
  return {
    target: NUT_TARGET,
    unit: {
      loaded: true,
      activeState: "active",
      type: "simple",
      pidFile: "",
      mainPid: 150,
      mainPidParent: 1,
      notifyAccess: "none",
      execStart: ["/sbin/upsmon", "-F"],
      environment: {},
      dropIns: [],
      runtimeDirectories: [],
    },
    runtimeDir: { path: "/run/nut", exists: true, isDirectory: true, mode: 0o770, uid: 0, gid: 106 },
    tmpfilesEntries: [
      {
        file: "/usr/lib/tmpfiles.d/nut-client.conf",
        lineNumber: 1,
        type: "d",
        path: "/run/nut",
        mode: "0770",
        user: "root",
        group: "nut",
      },
    ],
    inertTmpfiles: [],
    pidFile: {
      path: "/run/nut/upsmon.pid",
      exists: true,
      content: "151\n",
      pid: 151,
      process: { pid: 151, alive: true, zombie: false, comm: "upsmon" },
    },
    config: {
      path: "/etc/nut/upsmon.conf",
      exists: true,
      isDirectory: false,
      mode: 0o640,
      uid: 0,
      gid: 106,
      runAsUser: "nut",
      runAsUserLine: 1,
    },
    accounts,
    daemonNotifies: false,
  };
}

/** nutguard's monitor set up as intended: Type=notify, NotifyAccess=main, PID file = MainPID. */
function healthyNutguard(): DoctorFacts {
  const base = healthyNut();
  const target = nutguardTarget();
  return {
    ...base,
    target,
    unit: {
      ...base.unit!,
      type: "notify",
      notifyAccess: "main",
      execStart: ["/usr/local/bin/nutguard", "monitor"],
    },
    runtimeDir: { ...base.runtimeDir, path: "/run/nutguard" },
    tmpfilesEntries: [
      { ...base.tmpfilesEntries[0]!, file: "/usr/lib/tmpfiles.d/nutguard.conf", path: "/run/nutguard" },
    ],
    pidFile: {
      path: target.pidFile,
      exists: true,
      content: "150\n",
      pid: 150,
      process: { pid: 150, alive: true, zombie: false, comm: "nutguard-monito", argv0: "nutguard-monitor" },
    },
    daemonNotifies: true,
  };
}

type Patch = (f: DoctorFacts) => void;
const ids = (facts: DoctorFacts) => diagnose(facts).map((f) => f.id);

describe("doctor rules on a healthy host", () => {
  it("finds nothing wrong with a well set-up NUT upsmon", () => {
    expect(diagnose(healthyNut())).toEqual([]);
  });
  it("finds nothing wrong with a well set-up nutguard monitor", () => {
    expect(diagnose(healthyNutguard())).toEqual([]);
  });
  it("accepts upstream NUT's nut:nut runtime directory", () => {
    const f = healthyNut();
    f.runtimeDir.uid = 101;
    expect(diagnose(f)).toEqual([]);
  });
  it("accepts upstream's Type=notify + NotifyAccess=all for an upsmon built with libsystemd", () => {
    const f = healthyNut();
    Object.assign(f.unit!, { type: "notify", notifyAccess: "all" });
    f.daemonNotifies = true;
    expect(diagnose(f)).toEqual([]);
  });
  it("finds nothing in the journal of a repaired start (2.7.4 logs a placeholder PID instead of fopen)", () => {
    const f = healthyNut();
    f.journal = [
      "Ignoring invalid pid number -1",
      "UPS: dummy@127.0.0.1 (master) (power value 1)",
      "Startup successful",
    ];
    expect(diagnose(f)).toEqual([]);
  });
  it("takes a fopen line alone under a unit without PIDFile= for the harmless probe it is", () => {
    const f = healthyNut();
    f.journal = ["fopen /run/nut/upsmon.pid: No such file or directory"];
    expect(diagnose(f)).toEqual([]);
  });
  it("reads NUT's messages only in NUT's unit's journal", () => {
    const f = healthyNutguard();
    f.journal = ["fopen /run/nut/upsmon.pid: No such file or directory"];
    expect(diagnose(f)).toEqual([]);
  });
  it("says what a fopen line means when the runtime directory is missing, and both ways out", () => {
    const f = healthyNut();
    f.runtimeDir = { path: "/run/nut", exists: false };
    f.journal = ["fopen /run/nut/upsmon.pid: No such file or directory"];
    const finding = diagnose(f).find((x) => x.id === "journal-upsmon-fopen");
    expect(finding?.message).toContain("/run/nut does not exist: it cannot write its PID file");
    expect(finding?.fix).toContain("'nutguard takeover'");
    expect(finding?.fix).toContain("'nutguard doctor --fix --units'");
  });
  it("skips the unit rules where systemd does not answer", () => {
    const f = healthyNut();
    f.unit = undefined;
    f.pidFile = { path: f.pidFile.path, exists: false };
    expect(diagnose(f)).toEqual([]);
  });
});

const nutFaults: [string, Patch, string[]][] = [
  [
    "journal: upsmon's fopen probe at start, stock unit (2.8.x)",
    (f) => {
      f.unit!.pidFile = "/run/nut/upsmon.pid";
      f.journal = [
        "fopen /run/nut/upsmon.pid: No such file or directory",
        "Could not find PID file to see if previous upsmon instance is already running!",
      ];
    },
    ["pidfile-not-mainpid", "journal-upsmon-fopen"],
  ],
  [
    "journal: a Debian 11 stock start (all three)",
    (f) => {
      Object.assign(f.unit!, {
        type: "forking",
        execStart: ["/sbin/upsmon"],
        pidFile: "/run/nut/upsmon.pid",
        mainPid: 151,
        mainPidParent: 150,
      });
      f.journal = [
        "fopen /run/nut/upsmon.pid: No such file or directory",
        "nut-monitor.service: Can't open PID file /run/nut/upsmon.pid (yet?) after start: Operation not permitted",
        "Startup successful",
        "nut-monitor.service: Supervising process 41 which is not our child. We'll most likely not notice when it exits.",
      ];
    },
    ["mainpid-not-our-child", "journal-upsmon-fopen", "journal-pidfile-yet", "journal-not-our-child"],
  ],
  [
    "journal: the (yet?) race's other form",
    (f) =>
      void (f.journal = [
        "nut-monitor.service: Failed to parse PID from file /run/nut/upsmon.pid: Invalid argument",
      ]),
    ["journal-pidfile-yet"],
  ],
  [
    "journal: not our child after a reload (2.8.x)",
    (f) =>
      void (f.journal = [
        "Reloading configuration",
        "nut-monitor.service: Supervising process 255 which is not our child. We'll most likely not notice when it exits.",
      ]),
    ["journal-not-our-child"],
  ],

  [
    "no runtime directory",
    (f) => void (f.runtimeDir = { path: "/run/nut", exists: false }),
    ["runtime-dir-missing"],
  ],
  [
    "runtime directory is a file",
    (f) => void (f.runtimeDir.isDirectory = false),
    ["runtime-dir-not-directory"],
  ],
  ["runtime directory owned by root:root", (f) => void (f.runtimeDir.gid = 0), ["runtime-dir-owner"]],
  ["runtime directory world-readable", (f) => void (f.runtimeDir.mode = 0o755), ["runtime-dir-mode"]],
  ["no tmpfiles entry", (f) => void (f.tmpfilesEntries = []), ["tmpfiles-missing"]],
  ["Type=forking with upsmon -F", (f) => void (f.unit!.type = "forking"), ["unit-type-forking-foreground"]],
  [
    "Type=forking with upsmon -D",
    (f) => void Object.assign(f.unit!, { type: "forking", execStart: ["/lib/nut/upsmon", "-D"] }),
    ["unit-type-forking-foreground"],
  ],
  [
    "Type=simple with a backgrounding upsmon",
    (f) => void (f.unit!.execStart = ["/sbin/upsmon"]),
    ["unit-type-simple-background"],
  ],
  [
    "Type=notify, upsmon 2.8.0 never notifies",
    (f) => void (f.unit!.type = "notify"),
    ["unit-type-notify-silent"],
  ],
  [
    "Type=notify, NotifyAccess=main, READY from upsmon's child",
    (f) =>
      void Object.assign(f, {
        daemonNotifies: true,
        unit: { ...f.unit!, type: "notify", notifyAccess: "main" },
      }),
    ["unit-notifyaccess-narrow"],
  ],
  [
    "PIDFile= names a path upsmon never writes",
    (f) => void (f.unit!.pidFile = "/run/upsmon.pid"),
    ["unit-pidfile-path"],
  ],
  [
    "PIDFile= set: the file names the child, not MainPID",
    (f) => void (f.unit!.pidFile = "/run/nut/upsmon.pid"),
    ["pidfile-not-mainpid"],
  ],
  [
    "after a reload with PIDFile=: MainPID is upsmon's child, not systemd's",
    (f) => void Object.assign(f.unit!, { pidFile: "/run/nut/upsmon.pid", mainPid: 151, mainPidParent: 150 }),
    ["mainpid-not-our-child"],
  ],
  [
    "stale PID file (process gone)",
    (f) =>
      void Object.assign(f, {
        unit: { ...f.unit!, activeState: "inactive", mainPid: 0 },
        pidFile: { ...f.pidFile, process: { pid: 151, alive: false, zombie: false } },
      }),
    ["pidfile-stale"],
  ],
  [
    "PID file naming an unrelated live process",
    (f) => void (f.pidFile.process = { pid: 151, alive: true, zombie: false, comm: "sshd" }),
    ["pidfile-stale"],
  ],
  ["PID file naming a zombie", (f) => void (f.pidFile.process!.zombie = true), ["pidfile-stale"]],
  [
    "PID file holding garbage",
    (f) => void Object.assign(f.pidFile, { content: "x\n", pid: undefined, process: undefined }),
    ["pidfile-stale"],
  ],
  ["no upsmon.conf", (f) => void (f.config = { path: f.config.path, exists: false }), ["config-missing"]],
  ["upsmon.conf mode 0644", (f) => void (f.config.mode = 0o644), ["config-readable-by-others"]],
  [
    "RUN_AS_USER names a upsd.users login",
    (f) => void (f.config.runAsUser = "monuser"),
    ["run-as-user-missing"],
  ],
  [
    "no RUN_AS_USER and no nut account",
    (f) =>
      void Object.assign(f, {
        config: { ...f.config, runAsUser: undefined },
        accounts: { users: { root: { uid: 0, gid: 0 } }, groups: accounts.groups },
      }),
    ["run-as-user-missing"],
  ],
];

describe("doctor rules: NUT's upsmon, one planted fault each", () => {
  it.each(nutFaults)("%s", (_name, patch, expected) => {
    const f = healthyNut();
    patch(f);
    expect(ids(f)).toEqual(expected);
  });
});

const nutguardFaults: [string, Patch, string[]][] = [
  [
    "Type=forking with the foreground monitor",
    (f) => void (f.unit!.type = "forking"),
    ["unit-type-forking-foreground"],
  ],
  ["NotifyAccess=all", (f) => void (f.unit!.notifyAccess = "all"), ["unit-notifyaccess-wide"]],
  [
    "PID file not the unit's MainPID",
    (f) =>
      void Object.assign(f.pidFile, {
        content: "151\n",
        pid: 151,
        process: { pid: 151, alive: true, zombie: false, comm: "nutguard-monito" },
      }),
    ["pidfile-not-mainpid"],
  ],
  [
    "PIDFile= in another directory",
    (f) => void (f.unit!.pidFile = "/run/nut/upsmon.pid"),
    ["unit-pidfile-path"],
  ],
  [
    "no /run/nutguard and no tmpfiles entry",
    (f) =>
      void Object.assign(f, { runtimeDir: { path: "/run/nutguard", exists: false }, tmpfilesEntries: [] }),
    ["runtime-dir-missing", "tmpfiles-missing"],
  ],
];

describe("doctor rules: nutguard's monitor, one planted fault each", () => {
  it.each(nutguardFaults)("%s", (_name, patch, expected) => {
    const f = healthyNutguard();
    patch(f);
    expect(ids(f)).toEqual(expected);
  });
  it("accepts the process title in argv[0] or the comm the kernel cut to 15 characters", () => {
    const f = healthyNutguard();
    f.pidFile.process = { pid: 150, alive: true, zombie: false, comm: "node", argv0: "nutguard-monitor" };
    expect(diagnose(f)).toEqual([]);
    f.pidFile.process = { pid: 150, alive: true, zombie: false, comm: "nutguard-monito" };
    expect(diagnose(f)).toEqual([]);
  });
  it("warns about nutguard.conf holding inline secrets readable by others, with a safe fix", () => {
    const f = healthyNutguard();
    const conf = { path: "/etc/nut/nutguard.conf", exists: true, mode: 0o644, uid: 0, gid: 0 };
    f.nutguardConf = { ...conf, inlineSecrets: ["[ops] token (line 4)", "[team] url (line 8)"] };
    expect(diagnose(f).map((x) => [x.id, x.severity, x.message, x.safeFix])).toEqual([
      [
        "nutguard-conf-secrets-readable",
        "warning",
        "/etc/nut/nutguard.conf has mode 0644 and holds secrets ([ops] token (line 4), [team] url (line 8)): every local user can read them",
        { kind: "chown-chmod", path: "/etc/nut/nutguard.conf", mode: 0o640, owner: "root", group: "nut" },
      ],
    ]);
    f.nutguardConf = { ...conf, mode: 0o640, inlineSecrets: ["[ops] token (line 4)"] };
    expect(diagnose(f)).toEqual([]);
    f.nutguardConf = { ...conf, inlineSecrets: [] };
    expect(diagnose(f)).toEqual([]);
  });
  it("calls a PID file naming some other node program stale", () => {
    const f = healthyNutguard();
    f.pidFile.process = { pid: 150, alive: true, zombie: false, comm: "node", argv0: "/usr/bin/node" };
    expect(diagnose(f).map((x) => x.id)).toEqual(["pidfile-stale"]);
  });
});

describe("doctor fixes", () => {
  it("offers safe fixes for directories, permissions, stale PID files and tmpfiles, not for units or accounts", () => {
    const f = healthyNut();
    f.runtimeDir = { path: "/run/nut", exists: false };
    f.tmpfilesEntries = [];
    f.config.mode = 0o644;
    f.config.runAsUser = "monuser";
    f.unit!.type = "forking";
    f.unit!.mainPid = 0;
    f.pidFile.process = { pid: 151, alive: false, zombie: false };
    const safe = Object.fromEntries(diagnose(f).map((x) => [x.id, x.safeFix]));
    expect(safe["runtime-dir-missing"]).toEqual({
      kind: "create-dir",
      path: "/run/nut",
      mode: 0o770,
      owner: "root",
      group: "nut",
    });
    expect(safe["tmpfiles-missing"]).toMatchObject({
      kind: "create-file",
      path: "/etc/tmpfiles.d/nut-client.conf",
    });
    expect((safe["tmpfiles-missing"] as { content: string }).content).toContain(
      "d /run/nut 0770 root nut - -\n",
    );
    expect(safe["config-readable-by-others"]).toEqual({
      kind: "chown-chmod",
      path: "/etc/nut/upsmon.conf",
      mode: 0o640,
      owner: "root",
      group: "nut",
    });
    expect(safe["pidfile-stale"]).toEqual({
      kind: "remove-file",
      path: "/run/nut/upsmon.pid",
      content: "151\n",
    });
    expect(safe["unit-type-forking-foreground"]).toBeUndefined();
    expect(safe["run-as-user-missing"]).toBeUndefined();
  });
  it("does not offer to create a directory for a group that does not exist", () => {
    const f = healthyNut();
    f.runtimeDir = { path: "/run/nut", exists: false };
    f.accounts = { users: accounts.users, groups: { root: 0 } };
    const [finding] = diagnose(f);
    expect(finding?.safeFix).toBeUndefined();
    expect(finding?.fix).toContain("addgroup --system nut");
  });
});

describe("doctor output", () => {
  it("points at tmpfiles.d files that mention the directory but are never read (not *.conf)", () => {
    const f = healthyNut();
    f.tmpfilesEntries = [];
    f.inertTmpfiles = ["/usr/lib/tmpfiles.d/nut-common.tmpfiles"];
    expect(diagnose(f)[0]?.message).toBe(
      "no tmpfiles.d entry creates /run/nut (/usr/lib/tmpfiles.d/nut-common.tmpfiles mentions it, but systemd-tmpfiles reads only *.conf files): /run is empty after every reboot",
    );
  });
  it("prints one line per finding: severity, id, unit, problem, fix", () => {
    const f = healthyNut();
    f.config.mode = 0o644;
    expect(diagnose(f).map(formatFinding)).toEqual([
      "error [config-readable-by-others] nut-monitor.service: /etc/nut/upsmon.conf has mode 0644: every local user can read the upsd passwords in it. Fix: chown root:nut /etc/nut/upsmon.conf && chmod 0640 /etc/nut/upsmon.conf [--fix does this]",
    ]);
  });
  it("names the drop-ins in effect when a unit setting is wrong", () => {
    const f = healthyNut();
    f.unit!.type = "forking";
    f.unit!.dropIns = ["/etc/systemd/system/nut-monitor.service.d/broken.conf"];
    expect(diagnose(f)[0]?.fix).toContain("/etc/systemd/system/nut-monitor.service.d/broken.conf");
  });
});

describe("foreground detection", () => {
  it.each([
    [["/sbin/upsmon", "-F"], true],
    [["/sbin/upsmon", "-DD"], true],
    [["/sbin/upsmon"], false],
    [["/sbin/upsmon", "-p"], false],
    [["/sbin/upsmon", "-u", "nutFD"], false],
    [["/sbin/upsmon", "-D", "-B"], false],
  ])("upsmon %j foreground=%s", (argv, expected) => {
    expect(runsInForeground(NUT_TARGET, argv)).toBe(expected);
  });
  it("treats nutguard's monitor as foreground unless -B", () => {
    expect(runsInForeground(nutguardTarget(), ["/usr/local/bin/nutguard", "monitor"])).toBe(true);
    expect(runsInForeground(nutguardTarget(), ["/usr/local/bin/nutguard", "monitor", "-B"])).toBe(false);
  });
});
