/** `nutguard monitor` as a user runs it: --check, -K, fatal configurations, -h, bad flags. */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nutguardBundle } from "../helpers/nutguard-monitor.js";

let dir: string;
let bundle: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-cli-monitor-"));
  bundle = await nutguardBundle();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function monitor(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, "monitor", ...args],
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
function conf(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("nutguard monitor --check", () => {
  it("prints the UPSes, roles, power values and effective settings", async () => {
    const f = conf(
      "ok.conf",
      'MONITOR ups@127.0.0.1:3493 2 mon secret primary\nMONITOR b@[::1] 1 mon s slave\nMINSUPPLIES 2\nSHUTDOWNCMD "/sbin/shutdown -h +0"\nPOWERDOWNFLAG /etc/killpower\nNOTIFYFLAG ONBATT SYSLOG+EXEC\n',
    );
    const r = await monitor(["--check", "-f", f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "ups@127.0.0.1:3493: ups ups on 127.0.0.1 port 3493, primary, power value 2, user mon",
    );
    expect(r.stdout).toContain("b@[::1]: ups b on [::1] port 3493, secondary, power value 1, user mon");
    expect(r.stdout).toContain(
      "Power: sum of power values 3, MINSUPPLIES 2 (shut down when the healthy power falls below 2)",
    );
    expect(r.stdout).toContain('SHUTDOWNCMD "/sbin/shutdown -h +0"');
    expect(r.stdout).toContain("FINALDELAY 5 s");
    expect(r.stdout).toContain('ONBATT: SYSLOG+EXEC, "UPS %s on battery" (stock)');
    expect(r.stdout).not.toContain("secret");
  });

  it("finds upsmon.conf in $NUT_CONFPATH and reports bad lines with file and line on stderr (exit 2)", async () => {
    const sub = join(dir, "confpath");
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub);
    writeFileSync(join(sub, "upsmon.conf"), "MONITOR u 1 m p primary\nPOLLFREQ 2\nBOGUS 1\n");
    const r = await monitor(["--check"], { NUT_CONFPATH: sub });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(sub, "upsmon.conf")} line 3: invalid directive BOGUS 1`);
    expect(r.stdout).toContain("POLLFREQ 2 s");
  });

  it("shows nutguard.conf's channels and thresholds and the built-in upssched; their mistakes make exit 2", async () => {
    const sub = join(dir, "hear");
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub);
    const upsmon = join(sub, "upsmon.conf");
    writeFileSync(upsmon, "MONITOR u@h 1 m p primary\nNOTIFYCMD /usr/sbin/upssched\n");
    writeFileSync(
      join(sub, "nutguard.conf"),
      "[ops]\ntype = webhook\nurl = http://127.0.0.1:1/h\nevents = ONBATT FSD\ndelay = 20\n[thresholds]\nruntime = 300\n",
    );
    writeFileSync(join(sub, "upssched.conf"), "CMDSCRIPT /usr/local/bin/cmd\nAT ONBATT * START-TIMER t 30\n");
    const r = await monitor(["--check", "-f", upsmon]);
    expect(r.stdout).toContain(`nutguard.conf: ${join(sub, "nutguard.conf")}\n`);
    expect(r.stdout).toContain("  notification channel [ops]: webhook, events ONBATT FSD, delay 20 s\n");
    expect(r.stdout).toContain("  battery thresholds for u@h: runtime = 300\n");
    expect(r.stdout).toContain(
      `  upssched: built in, 1 AT line(s) of ${join(sub, "upssched.conf")}, CMDSCRIPT /usr/local/bin/cmd\n`,
    );
    expect(r.stderr).toContain(`${join(sub, "upssched.conf")}:2: PIPEFN must be set before any ATs`);
    expect(r.code).toBe(2);
    writeFileSync(join(sub, "nutguard.conf"), "[ops]\ntype = pager\n");
    const bad = await monitor(["--check", "-f", upsmon]);
    expect(bad.stderr).toContain(`${join(sub, "nutguard.conf")}:2: unknown channel type "pager"`);
    expect(bad.code).toBe(2);
  });

  it("an old-style MONITOR line is fatal with upsmon's explanation", async () => {
    const r = await monitor(["--check", "-f", conf("old.conf", "MONITOR ups@localhost 1 pass master\n")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Unable to use old-style MONITOR line without a username");
  });

  it("an impossible power configuration prints upsmon's fatal text and exits 1", async () => {
    const f = conf("power.conf", "MONITOR u 1 m p primary\nMINSUPPLIES 2\n");
    const r = await monitor(["-p", "-f", f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Fatal error: insufficient power configured!");
    expect(r.stdout).toContain("Sum of power values........: 1");
  });

  it("a missing file is fatal", async () => {
    const r = await monitor(["-p", "-f", join(dir, "nope.conf")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Can't open ${join(dir, "nope.conf")}: No such file or directory`);
  });
});

describe("nutguard monitor -K", () => {
  it("exits 0 only when POWERDOWNFLAG holds upsmon's magic string", async () => {
    const flag = join(dir, "killpower");
    const f = conf("k.conf", `MONITOR u 1 m p primary\nPOWERDOWNFLAG ${flag}\n`);
    rmSync(flag, { force: true });
    expect((await monitor(["-K", "-f", f])).code).toBe(1);
    writeFileSync(flag, "upsmon-shutdown-file");
    const set = await monitor(["-K", "-f", f]);
    expect(set.code).toBe(0);
    expect(set.stderr).toContain("Power down flag is set");
    writeFileSync(flag, "something else");
    expect((await monitor(["-K", "-f", f])).code).toBe(1);
  });
});

describe("nutguard monitor flags", () => {
  it("-h prints upsmon's options", async () => {
    const r = await monitor(["-h"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("-K\t\tchecks POWERDOWNFLAG, sets exit code to 0 if set");
  });
  it("-c without a running daemon fails with upsmon's hint", async () => {
    const r = await monitor(["-c", "stop"], { NUT_PIDPATH: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Failed to signal the currently running daemon (if any)");
  });
});
