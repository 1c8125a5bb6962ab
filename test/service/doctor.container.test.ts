// `nutguard doctor` on a real Debian 12 host (systemd 252, NUT 2.8.0's nut-client) in a container:
// the stock unit, a clean setup, then planted faults, --fix, and a second run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootContainer, type Container, waitFor } from "../helpers/container.js";
import { startContainerNut, waitForContainerNut } from "../helpers/container-nut.js";

const UPSMON_CONF = (runAsUser: string) => `RUN_AS_USER ${runAsUser}
MONITOR dummy@localhost 1 monprimary primarypass primary
MINSUPPLIES 1
SHUTDOWNCMD "/bin/true"
POWERDOWNFLAG /run/nut/killpower
POLLFREQ 2
`;
const DROP_IN_DIR = "/etc/systemd/system/nut-monitor.service.d";

async function doctor(ct: Container, ...args: string[]) {
  const r = await ct.exec(["nutguard", "doctor", ...args]);
  const ids = [...r.stdout.matchAll(/^(?:error|warning) \[([a-z-]+)\]/gm)].map((m) => m[1]);
  return { ...r, ids };
}

describe("nutguard doctor on a host running NUT's own upsmon", () => {
  let ct: Container;

  beforeAll(async () => {
    ct = await bootContainer();
    await startContainerNut(ct);
    await ct.writeFile("/etc/nut/upsmon.conf", UPSMON_CONF("nut"), { mode: "0640", owner: "root:nut" });
    // A first start on a clean /run/nut, as on a new host: a PID file left by an earlier upsmon would
    // turn its start-up probe's "fopen" into a "kill" (one CI run lost the fopen line; this names why).
    await ct.run(["systemctl", "stop", "nut-monitor.service"]);
    const stale = await ct.exec(["cat", "/run/nut/upsmon.pid"]);
    if (stale.code === 0) console.warn(`a PID file was left before the first start: ${stale.stdout.trim()}`);
    // the PID file stays, naming the upsmon just stopped: the later tests read the journal since this
    // start, which then has no "fopen" probe line from it
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "start", "nut-monitor.service"]);
    await waitForContainerNut(ct);
    // journald reads the service's stderr on its own time: wait until it has the probe's line
    await waitFor("upsmon's start-up probe in the journal", async () =>
      (await ct.journalAfter(cursor, ["-u", "nut-monitor.service"])).includes("fopen /run/nut/upsmon.pid"),
    ).catch(async (err: Error) => {
      const journal = await ct.journalAfter(cursor, []);
      throw new Error(`${err.message}\n${journal}`);
    });
  });
  afterAll(async () => {
    await ct?.destroy();
  });

  it("flags Debian 12's stock unit: PIDFile= names upsmon's child, not MainPID", async () => {
    const pidInFile = await waitFor("upsmon's PID file", async () => {
      const r = await ct.exec(["cat", "/run/nut/upsmon.pid"]);
      return r.code === 0 && /^\d+\n$/.test(r.stdout) ? Number(r.stdout) : undefined;
    });
    const { MainPID } = await ct.show("nut-monitor.service", ["MainPID"]);
    expect(Number(MainPID)).not.toBe(pidInFile);
    const r = await doctor(ct);
    expect(r.code).toBe(1);
    // upsmon's own start-up probe logged "fopen ... upsmon.pid" (the journal since its start)
    expect(r.ids).toEqual(["pidfile-not-mainpid", "journal-upsmon-fopen"]);
    expect(r.stdout).toContain(
      `warning [pidfile-not-mainpid] nut-monitor.service: /run/nut/upsmon.pid names PID ${pidInFile} (upsmon's unprivileged child), not the unit's MainPID ${MainPID}`,
    );
  });

  it("after a reload, names the MainPID systemd adopted that is not its child, as the journal does", async () => {
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "reload", "nut-monitor.service"]);
    const child = Number((await ct.readFile("/run/nut/upsmon.pid")).trim());
    await waitFor("MainPID to move to upsmon's child", async () => {
      return Number((await ct.show("nut-monitor.service", ["MainPID"])).MainPID) === child;
    });
    const r = await doctor(ct);
    expect(r.ids).toEqual(["mainpid-not-our-child", "journal-upsmon-fopen", "journal-not-our-child"]);
    expect(r.stdout).toContain(`the unit's MainPID ${child} is not systemd's child`);
    expect(await ct.journalAfter(cursor, ["-u", "nut-monitor.service"])).toContain(
      `Supervising process ${child} which is not our child`,
    );
  });

  it("finds nothing wrong once PIDFile= is dropped, and exits 0", async () => {
    await ct.writeFile(`${DROP_IN_DIR}/no-pidfile.conf`, "[Service]\nPIDFile=\n");
    await ct.run(["systemctl", "daemon-reload"]);
    // Not `systemctl restart`: after the reload, MainPID is upsmon's child, so a restart stops the
    // child and starts a new upsmon while the old root parent may still be exiting. The new upsmon
    // then finds the PID file naming a live upsmon and refuses to start, and nothing runs (seen in
    // full CI runs). Stop, wait until no upsmon is left, then start.
    await ct.run(["systemctl", "stop", "nut-monitor.service"]);
    await waitFor("every upsmon process to exit", async () => {
      const r = await ct.exec(["pgrep", "-x", "upsmon"]);
      return r.code === 1 ? true : undefined;
    });
    // the PID file stays, naming the upsmon just stopped: the later tests read the journal since this
    // start, which then has no "fopen" probe line from it
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "start", "nut-monitor.service"]);
    // Type=forking without PIDFile=: the start returns once upsmon's first process exits, which can
    // be before its child has written the PID file. Wait until it names a running upsmon.
    await waitFor("upsmon's PID file to name a running process", async () => {
      const r = await ct.exec([
        "sh",
        "-c",
        'pid=$(cat /run/nut/upsmon.pid) && kill -0 "$pid" && echo "$pid"',
      ]);
      const pid = r.stdout.trim();
      return r.code === 0 && pid !== "" ? pid : undefined;
    }).catch(async (err: Error) => {
      const status = await ct.exec(["systemctl", "status", "--no-pager", "nut-monitor.service"]);
      const journal = await ct.journalAfter(cursor, ["-u", "nut-monitor.service"]);
      throw new Error(`${err.message}\n${status.stdout}\n${journal}`);
    });
    const r = await doctor(ct);
    expect(r.stdout).toContain("nutguard doctor: no problems found");
    expect(r.code).toBe(0);
  });

  it("names each planted fault with its fix", async () => {
    await ct.run(["systemctl", "stop", "nut-monitor.service"]);
    await ct.run(["rm", "-f", `${DROP_IN_DIR}/no-pidfile.conf`]);
    await ct.writeFile(`${DROP_IN_DIR}/broken.conf`, "[Service]\nType=forking\nPIDFile=/run/upsmon.pid\n");
    await ct.run(["systemctl", "daemon-reload"]);
    await ct.run([
      "rm",
      "-rf",
      "/run/nut",
      "/usr/lib/tmpfiles.d/nut-client.conf",
      "/usr/lib/tmpfiles.d/nut-server.conf",
    ]);
    await ct.writeFile("/etc/nut/upsmon.conf", UPSMON_CONF("monuser"), { mode: "0644", owner: "root:nut" });
    // the Debian 12 packaging trap: an entry in a file systemd-tmpfiles never reads
    await ct.writeFile("/etc/tmpfiles.d/nut-run.tmpfiles", "d /run/nut 0770 root nut - -\n");

    const r = await doctor(ct);
    expect(r.code).toBe(1);
    expect(r.ids).toEqual([
      "runtime-dir-missing",
      "tmpfiles-missing",
      "unit-type-forking-foreground",
      "unit-pidfile-path",
      "config-readable-by-others",
      "run-as-user-missing",
    ]);
    const line = (id: string) => r.stdout.split("\n").find((l) => l.includes(`[${id}]`)) ?? "";
    expect(line("runtime-dir-missing")).toContain("/run/nut does not exist");
    expect(line("runtime-dir-missing")).toContain("install -d -m 0770 -o root -g nut /run/nut");
    expect(line("tmpfiles-missing")).toContain(
      "'d /run/nut 0770 root nut - -' to /etc/tmpfiles.d/nut-client.conf",
    );
    expect(line("tmpfiles-missing")).toContain(
      "(/etc/tmpfiles.d/nut-run.tmpfiles mentions it, but systemd-tmpfiles reads only *.conf files)",
    );
    expect(line("unit-type-forking-foreground")).toContain("Type=forking, but '/sbin/upsmon -F'");
    expect(line("unit-type-forking-foreground")).toContain(`${DROP_IN_DIR}/broken.conf`);
    expect(line("unit-pidfile-path")).toContain(
      "PIDFile=/run/upsmon.pid, but NUT's upsmon writes /run/nut/upsmon.pid",
    );
    expect(line("config-readable-by-others")).toContain("/etc/nut/upsmon.conf has mode 0644");
    expect(line("run-as-user-missing")).toContain(
      "RUN_AS_USER monuser (/etc/nut/upsmon.conf line 1) is not an OS account",
    );
    expect(r.stdout).toContain("nutguard doctor: 6 problems (3 fixed by 'nutguard doctor --fix')");
  });

  it("--fix repairs the safe ones; a second run shows only what the administrator must do", async () => {
    const fixed = await doctor(ct, "--fix");
    expect(fixed.stdout).toContain("fixed [runtime-dir-missing]: created /run/nut (0770 root:nut)");
    expect(fixed.stdout).toContain(
      "fixed [tmpfiles-missing]: wrote /etc/tmpfiles.d/nut-client.conf and ran 'systemd-tmpfiles --create /etc/tmpfiles.d/nut-client.conf'",
    );
    expect(fixed.stdout).toContain(
      "fixed [config-readable-by-others]: set /etc/nut/upsmon.conf to 0640 root:nut",
    );
    expect(fixed.code).toBe(1);

    expect(
      (await ct.run(["stat", "-c", "%a %U:%G", "/run/nut", "/etc/nut/upsmon.conf"])).split("\n"),
    ).toEqual(["770 root:nut", "640 root:nut", ""]);
    // the tmpfiles entry brings /run/nut back as a boot would
    await ct.run(["rm", "-rf", "/run/nut"]);
    await ct.run(["systemd-tmpfiles", "--create"]);
    expect((await ct.run(["stat", "-c", "%a %U:%G", "/run/nut"])).trim()).toBe("770 root:nut");

    const again = await doctor(ct);
    expect(again.ids).toEqual(["unit-type-forking-foreground", "unit-pidfile-path", "run-as-user-missing"]);
    expect(again.code).toBe(1);
  });

  it("names a stale PID file and --fix removes it", async () => {
    const deadPid = (await ct.run(["sh", "-c", "echo $$"])).trim();
    await ct.writeFile("/run/nut/upsmon.pid", `${deadPid}\n`);
    const r = await doctor(ct);
    expect(r.stdout).toContain(
      `error [pidfile-stale] nut-monitor.service: stale PID file: /run/nut/upsmon.pid names PID ${deadPid}, which is not running`,
    );
    const fixed = await doctor(ct, "--fix");
    expect(fixed.stdout).toContain("fixed [pidfile-stale]: removed stale /run/nut/upsmon.pid");
    expect((await ct.exec(["test", "-e", "/run/nut/upsmon.pid"])).code).toBe(1);
    expect((await doctor(ct)).ids).not.toContain("pidfile-stale");
  });

  it("passes once the administrator's fixes are in and upsmon runs again", async () => {
    await ct.run(["rm", "-f", `${DROP_IN_DIR}/broken.conf`]);
    await ct.writeFile(`${DROP_IN_DIR}/no-pidfile.conf`, "[Service]\nPIDFile=\n");
    await ct.writeFile("/etc/nut/upsmon.conf", UPSMON_CONF("nut"), { mode: "0640", owner: "root:nut" });
    await ct.run(["systemctl", "daemon-reload"]);
    await ct.run(["systemctl", "start", "nut-monitor.service"]);
    await waitFor(
      "upsmon's PID file",
      async () => (await ct.exec(["test", "-s", "/run/nut/upsmon.pid"])).code === 0,
    );
    const r = await doctor(ct);
    expect(r.stdout).toContain("nutguard doctor: no problems found");
    expect(r.code).toBe(0);
  });
});
