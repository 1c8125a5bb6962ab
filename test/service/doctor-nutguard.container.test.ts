// `nutguard doctor` on a host running nutguard's own monitor (installed with install-service) under a
// real systemd: clean as installed and after a stop, then unit faults it must name (one started for
// real, to show the failure the finding predicts), then runtime-dir and PID-file repairs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootContainer, type Container, waitFor } from "../helpers/container.js";
import { CONTAINER_NUT_USERS, startContainerNut } from "../helpers/container-nut.js";

const UNIT = "nutguard-monitor.service";
const DROP_IN = `/etc/systemd/system/${UNIT}.d/broken.conf`;

async function doctor(ct: Container, ...args: string[]) {
  const r = await ct.exec(["nutguard", "doctor", ...args]);
  const ids = [...r.stdout.matchAll(/^(?:error|warning) \[([a-z-]+)\]/gm)].map((m) => m[1]);
  return { ...r, ids };
}

async function setDropIn(ct: Container, body: string | undefined) {
  if (body === undefined) await ct.run(["rm", "-f", DROP_IN]);
  else await ct.writeFile(DROP_IN, `[Service]\n${body}\n`);
  await ct.run(["systemctl", "daemon-reload"]);
}

describe("nutguard doctor on a host running nutguard's monitor", () => {
  let ct: Container;

  beforeAll(async () => {
    ct = await bootContainer();
    await ct.run(["systemctl", "mask", "--now", "nut-monitor.service"]);
    await startContainerNut(ct);
    const { user, password } = CONTAINER_NUT_USERS.primary;
    await ct.writeFile(
      "/etc/nut/upsmon.conf",
      `MONITOR dummy@127.0.0.1 1 ${user} ${password} primary\nRUN_AS_USER nut\nPOLLFREQ 1\nSHUTDOWNCMD "/bin/true"\n`,
      { mode: "0640", owner: "root:nut" },
    );
    await ct.run(["nutguard", "install-service", "--type", "notify"]);
    await ct.run(["systemctl", "start", UNIT]);
  });
  afterAll(async () => {
    await ct?.destroy();
  });

  it("finds nothing wrong with the installed Type=notify unit, running or stopped", async () => {
    const running = await doctor(ct);
    expect(running.stdout).toContain("nutguard doctor: checking nutguard-monitor.service");
    expect(running.stdout).toContain("nutguard doctor: no problems found");
    expect(running.code).toBe(0);
    await ct.run(["systemctl", "stop", UNIT]);
    const stopped = await doctor(ct);
    expect(stopped.stdout).toContain("nutguard doctor: no problems found");
    expect(stopped.code).toBe(0);
  });

  it("names NotifyAccess=all and a PIDFile= the daemon does not write", async () => {
    await setDropIn(ct, "NotifyAccess=all\nPIDFile=/run/nutguard.pid");
    const r = await doctor(ct);
    expect(r.ids).toEqual(["unit-notifyaccess-wide", "unit-pidfile-path"]);
    expect(r.stdout).toContain(
      "PIDFile=/run/nutguard.pid, but nutguard's monitor writes /run/nutguard/nutguard-monitor.pid",
    );
    expect(r.stdout).toContain(DROP_IN);
  });

  it("names Type=forking with a foreground monitor, and the start really times out", async () => {
    await setDropIn(ct, "Type=forking\nTimeoutStartSec=3s");
    const r = await doctor(ct);
    expect(r.ids).toEqual(["unit-type-forking-foreground"]);
    expect(r.stdout).toMatch(/Type=forking, but '.* monitor -F' runs nutguard's monitor in the foreground/);
    const start = await ct.exec(["systemctl", "start", UNIT]);
    expect(start.code).not.toBe(0);
    expect((await ct.show(UNIT, ["Result"])).Result).toBe("timeout");
    // Restart=on-failure has queued another (equally doomed) start: cancel it before the repair
    await ct.run(["systemctl", "stop", UNIT]);
    await ct.exec(["systemctl", "reset-failed", UNIT]);
    await setDropIn(ct, undefined);
  });

  it("repairs a world-open runtime directory and removes a stale PID file with --fix", async () => {
    await ct.run(["chmod", "0777", "/run/nutguard"]);
    const deadPid = (await ct.run(["sh", "-c", "echo $$"])).trim();
    await ct.writeFile("/run/nutguard/nutguard-monitor.pid", `${deadPid}\n`);
    expect((await doctor(ct)).ids).toEqual(["runtime-dir-mode", "pidfile-stale"]);
    const fixed = await doctor(ct, "--fix");
    expect(fixed.stdout).toContain("fixed [runtime-dir-mode]: set /run/nutguard to 0770 root:nut");
    expect(fixed.stdout).toContain("fixed [pidfile-stale]: removed stale /run/nutguard/nutguard-monitor.pid");
    expect(fixed.code).toBe(0);
    await ct.run(["systemctl", "start", UNIT]);
    await waitFor(
      "the PID file",
      async () => (await ct.exec(["test", "-s", "/run/nutguard/nutguard-monitor.pid"])).code === 0,
    );
    expect((await doctor(ct)).code).toBe(0);
  });
});
