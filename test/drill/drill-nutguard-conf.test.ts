/**
 * The drill plays nutguard.conf: channels recorded in the timeline (sent, with "[drill]", only with
 * --exec-notify), battery thresholds firing on simulated time with their reason, the built-in
 * upssched's timers on the virtual clock (CMDSCRIPT recorded; run only with --exec-notify), and the
 * findings nutguard.conf and upssched.conf add. The "real" upsd is nutguard server on real time.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrill } from "../../src/drill/drill.js";
import type { DrillReport, ScenarioRun } from "../../src/drill/drill-types.js";
import type { RunningServer } from "../../src/server/server.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { runOurs } from "../cli/run-tool.js";
import { type HttpReceiver, startHttpReceiver } from "../helpers/http-receiver.js";
import { RACK_UPS_DEV, startRackServer } from "./rack-ups.js";

let dir: string;
let server: RunningServer;
let port: number;
let receiver: HttpReceiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-drill-ng-"));
  await chmod(dir, 0o755);
  // "nort": a UPS that reports no battery.runtime (many cheap UPSes)
  ({ server, port } = await startRackServer(dir, {
    u: RACK_UPS_DEV,
    nort: RACK_UPS_DEV.replace(/^battery\.runtime: .*\n/m, ""),
  }));
  receiver = await startHttpReceiver();
});

afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A configuration directory: upsmon.conf (+ nutguard.conf, upssched.conf when given). */
async function confDir(files: { upsmon?: string[]; nutguard?: string; upssched?: string }): Promise<string> {
  const d = join(dir, Math.random().toString(36).slice(2));
  await mkdir(d);
  const upsmon = files.upsmon ?? [
    `MONITOR u@127.0.0.1:${port} 1 mon pw primary`,
    'SHUTDOWNCMD "/bin/true"',
    `POWERDOWNFLAG ${join(tmpdir(), "killpower")}`,
  ];
  await writeFile(join(d, "upsmon.conf"), `${upsmon.join("\n")}\n`);
  if (files.nutguard !== undefined) await writeFile(join(d, "nutguard.conf"), files.nutguard);
  if (files.upssched !== undefined) await writeFile(join(d, "upssched.conf"), files.upssched);
  return join(d, "upsmon.conf");
}

function drill(configPath: string, more: { execNotify?: boolean; nutguardConfPath?: string } = {}) {
  return runDrill({
    configPath,
    scenarios: ["outage"],
    execNotify: more.execNotify ?? false,
    ...(more.nutguardConfPath ? { nutguardConfPath: more.nutguardConfPath } : {}),
    shutdownTakesSec: 60,
    log: createMemoryLogger(),
  });
}

const ids = (r: DrillReport) => r.findings.map((f) => f.id);
const entries = (run: ScenarioRun, what: string) => run.timeline.filter((e) => e.what === what);
const at = (run: ScenarioRun, what: string) => entries(run, what)[0]?.tSec;

describe("nutguard drill plays nutguard.conf's channels", () => {
  const channel = () => `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\nevents = ONBATT LOWBATT\n`;

  it("records each delivery at its simulated time and sends nothing without --exec-notify", async () => {
    const before = receiver.requests.length;
    const r = await drill(await confDir({ nutguard: channel() }));
    expect(ids(r)).toEqual([]);
    const run = r.runs[0]!;
    const notes = entries(run, "NOTIFY").map((e) => e.detail);
    expect(notes).toEqual([
      expect.stringMatching(
        /^ops \(webhook\): ONBATT: UPS u@127\.0\.0\.1:\d+ on battery.*\(recorded, not sent\)$/,
      ),
      expect.stringMatching(
        /^ops \(webhook\): LOWBATT: UPS u@127\.0\.0\.1:\d+ battery is low.*\(recorded, not sent\)$/,
      ),
    ]);
    // delivered when the monitor saw the event, on simulated time (LB at 19m48s)
    expect(entries(run, "NOTIFY")[0]!.tSec).toBe(at(run, "ONBATT"));
    expect(entries(run, "NOTIFY")[1]!.tSec).toBe(at(run, "LOWBATT"));
    expect(at(run, "LOWBATT")!).toBeGreaterThanOrEqual(1188);
    expect(r.nutguardConfPath).toBe(join(dirname(r.configPath), "nutguard.conf"));
    await new Promise((res) => setTimeout(res, 200));
    expect(receiver.requests.length).toBe(before);
  }, 60_000);

  it("with --exec-notify the receiver gets each notification, marked [drill]", async () => {
    const before = receiver.requests.length;
    const r = await drill(await confDir({ nutguard: channel() }), { execNotify: true });
    const got = receiver.requests
      .slice(before)
      .map((q) => JSON.parse(q.body) as { event: string; message: string });
    expect(got.map((g) => g.event)).toEqual(["ONBATT", "LOWBATT"]);
    for (const g of got) expect(g.message).toMatch(/^\[drill\] UPS u@127\.0\.0\.1:\d+ /);
    expect(entries(r.runs[0]!, "NOTIFY").map((e) => e.detail.endsWith("(sent)"))).toEqual([true, true]);
  }, 60_000);

  it("with --exec-notify an apprise channel's command runs with NUTGUARD_DRILL=1 and a [drill] title", async () => {
    const hooks = await mkdtemp(join(tmpdir(), "nutguard-drill-apprise-"));
    try {
      const out = join(hooks, "calls");
      const fake = join(hooks, "apprise");
      // stands in for apprise: records its environment's marker and its --title argument
      await writeFile(
        fake,
        `#!/bin/sh
echo "$NUTGUARD_DRILL $1" >> ${out}
`,
        { mode: 0o755 },
      );
      const conf = await confDir({
        nutguard: `[team]\ntype = apprise\nurls = json://127.0.0.1:9/\ncommand = ${fake}\nevents = ONBATT\n`,
      });
      await drill(conf, { execNotify: true });
      expect((await readFile(out, "utf8")).trim().split("\n")).toEqual([
        expect.stringMatching(/^1 --title=\[drill\] nutguard on \S+: ONBATT u@127\.0\.0\.1:\d+$/),
      ]);
    } finally {
      await rm(hooks, { recursive: true, force: true });
    }
  }, 60_000);

  it("-C FILE: that nutguard.conf's channel is played, not the one beside upsmon.conf", async () => {
    const conf = await confDir({ nutguard: channel() });
    const other = join(dir, "other-nutguard.conf");
    await writeFile(other, `[pager]\ntype = ntfy\nserver = ${receiver.url}\ntopic = ups\nevents = ONBATT\n`);
    const r = await drill(conf, { nutguardConfPath: other });
    expect(entries(r.runs[0]!, "NOTIFY").map((e) => e.detail.slice(0, 22))).toEqual([
      "pager (ntfy): ONBATT: ",
    ]);
    expect(r.nutguardConfPath).toBe(other);
  }, 60_000);

  it("nobody-told counts channels: ONBATT and LOWBATT ignored by NOTIFYFLAG but carried by a channel is fine; a channel without them is not", async () => {
    const upsmon = [
      `MONITOR u@127.0.0.1:${port} 1 mon pw primary`,
      'SHUTDOWNCMD "/bin/true"',
      "NOTIFYFLAG ONBATT IGNORE",
      "NOTIFYFLAG LOWBATT IGNORE",
    ];
    expect(ids(await drill(await confDir({ upsmon, nutguard: channel() })))).toEqual([]);
    const online = `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\nevents = ONLINE FSD\n`;
    const r = await drill(await confDir({ upsmon, nutguard: online }));
    expect(ids(r)).toEqual(["nobody-told"]);
    expect(r.findings[0]!.subject).toBe("ONBATT, LOWBATT");
    // a channel's `ups =` filter counts: carried for u is fine, for another UPS only is not
    const forUps = (ups: string) => `${channel()}ups = ${ups}\n`;
    expect(ids(await drill(await confDir({ upsmon, nutguard: forUps("u") })))).toEqual([]);
    const other = await drill(await confDir({ upsmon, nutguard: forUps("other") }));
    expect(other.findings.map((f) => [f.id, f.message])).toEqual([
      ["nobody-told", expect.stringMatching(/^nobody is told about ONBATT or LOWBATT: no NOTIFYFLAG/)],
    ]);
  }, 60_000);

  it("a channel nutguard.conf cannot use is exit status 2 with file:line", async () => {
    const conf = await confDir({ nutguard: "[ops]\ntype = webhook\n" });
    const res = await runOurs("drill", ["-f", conf, "--shutdown-takes", "60"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/nutguard\.conf.*needs "url ="/);
  }, 60_000);
});

describe("nutguard drill plays the battery thresholds", () => {
  it("a runtime threshold fires on simulated time, before LB, with its reason id", async () => {
    const r = await drill(await confDir({ nutguard: "[thresholds]\nruntime = 600\n" }));
    expect(ids(r)).toEqual([]);
    const run = r.runs[0]!;
    const decision = entries(run, "DECISION")[0]!;
    expect(decision.detail).toContain("critical (runtime-threshold)");
    // 1320 s of runtime falling one second a second: 600 s left at t+720s (twin updates every 10 s,
    // the monitor polls every 5 s on battery)
    expect(decision.tSec).toBeGreaterThanOrEqual(720);
    expect(decision.tSec).toBeLessThanOrEqual(720 + 10 + 5);
    // the monitor shut down long before the UPS would raise LB (19m48s), so the drill ended there
    expect(run.shutdownAtSec!).toBeLessThan(1188);
    expect(entries(run, "LB")).toEqual([]);
    expect(entries(run, "LOWBATT")).toEqual([]);
  }, 60_000);

  it("a threshold on a variable the UPS does not report: exactly threshold-never-fires, and LB still shuts down", async () => {
    const upsmon = [`MONITOR nort@127.0.0.1:${port} 1 mon pw primary`, 'SHUTDOWNCMD "/bin/true"'];
    const r = await drill(await confDir({ upsmon, nutguard: "[thresholds]\nruntime = 600\n" }));
    expect(ids(r)).toEqual(["threshold-never-fires"]);
    expect(r.findings[0]!.message).toContain("does not report battery.runtime");
    const run = r.runs[0]!;
    expect(entries(run, "DECISION")[0]!.detail).toContain("critical (oblb-primary)");
    // the twin does not report it either
    expect(run.shutdownAtSec!).toBeGreaterThanOrEqual(at(run, "LB")!);
  }, 60_000);
});

describe("nutguard drill plays the built-in upssched", () => {
  async function upsschedConf(script: string, user?: string): Promise<string> {
    return confDir({
      upsmon: [
        `MONITOR u@127.0.0.1:${port} 1 mon pw primary`,
        'SHUTDOWNCMD "/bin/true"',
        "NOTIFYCMD /usr/sbin/upssched",
        "NOTIFYFLAG ONBATT SYSLOG+EXEC",
        "NOTIFYFLAG ONLINE SYSLOG+EXEC",
        "NOTIFYFLAG LOWBATT SYSLOG+EXEC",
        ...(user ? [`RUN_AS_USER ${user}`] : []),
      ],
      upssched: `CMDSCRIPT ${script}\nAT ONBATT * START-TIMER onbatt 300\nAT ONLINE * CANCEL-TIMER onbatt\nAT LOWBATT * EXECUTE lowbatt-now\n`,
    });
  }

  it("START-TIMER, the timer firing and EXECUTE on the virtual clock; CMDSCRIPT recorded, run only with --exec-notify", async () => {
    const hooks = await mkdtemp(join(tmpdir(), "nutguard-drill-sched-"));
    try {
      await chmod(hooks, 0o777);
      const out = join(hooks, "calls");
      const script = join(hooks, "cmd");
      await writeFile(script, `#!/bin/sh\necho "$NUTGUARD_DRILL $1 $NOTIFYTYPE" >> ${out}\n`, {
        mode: 0o755,
      });
      const conf = await upsschedConf(script);
      const r = await drill(conf);
      expect(ids(r)).toEqual([]);
      const run = r.runs[0]!;
      const onbatt = at(run, "ONBATT")!;
      expect(entries(run, "UPSSCHED").map((e) => [e.tSec, e.detail])).toEqual([
        [onbatt, "START-TIMER onbatt 300 s"],
      ]);
      expect(entries(run, "CMDSCRIPT").map((e) => [e.tSec, e.detail])).toEqual([
        [onbatt + 300, `${script} onbatt  (timer fired; NOTIFYTYPE=ONBATT)  (recorded, not run)`],
        [at(run, "LOWBATT"), `${script} lowbatt-now  (EXECUTE; NOTIFYTYPE=LOWBATT)  (recorded, not run)`],
      ]);
      expect(entries(run, "ONBATT")[0]!.detail).toMatch(/→ syslog, upssched$/);
      expect(run.notifyCalls).toEqual([]);
      expect(existsSync(out)).toBe(false);

      await drill(conf, { execNotify: true });
      const calls = (await readFile(out, "utf8")).trim().split("\n");
      expect(calls).toEqual(["1 onbatt ONBATT", "1 lowbatt-now LOWBATT"]);
    } finally {
      await rm(hooks, { recursive: true, force: true });
    }
  }, 60_000);

  it("a CMDSCRIPT that does not exist: exactly cmdscript-not-found", async () => {
    const r = await drill(await upsschedConf("/usr/local/bin/no-such-cmdscript"));
    expect(ids(r)).toEqual(["cmdscript-not-found"]);
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)(
    "nutguard.conf or a secret file the monitor's user (nut) cannot read: exactly monitor-cannot-read, naming it",
    async () => {
      const hidden = await mkdtemp(join(tmpdir(), "nutguard-drill-secret-"));
      try {
        await chmod(hidden, 0o700);
        const token = join(hidden, "token");
        await writeFile(token, "s3cret\n");
        const withSecret = `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\ntoken_file = ${token}\n`;
        const secret = await drill(await confDir({ nutguard: withSecret }));
        expect(secret.findings.map((f) => [f.id, f.subject, f.message])).toEqual([
          [
            "monitor-cannot-read",
            "[ops] token_file",
            `${token} ([ops] token_file) is not readable by nut, the user the monitor reads it as`,
          ],
        ]);
        await chmod(hidden, 0o755);
        await chmod(token, 0o640); // root:root 0640: still not nut's
        expect(ids(await drill(await confDir({ nutguard: withSecret })))).toEqual(["monitor-cannot-read"]);
        await chmod(token, 0o644);
        expect(ids(await drill(await confDir({ nutguard: withSecret })))).toEqual([]);

        const upsmon = await confDir({ nutguard: "[thresholds]\ncharge = 20\n" });
        await chmod(join(dirname(upsmon), "nutguard.conf"), 0o600);
        const conf = await drill(upsmon);
        expect(conf.findings.map((f) => [f.id, f.subject])).toEqual([
          ["monitor-cannot-read", "nutguard.conf"],
        ]);
      } finally {
        await rm(hidden, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.skipIf(process.getuid?.() !== 0)(
    "a CMDSCRIPT the monitor's user (RUN_AS_USER) cannot reach: exactly cmdscript-not-executable",
    async () => {
      const hidden = await mkdtemp(join(tmpdir(), "nutguard-drill-hidden-"));
      try {
        await chmod(hidden, 0o700);
        await writeFile(join(hidden, "cmd"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        const r = await drill(await upsschedConf(join(hidden, "cmd"), "nut"));
        expect(ids(r)).toEqual(["cmdscript-not-executable"]);
        expect(r.findings[0]!.message).toContain("not executable by nut");
      } finally {
        await rm(hidden, { recursive: true, force: true });
      }
    },
    60_000,
  );
});

describe("nutguard drill with everything in nutguard.conf", () => {
  it("a 20-minute outage with channels, thresholds and upssched covers its simulated time (the clock is virtual)", async () => {
    const conf = await confDir({
      nutguard: `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\n[thresholds]\nonbattery = 1500\n`,
    });
    const r = await drill(conf);
    const run = r.runs[0]!;
    // LB at 19m48s wins over the 25-minute time-on-battery threshold; nearly 20 simulated minutes
    expect(entries(run, "DECISION")[0]!.detail).toContain("oblb-primary");
    expect(at(run, "LB")).toBe(1188);
    expect(run.simulatedSec).toBeGreaterThanOrEqual(1188);
    expect(entries(run, "NOTIFY").map((e) => e.detail.split(":")[1]!.trim())).toEqual([
      "ONBATT",
      "LOWBATT",
      "FSD",
      "SHUTDOWN",
    ]);
  }, 60_000);
});
