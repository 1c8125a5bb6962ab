/**
 * Shared set-up and scenario for the unit tests under a real systemd (one *.container.test.ts
 * file per unit type, so they can run in parallel): a booted container with Debian's upsd +
 * dummy-ups, nutguard installed with `nutguard install-service --type T`, and helpers to read
 * what an administrator would look at (systemctl show, the PID file, the unit's journal, ps).
 */
import { expect } from "vitest";
import { bootContainer, type Container, waitFor } from "../helpers/container.js";
import { CONTAINER_NUT_USERS, startContainerNut } from "../helpers/container-nut.js";

export const UNIT = "nutguard-monitor.service";
export const PID_FILE = "/run/nutguard/nutguard-monitor.pid";
/** What NUT's upsmon + systemd log when the PID file and the process model are wrong (reference §9). */
export const BAD_LINES = [
  /fopen .*\.pid/,
  /Can't open PID file/,
  /not our child/,
  /[Tt]imed? ?out/,
  /Failed to parse PID/,
];

/** A primary's upsmon.conf (NUT 2.7.4 needs role "master"; `system` defaults to `<ups>@127.0.0.1`). */
export function upsmonConf(
  ups: string,
  extra: string[] = [],
  role: "primary" | "master" = "primary",
  system = `${ups}@127.0.0.1`,
): string {
  const { user, password } = CONTAINER_NUT_USERS.primary;
  return [
    `MONITOR ${system} 1 ${user} ${password} ${role}`,
    "POLLFREQ 1",
    "POLLFREQALERT 1",
    "HOSTSYNC 2",
    "FINALDELAY 0",
    "DEADTIME 5",
    "RUN_AS_USER nut",
    'SHUTDOWNCMD "/usr/local/sbin/test-shutdown"',
    "POWERDOWNFLAG /etc/killpower",
    ...extra,
    "",
  ].join("\n");
}

/** Boots a container with NUT serving `devices`, NUT's own upsmon masked, and nutguard installed as `type`. */
export async function bootWithNutguard(
  type: "notify" | "forking" | "simple",
  devices: ("dummy" | "seq")[] = ["dummy"],
): Promise<Container> {
  const ct = await bootContainer();
  try {
    // Debian's nut-monitor.service would run NUT's upsmon on the same upsmon.conf
    await ct.run(["systemctl", "mask", "--now", "nut-monitor.service"]);
    await startContainerNut(ct, { devices }); // resolves once upsd serves every device
    await ct.writeFile("/etc/nut/upsmon.conf", upsmonConf(devices[0] ?? "dummy"), {
      mode: "0640",
      owner: "root:nut",
    });
    await ct.writeFile(
      "/usr/local/sbin/test-shutdown",
      '#!/bin/sh\necho "uid=$(id -u)" >> /root/shutdown.log\n',
      {
        mode: "0755",
      },
    );
    const out = await ct.run(["nutguard", "install-service", "--type", type]);
    expect(out).toContain("Ran systemctl daemon-reload");
    return ct;
  } catch (err) {
    await ct.destroy().catch(() => undefined);
    throw err;
  }
}

export async function mainPid(ct: Container): Promise<number> {
  return Number((await ct.show(UNIT, ["MainPID"])).MainPID);
}

/** PIDs of the unit's processes (from its cgroup), with user and command. */
export async function unitProcesses(ct: Container): Promise<{ pid: number; user: string; cmd: string }[]> {
  const cg = (await ct.show(UNIT, ["ControlGroup"])).ControlGroup;
  if (!cg) return [];
  const out = await ct.exec([
    "sh",
    "-c",
    `cat /sys/fs/cgroup/systemd${cg}/cgroup.procs /sys/fs/cgroup${cg}/cgroup.procs 2>/dev/null | sort -u`,
  ]);
  const pids = out.stdout.split("\n").filter(Boolean);
  const procs: { pid: number; user: string; cmd: string }[] = [];
  for (const p of pids) {
    const ps = await ct.exec(["ps", "-o", "user=,args=", "-p", p]);
    const line = ps.stdout.trim();
    if (!line) continue;
    const [user, ...cmd] = line.split(/\s+/);
    procs.push({ pid: Number(p), user: user ?? "", cmd: cmd.join(" ") });
  }
  return procs;
}

export async function waitActive(ct: Container, notPid?: number): Promise<number> {
  return waitFor(
    `${UNIT} active${notPid ? ` with a MainPID other than ${notPid}` : ""}`,
    async () => {
      const s = await ct.show(UNIT, ["ActiveState", "SubState", "MainPID"]);
      const pid = Number(s.MainPID);
      return s.ActiveState === "active" && s.SubState === "running" && pid > 0 && pid !== notPid
        ? pid
        : false;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

export async function pidFileContent(ct: Container): Promise<string> {
  const r = await ct.exec(["cat", PID_FILE]);
  return r.code === 0 ? r.stdout : "";
}

export function expectNoBadLines(journal: string): void {
  for (const re of BAD_LINES) expect(journal, `journal must not match ${re}`).not.toMatch(re);
}
