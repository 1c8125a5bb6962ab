/**
 * Planted configurations, each expecting exactly its finding, and a clean one with none. The "real"
 * upsd is nutguard server with a static UPS (battery 1320 s at 100 %, LB at 10 %), on real time; the
 * drill reads it, plays the outage on its own twin on simulated time, and reports.
 */
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrill } from "../../src/drill/drill.js";
import type { DrillReport } from "../../src/drill/drill-types.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { NUTGUARD_BIN, runOurs } from "../cli/run-tool.js";
import { freePort, queryOnce } from "../helpers/nut-stack.js";
import { RACK_UPS_DEV } from "./rack-ups.js";

let dir: string;
let server: RunningServer;
let port: number;
let closedPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-drill-test-"));
  await writeFile(join(dir, "u.dev"), RACK_UPS_DEV);
  await writeFile(join(dir, "ups.conf"), `[u]\n\tdriver = dummy-ups\n\tport = ${join(dir, "u.dev")}\n`);
  await writeFile(join(dir, "upsd.conf"), "");
  await writeFile(
    join(dir, "upsd.users"),
    "[mon]\n\tpassword = pw\n\tupsmon primary\n[sec]\n\tpassword = spw\n\tupsmon secondary\n",
  );
  server = await startServer({
    confPath: dir,
    log: createMemoryLogger(),
    listen: [{ host: "127.0.0.1", port: 0 }],
  });
  port = server.addresses[0]!.port;
  closedPort = await freePort();
  // a program that exists but nobody may execute, and one the monitor's user cannot reach (mode 0700 dir)
  await writeFile(join(dir, "not-executable"), "#!/bin/sh\nexit 0\n");
  await chmod(join(dir, "not-executable"), 0o644);
  await writeFile(join(dir, "notify"), "#!/bin/sh\nexit 0\n");
  await chmod(join(dir, "notify"), 0o755);
  await chmod(dir, 0o700);
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function clean(): Record<string, string> {
  return {
    MONITOR: `u@127.0.0.1:${port} 1 mon pw primary`,
    SHUTDOWNCMD: '"/bin/true"',
    NOTIFYCMD: "/bin/true",
    POWERDOWNFLAG: join(tmpdir(), "killpower"),
  };
}

async function drill(lines: Record<string, string> | string[], shutdownTakesSec = 60): Promise<DrillReport> {
  const text = Array.isArray(lines) ? lines : Object.entries(lines).map(([k, v]) => `${k} ${v}`);
  const file = join(dir, `upsmon-${Math.random().toString(36).slice(2)}.conf`);
  await writeFile(file, `${text.join("\n")}\n`);
  return runDrill({
    configPath: file,
    scenarios: ["outage"],
    execNotify: false,
    shutdownTakesSec,
    log: createMemoryLogger(),
  });
}

const ids = (r: DrillReport) => r.findings.map((f) => f.id);

describe("nutguard drill: planted configurations", () => {
  it("a clean configuration: no finding, SHUTDOWNCMD recorded after LB, the UPS untouched", async () => {
    const r = await drill(clean());
    expect(ids(r)).toEqual([]);
    expect(r.probes).toEqual([{ system: `u@127.0.0.1:${port}`, source: "real", unreachable: undefined }]);
    const run = r.runs[0]!;
    expect(run.shutdownCommand).toBe("/bin/true");
    // LB at 90 % of 1320 s = 19m48s; SHUTDOWNCMD within a poll and FINALDELAY of it
    expect(run.timeline.find((e) => e.what === "LOWBATT")!.tSec).toBeGreaterThanOrEqual(1188);
    expect(run.shutdownAtSec!).toBeGreaterThanOrEqual(1188);
    expect(run.shutdownAtSec!).toBeLessThanOrEqual(1188 + 5 + 5 + 1);
    expect(await queryOnce(port, "GET NUMLOGINS u")).toBe("NUMLOGINS u 0");
    expect(await queryOnce(port, "GET VAR u ups.status")).toBe('VAR u ups.status "OL"');
    expect(server.model.findUps("u")!.fsd).toBe(false);
  }, 60_000);

  const planted: [
    string,
    (c: Record<string, string>) => Record<string, string> | string[],
    string,
    number?,
  ][] = [
    ["SHUTDOWNCMD not set", ({ SHUTDOWNCMD: _, ...c }) => c, "shutdowncmd-missing"],
    [
      "SHUTDOWNCMD with a typo",
      (c) => ({ ...c, SHUTDOWNCMD: '"/sbin/shutdwn -h +0"' }),
      "shutdowncmd-not-found",
    ],
    [
      "SHUTDOWNCMD not executable",
      (c) => ({ ...c, SHUTDOWNCMD: join(dir, "not-executable") }),
      "shutdowncmd-not-executable",
    ],
    [
      "NOTIFYCMD not found",
      (c) => ({ ...c, NOTIFYCMD: "/usr/local/bin/no-such-notify" }),
      "notifycmd-not-found",
    ],
    [
      "NOTIFYCMD the monitor's user cannot reach",
      (c) => ({ ...c, NOTIFYCMD: join(dir, "notify"), RUN_AS_USER: "nut" }),
      "notifycmd-not-executable",
    ],
    [
      "POWERDOWNFLAG in a missing directory",
      (c) => ({ ...c, POWERDOWNFLAG: "/nonexistent-dir/killpower" }),
      "powerdownflag-dir-missing",
    ],
    [
      "MINSUPPLIES unreachable",
      (c) => ({ ...c, MONITOR: `u@127.0.0.1:${closedPort} 1 mon pw primary` }),
      "minsupplies-unreachable",
    ],
    [
      "one of two UPSes unreachable",
      (c) => [
        ...Object.entries(c).map(([k, v]) => `${k} ${v}`),
        `MONITOR v@127.0.0.1:${closedPort} 1 mon pw primary`,
      ],
      "ups-unreachable",
    ],
    [
      "wrong MONITOR password",
      (c) => ({ ...c, MONITOR: `u@127.0.0.1:${port} 1 mon wrong primary` }),
      "credentials-rejected",
    ],
    [
      "a secondary whose primary is unknown",
      (c) => ({ ...c, MONITOR: `u@127.0.0.1:${port} 1 sec spw secondary` }),
      "primary-unknown",
    ],
    ["runtime at LB shorter than the shutdown needs", (c) => c, "runtime-too-short", 600],
    [
      "nobody told about ONBATT",
      (c) => [...Object.entries(c).map(([k, v]) => `${k} ${v}`), "NOTIFYFLAG ONBATT IGNORE"],
      "nobody-told",
    ],
  ];
  for (const [name, plant, id, takes] of planted) {
    it(`${name}: exactly ${id}`, async () => {
      const lines = plant(clean());
      // NOTIFYCMD findings only matter when some notification is EXEC'd
      const withExec = Array.isArray(lines) ? lines : Object.entries(lines).map(([k, v]) => `${k} ${v}`);
      if (id.startsWith("notifycmd")) withExec.push("NOTIFYFLAG ONBATT SYSLOG+EXEC");
      const r = await drill(withExec, takes);
      expect(ids(r)).toEqual([id]);
      expect(r.findings[0]!.fix.length).toBeGreaterThan(10);
    }, 60_000);
  }

  it("monitoring only (power value 0, MINSUPPLIES 0): the battery runs out, no SHUTDOWNCMD, and that is the plan", async () => {
    const r = await drill({ ...clean(), MONITOR: `u@127.0.0.1:${port} 0 mon pw primary`, MINSUPPLIES: "0" });
    expect(ids(r)).toEqual([]);
    expect(r.runs[0]!.shutdownAtSec).toBeUndefined();
    expect(r.runs[0]!.timeline.some((e) => e.what === "EMPTY")).toBe(true);
  }, 60_000);
});

describe("nutguard drill: exit status and output", () => {
  it("2 for an unreadable configuration or an unknown --ups, 1 with findings, 0 clean; the text report", async () => {
    const missing = await runOurs("drill", ["-f", join(dir, "nope.conf")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`Can't open ${join(dir, "nope.conf")}: No such file or directory`);
    const file = join(dir, "cli-upsmon.conf");
    const conf = Object.entries(clean()).map(([k, v]) => `${k} ${v}`);
    await writeFile(file, `${conf.join("\n")}\n`);
    expect((await runOurs("drill", ["-f", file, "--ups", "other"])).code).toBe(2);
    const ok = await runOurs("drill", ["-f", file, "--shutdown-takes", "60", "--state-dir", dir], {
      timeoutMs: 60_000,
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/t\+0s +MAINS-LOST/);
    expect(ok.stdout).toMatch(/t\+19m5\ds +SHUTDOWNCMD +\/bin\/true {2}\(recorded, not run\)/);
    expect(ok.stdout).toContain("Findings: none. The plan works.");
    const bad = await runOurs("drill", ["-f", file, "--shutdown-takes", "600", "--state-dir", dir], {
      timeoutMs: 60_000,
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("[runtime-too-short]");
    expect(bad.stdout).toContain("fix: raise battery.runtime.low");
  }, 120_000);
});

describe("nutguard drill --exec-notify and --ups", () => {
  it("runs NOTIFYCMD for real with NUTGUARD_DRILL=1 (as RUN_AS_USER under root); only the named UPS loses power", async () => {
    const hooks = await mkdtemp(join(tmpdir(), "nutguard-drill-notify-"));
    try {
      await chmod(hooks, 0o777);
      const out = join(hooks, "calls");
      await writeFile(
        join(hooks, "notify"),
        `#!/bin/sh\necho "$NUTGUARD_DRILL $NOTIFYTYPE $(id -un)" >> ${out}\n`,
        { mode: 0o755 },
      );
      const file = join(dir, "exec-upsmon.conf");
      await writeFile(
        file,
        [
          `MONITOR u@127.0.0.1:${port} 1 mon pw primary`,
          `MONITOR u@localhost:${port} 1 mon pw primary`,
          "MINSUPPLIES 1",
          'SHUTDOWNCMD "/bin/true"',
          `NOTIFYCMD ${join(hooks, "notify")}`,
          "NOTIFYFLAG ONBATT SYSLOG+EXEC",
          "NOTIFYFLAG LOWBATT SYSLOG+EXEC",
          "",
        ].join("\n"),
      );
      const r = await runDrill({
        configPath: file,
        ups: `u@localhost:${port}`,
        scenarios: ["outage"],
        execNotify: true,
        shutdownTakesSec: 60,
        log: createMemoryLogger(),
      });
      const calls = (await readFile(out, "utf8")).trim().split("\n");
      expect(calls.map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual(["1 ONBATT", "1 LOWBATT"]);
      if (process.getuid?.() === 0) expect(calls[0]!.split(" ")[2]).toBe("nut");
      const run = r.runs[0]!;
      expect(run.notifyCalls.map((c) => `${c.type} ${c.ups}`)).toEqual([
        `ONBATT u@localhost:${port}`,
        `LOWBATT u@localhost:${port}`,
      ]);
      // the other UPS stayed on line and alone meets MINSUPPLIES 1: no shutdown is the plan's answer
      expect(run.timeline.filter((e) => e.what === "MAINS-LOST").map((e) => e.ups)).toEqual([
        `u@localhost:${port}`,
      ]);
    } finally {
      await rm(hooks, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("nutguard drill: Ctrl-C", () => {
  it("stops the scenario, removes the twin's temporary directory and exits 130", async () => {
    const priv = await mkdtemp(join(tmpdir(), "nutguard-drill-tmp-"));
    try {
      const file = join(dir, "int-upsmon.conf");
      await writeFile(
        file,
        `${Object.entries(clean())
          .map(([k, v]) => `${k} ${v}`)
          .join("\n")}\nPOLLFREQ 1\nPOLLFREQALERT 1\n`,
      );
      const child = spawn(
        NUTGUARD_BIN,
        ["drill", "-f", file, "--scenario", "all", "--shutdown-takes", "60"],
        {
          env: { ...process.env, TMPDIR: priv },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      while ((await readdir(priv)).length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect((await readdir(priv)).some((n) => n.startsWith("nutguard-drill-"))).toBe(true);
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(stderr).toContain("nutguard drill: interrupted");
      expect(await readdir(priv)).toEqual([]);
    } finally {
      await rm(priv, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("nutguard drill --scenario all", () => {
  it("outage, comm-loss, primary-fsd and flapping each end as the monitor's rules say, with no finding", async () => {
    const file = join(dir, "all-upsmon.conf");
    await writeFile(
      file,
      `${Object.entries(clean())
        .map(([k, v]) => `${k} ${v}`)
        .join("\n")}\n`,
    );
    const r = await runDrill({
      configPath: file,
      scenarios: ["outage", "comm-loss", "primary-fsd", "flapping"],
      execNotify: false,
      shutdownTakesSec: 60,
      log: createMemoryLogger(),
    });
    expect(ids(r)).toEqual([]);
    const [outage, comm, fsd, flap] = r.runs;
    const decision = (run: typeof outage) => run!.timeline.find((e) => e.what === "DECISION")?.detail;
    expect(decision(outage)).toContain("critical (oblb-primary)");
    // the driver stops at 60 s; DEADTIME 15 s later the UPS last seen on battery is dead
    expect(comm!.timeline.map((e) => e.what)).toContain("COMMBAD");
    expect(decision(comm)).toContain("critical (dead-on-battery)");
    expect(comm!.shutdownAtSec!).toBeGreaterThanOrEqual(60 + 15);
    expect(comm!.shutdownAtSec!).toBeLessThan(120);
    expect(decision(fsd)).toContain("critical (fsd)");
    expect(fsd!.shutdownAtSec!).toBeGreaterThanOrEqual(60);
    expect(fsd!.shutdownAtSec!).toBeLessThan(80);
    expect(flap!.shutdownAtSec).toBeUndefined();
    expect(flap!.timeline.filter((e) => e.what === "ONBATT")).toHaveLength(5);
    expect(flap!.timeline.filter((e) => e.what === "ONLINE")).toHaveLength(5);
  }, 120_000);
});
