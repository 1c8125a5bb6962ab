/**
 * A Debian host running NUT as packaged, in a test container (Debian 11, 12 or 13): dummy-ups, upsd and
 * NUT's own upsmon (nut-monitor.service) as primary, with a marker SHUTDOWNCMD; and what the switch
 * scenarios look at: the three known journal messages, `nutguard doctor`'s finding ids, a power failure.
 */
import { expect } from "vitest";
import {
  bootContainer,
  type Container,
  type ContainerOptions,
  type Suite,
  waitFor,
} from "../helpers/container.js";
import { primaryWord, setUpsVar, startContainerNut } from "../helpers/container-nut.js";
import { upsmonConf as primaryUpsmonConf } from "./unit-scenarios.js";

export const NUT_UNIT = "nut-monitor.service";
export const DROP_IN = "/etc/systemd/system/nut-monitor.service.d/nutguard-repair.conf";
export const RECORD = "/var/lib/nutguard/takeover.json";

/** What each release's stock unit logs (service-integration.md §8, §11). */
export const RELEASES: Record<Suite, { nut: string; systemd: string; forking: boolean }> = {
  bullseye: { nut: "2.7.4", systemd: "247", forking: true },
  bookworm: { nut: "2.8.0", systemd: "252", forking: false },
  trixie: { nut: "2.8.1", systemd: "257", forking: false },
};

/** The three known messages (the errno text of "(yet?)" differs by systemd version; so does the race). */
export const KNOWN = {
  fopen: /(upsmon|nut-monitor)\[\d+\]: fopen \/run\/nut\/upsmon\.pid: No such file or directory/,
  yet: /nut-monitor\.service: (Can't open PID file \/run\/nut\/upsmon\.pid \(yet\?\) after start|Failed to parse PID from file \/run\/nut\/upsmon\.pid)/,
  child: /nut-monitor\.service: Supervising process \d+ which is not our child/,
};

export function expectNoKnownMessage(journal: string): void {
  for (const [name, re] of Object.entries(KNOWN)) expect(journal, `journal has '${name}'`).not.toMatch(re);
}

export function upsmonConf(ct: Container, system = "dummy@127.0.0.1"): string {
  return primaryUpsmonConf("dummy", [], primaryWord(ct), system);
}

/** Boots `suite` with Debian's NUT (dummy-ups, upsd, upsmon as primary) running on its stock units. */
export async function bootNutHost(suite: Suite, options: ContainerOptions = {}): Promise<Container> {
  const ct = await bootContainer({ ...options, suite });
  try {
    await startContainerNut(ct);
    await ct.writeFile("/etc/nut/upsmon.conf", upsmonConf(ct), { mode: "0640", owner: "root:nut" });
    await ct.writeFile(
      "/usr/local/sbin/test-shutdown",
      '#!/bin/sh\necho "uid=$(id -u)" >> /root/shutdown.log\n',
      { mode: "0755" },
    );
    await ct.run(["systemctl", "enable", NUT_UNIT]);
    await startStockMonitor(ct);
    await waitNutMonitor(ct);
    return ct;
  } catch (err) {
    await ct.destroy().catch(() => undefined);
    throw err;
  }
}

/**
 * Starts NUT's own monitor on its stock unit. This is set-up, not the code under test: one CI run saw
 * the first start on Debian 13 fail ("the control process exited with error code") and it did not
 * recur in 20 tries here. So a failed first start prints the unit's status and journal (the cause,
 * for the next reader), clears the failure and tries once more; a second failure throws with both.
 */
async function startStockMonitor(ct: Container): Promise<void> {
  const cursor = await ct.journalCursor();
  const first = await ct.exec(["systemctl", "restart", NUT_UNIT]);
  if (first.code === 0) return;
  const status = (await ct.exec(["systemctl", "status", "--no-pager", "-l", NUT_UNIT])).stdout;
  const journal = await ct.journalAfter(cursor, []);
  const report = `systemctl restart ${NUT_UNIT}: ${first.stderr.trim()}\n${status}\n${journal}`;
  console.warn(`NUT's stock monitor failed its first start on ${ct.suite}; trying once more.\n${report}`);
  await ct.run(["systemctl", "reset-failed", NUT_UNIT]);
  const second = await ct.exec(["systemctl", "restart", NUT_UNIT]);
  if (second.code !== 0)
    throw new Error(`${NUT_UNIT} failed to start twice: ${second.stderr.trim()}\n${report}`);
}

/** NUT's monitor is up: active, and its child has written the PID file. */
export async function waitNutMonitor(ct: Container): Promise<number> {
  return waitFor(
    "NUT's upsmon to run",
    async () => {
      const s = await ct.show(NUT_UNIT, ["ActiveState", "MainPID"]);
      const file = await ct.exec(["cat", "/run/nut/upsmon.pid"]);
      const child = Number(file.stdout.trim());
      if (s.ActiveState !== "active" || !(child > 1)) return false;
      const comm = await ct.exec(["cat", `/proc/${child}/comm`]);
      return comm.stdout.trim() === "upsmon" ? child : false;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

export async function doctor(ct: Container, ...args: string[]) {
  const r = await ct.exec(["nutguard", "doctor", ...args]);
  const ids = [...r.stdout.matchAll(/^(?:error|warning) \[([a-z-]+)\]/gm)].map((m) => m[1]);
  return { ...r, ids };
}

/**
 * Restarts NUT's monitor (and reloads it where "not our child" comes on reload) and returns the
 * unit's journal of that start; with Type=forking the "(yet?)" line depends on a race, so this
 * restarts up to four times until every message in `want` was logged by one start.
 */
export async function stockJournal(ct: Container, want: (keyof typeof KNOWN)[]): Promise<string> {
  let journal = "";
  for (let attempt = 0; attempt < 4; attempt++) {
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "restart", NUT_UNIT]);
    await waitNutMonitor(ct);
    if (!RELEASES[ct.suite].forking) await ct.run(["systemctl", "reload", NUT_UNIT]);
    await new Promise((r) => setTimeout(r, 1500)); // journald has the lines by now
    journal = await ct.journalAfter(cursor, ["-u", NUT_UNIT]);
    if (want.every((k) => KNOWN[k].test(journal))) break;
  }
  return journal;
}

/** OB, then OB LB on the dummy UPS; resolves once SHUTDOWNCMD ran and a second run had time to show. */
export async function powerFailure(ct: Container): Promise<string> {
  await setUpsVar(ct, "dummy", "ups.status", "OB");
  await new Promise((r) => setTimeout(r, 2500)); // a few polls on battery
  await setUpsVar(ct, "dummy", "ups.status", "OB LB");
  await waitFor(
    "SHUTDOWNCMD to run",
    async () => (await ct.exec(["test", "-s", "/root/shutdown.log"])).code === 0,
    {
      timeoutMs: 30_000,
      intervalMs: 200,
    },
  );
  await new Promise((r) => setTimeout(r, 3000)); // POLLFREQ 1: a second run would show up by now
  return ct.readFile("/root/shutdown.log");
}

/**
 * After a power failure: drivers and upsd restart (upsd forgets the latched FSD; dummy-ups reads its
 * .dev file again: OL). upsd is never restarted alone: NUT 2.8.0's dummy-ups aborts on its next write
 * to the old upsd's socket.
 */
export async function mainsBack(ct: Container): Promise<void> {
  await ct.run(["rm", "-f", "/root/shutdown.log", "/etc/killpower"]);
  await startContainerNut(ct);
  expect((await ct.run(["upsc", "dummy@127.0.0.1", "ups.status"])).trim()).toBe("OL");
}
