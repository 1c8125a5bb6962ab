/**
 * The switch from NUT's upsmon, per Debian release under a real systemd (one *.container.test.ts file
 * per release, so releases run in parallel): NUT's stock nut-monitor.service and what `nutguard
 * doctor` says about it; `nutguard takeover` (process model, journal, reload, kill -9, a power failure
 * and NUT's `upsmon -K`), `takeover --undo`; and in a fresh container the other way, `nutguard doctor
 * --fix --units` (NUT's own monitor, repaired by a drop-in) and `--undo-units`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Container, type Suite, waitFor } from "../helpers/container.js";
import {
  bootNutHost,
  DROP_IN,
  doctor,
  expectNoKnownMessage,
  KNOWN,
  mainsBack,
  NUT_UNIT,
  powerFailure,
  RECORD,
  RELEASES,
  stockJournal,
  upsmonConf,
  waitNutMonitor,
} from "./nut-host.js";
import { pidFileContent, UNIT, unitProcesses, waitActive } from "./unit-scenarios.js";

export function describeNutSwitch(suite: Suite): void {
  const rel = RELEASES[suite];
  const where = `Debian ${{ bullseye: 11, bookworm: 12, trixie: 13 }[suite]} (NUT ${rel.nut}, systemd ${rel.systemd})`;

  describe(`nutguard takeover on ${where}`, () => {
    let ct: Container;
    beforeAll(async () => {
      ct = await bootNutHost(suite);
    });
    afterAll(async () => {
      await ct?.destroy();
    });

    it("stock nut-monitor.service logs the release's known messages, and doctor names them", async () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      const versions = await ct.run(["dpkg-query", "-W", "-f=${Version}\\n", "nut-client"]);
      expect(versions.startsWith(rel.nut)).toBe(true);
      const want: (keyof typeof KNOWN)[] = rel.forking ? ["fopen", "yet", "child"] : ["fopen", "child"];
      const journal = await stockJournal(ct, want);
      for (const k of want) expect(journal, `stock journal has '${k}'`).toMatch(KNOWN[k]);
      if (!rel.forking) expect(journal).not.toMatch(KNOWN.yet);
      const r = await doctor(ct);
      expect(r.code).toBe(1);
      expect(r.ids).toEqual(
        expect.arrayContaining([
          "mainpid-not-our-child",
          "journal-upsmon-fopen",
          "journal-not-our-child",
          ...(rel.forking ? ["journal-pidfile-yet"] : []),
        ]),
      );
      if (!rel.forking) expect(r.ids).not.toContain("journal-pidfile-yet");
      expect(r.stdout).toMatch(/Supervising process \d+ which is not our child/);
      expect(r.stdout).toContain("nutguard takeover");
    });

    it("takeover: nutguard's monitor runs on the same config, NUT's is stopped and masked, upsd stays", async () => {
      const cursor = await ct.journalCursor();
      const r = await ct.exec(["nutguard", "takeover"], { timeoutMs: 120_000 });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Recorded NUT's monitor as it was (enabled, running) in ${RECORD}`);
      expect(r.stdout).toMatch(/nutguard-monitor\.service is ready: dummy@127\.0\.0\.1: OL/);
      expect(r.stdout).toContain("Masked nut-monitor.service");
      expect(await ct.show(NUT_UNIT, ["ActiveState", "UnitFileState"])).toEqual({
        ActiveState: "inactive",
        UnitFileState: "masked",
      });
      expect((await ct.show("nut-server.service", ["ActiveState"])).ActiveState).toBe("active");
      const pid = await waitActive(ct);
      expect(await pidFileContent(ct)).toBe(`${pid}\n`);
      expect((await ct.show(UNIT, ["UnitFileState"])).UnitFileState).toBe("enabled");
      const procs = await unitProcesses(ct);
      expect(procs.find((p) => p.pid === pid)?.user).toBe("root");
      expect(procs.filter((p) => p.pid !== pid).map((p) => [p.user, p.cmd])).toEqual([
        ["nut", "nutguard-monitor-child"],
      ]);
      expect((await ct.exec(["pgrep", "-x", "upsmon"])).stdout).toBe("");
      const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
      expect(journal).toMatch(/UPS: dummy@127\.0\.0\.1 \(primary\)/);
      expectNoKnownMessage(journal);
      expect(journal).not.toMatch(/fopen|Can't open PID file|Failed to parse PID/);
      const d = await doctor(ct);
      expect([d.code, d.ids]).toEqual([0, []]);
      expect(d.stdout).toContain("nutguard doctor: no problems found");
    });

    it("takeover again changes nothing and says so", async () => {
      const pid = await waitActive(ct);
      const r = await ct.exec(["nutguard", "takeover"], { timeoutMs: 120_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("finishing it");
      expect(r.stdout).toContain("already taken over");
      expect(r.stdout).not.toMatch(/^(Started|Stopped|Masked|Disabled|Enabled)/m);
      expect(await waitActive(ct)).toBe(pid);
    });

    it("systemctl reload applies a changed upsmon.conf; kill -9 of either process is recovered", async () => {
      const pid = await waitActive(ct);
      await ct.writeFile("/etc/nut/upsmon.conf", upsmonConf(ct, "dummy@localhost"), {
        mode: "0640",
        owner: "root:nut",
      });
      const cursor = await ct.journalCursor();
      await ct.run(["systemctl", "reload", UNIT]);
      await waitFor("the status to name dummy@localhost", async () =>
        /^dummy@localhost: OL$/.test((await ct.show(UNIT, ["StatusText"])).StatusText ?? ""),
      );
      expect(await waitActive(ct)).toBe(pid);
      await ct.writeFile("/etc/nut/upsmon.conf", upsmonConf(ct), { mode: "0640", owner: "root:nut" });
      await ct.run(["systemctl", "reload", UNIT]);

      const restarts = () => ct.show(UNIT, ["NRestarts"]).then((s) => Number(s.NRestarts));
      const before = await restarts();
      await ct.run(["kill", "-9", String(pid)]);
      const second = await waitActive(ct, pid);
      expect(await restarts()).toBe(before + 1);
      expect(await pidFileContent(ct)).toBe(`${second}\n`);
      const child = await waitFor("the monitor process, as nut", async () =>
        (await unitProcesses(ct)).find((p) => p.user === "nut"),
      );
      await ct.run(["kill", "-9", String(child.pid)]);
      const third = await waitActive(ct, second);
      expect(await restarts()).toBe(before + 2);
      expect(await pidFileContent(ct)).toBe(`${third}\n`);
      const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
      expect(journal).toMatch(/Reloaded (nutguard-monitor\.service|nutguard UPS monitor)/); // 247: the description
      expectNoKnownMessage(journal);
    });

    it("power failure: SHUTDOWNCMD once as root, POWERDOWNFLAG written, and NUT's upsmon -K accepts it", async () => {
      await waitFor("the monitor to be logged in again", async () =>
        /^dummy@127\.0\.0\.1: OL$/.test((await ct.show(UNIT, ["StatusText"])).StatusText ?? ""),
      );
      expect(await powerFailure(ct)).toBe("uid=0\n");
      expect(await ct.readFile("/etc/killpower")).toBe("upsmon-shutdown-file");
      // NUT's own late-shutdown check (its system-shutdown hook runs exactly this)
      const k = await ct.exec(["upsmon", "-K"]);
      expect(`${k.stdout}${k.stderr}`).toContain("Power down flag is set");
      expect(k.code).toBe(0);
      await waitFor("the monitor to end after SHUTDOWNCMD", async () =>
        (await ct.show(UNIT, ["ActiveState"])).ActiveState === "inactive" ? true : undefined,
      );
      // and the hook itself, as systemd-shutdown would run it: it goes on to tell the UPS to power off
      const hook = await ct.exec(["sh", "-x", "/lib/systemd/system-shutdown/nutshutdown"], {
        timeoutMs: 60_000,
      });
      expect(hook.stderr).toMatch(/^\+ \/(usr\/)?s?bin\/upsdrvctl shutdown$/m);
      await mainsBack(ct);
    });

    it("takeover --undo: NUT's monitor runs again as before; a second --undo has nothing to do", async () => {
      const r = await ct.exec(["nutguard", "takeover", "--undo"], { timeoutMs: 120_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Unmasked nut-monitor.service");
      expect(r.stdout).toContain("Started nut-monitor.service");
      expect(await ct.show(NUT_UNIT, ["ActiveState", "UnitFileState"])).toEqual({
        ActiveState: "active",
        UnitFileState: "enabled",
      });
      await waitNutMonitor(ct);
      expect(await ct.show(UNIT, ["ActiveState", "UnitFileState"])).toEqual({
        ActiveState: "inactive",
        UnitFileState: "disabled",
      });
      expect((await ct.exec(["test", "-e", "/var/lib/nutguard"])).code).toBe(1); // record and directory gone
      const again = await ct.exec(["nutguard", "takeover", "--undo"]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("nothing to undo");
    });
  });

  describe(`keep NUT, repaired: nutguard doctor --fix --units on ${where}`, () => {
    let ct: Container;
    beforeAll(async () => {
      ct = await bootNutHost(suite);
    });
    afterAll(async () => {
      await ct?.destroy();
    });

    it("--fix --units: a drop-in for this release; NUT's monitor restarts with none of the three messages", async () => {
      const cursor = await ct.journalCursor();
      const r = await doctor(ct, "--fix", "--units");
      expect(r.stdout).toContain(
        `fixed [nut-unit]: wrote ${DROP_IN} for NUT ${rel.nut.startsWith("2.7") ? "2.7" : rel.nut === "2.8.0" ? "2.8.0" : "2.8.1+"} units:`,
      );
      expect(r.stdout).toContain("fixed [nut-unit]: restarted nut-monitor.service");
      expect(
        await ct
          .readFile("/usr/lib/systemd/system/nut-monitor.service")
          .catch(() => ct.readFile("/lib/systemd/system/nut-monitor.service")),
      ).not.toContain("nutguard");
      const child = await waitNutMonitor(ct);
      const s = await ct.show(NUT_UNIT, ["MainPID", "PIDFile"]);
      expect(s.PIDFile ?? "").toBe("");
      const main = Number(s.MainPID);
      expect(main).not.toBe(child);
      expect(
        (await ct.run(["ps", "-o", "user=,ppid=,comm=", "-p", String(main)])).trim().split(/\s+/),
      ).toEqual(["root", "1", "upsmon"]);
      await ct.run(["systemctl", "reload", NUT_UNIT]);
      await ct.run(["systemctl", "restart", NUT_UNIT]);
      await waitNutMonitor(ct);
      await ct.run(["systemctl", "reload", NUT_UNIT]);
      await new Promise((r) => setTimeout(r, 1000));
      expect(Number((await ct.show(NUT_UNIT, ["MainPID"])).MainPID)).not.toBe(
        Number((await ct.readFile("/run/nut/upsmon.pid")).trim()),
      );
      // from the restart on: systemd 247 still warns about the old activation's MainPID at daemon-reload
      const all = await ct.journalAfter(cursor, ["-u", NUT_UNIT]);
      const journal = all.slice(all.indexOf("Starting "));
      expect(journal).toMatch(/Starting /);
      expectNoKnownMessage(journal);
      expect(journal).toMatch(/Reloading configuration/);
      const d = await doctor(ct);
      expect(d.ids.filter((id) => /^(journal-|mainpid|pidfile)/.test(id ?? ""))).toEqual([]);
    });

    it("a power failure still runs NUT's SHUTDOWNCMD once, as root, with its POWERDOWNFLAG", async () => {
      expect(await powerFailure(ct)).toBe("uid=0\n");
      expect(await ct.readFile("/etc/killpower")).toBe("upsmon-shutdown-file");
      await mainsBack(ct);
    });

    it("--undo-units removes the drop-in: the stock unit and its messages are back", async () => {
      const r = await doctor(ct, "--undo-units");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`removed ${DROP_IN}`);
      expect((await ct.exec(["test", "-e", DROP_IN])).code).toBe(1);
      expect((await ct.show(NUT_UNIT, ["PIDFile"])).PIDFile).toBe("/run/nut/upsmon.pid");
      const want: (keyof typeof KNOWN)[] = rel.forking ? ["fopen", "yet", "child"] : ["fopen", "child"];
      const journal = await stockJournal(ct, want);
      for (const k of want) expect(journal, `stock journal has '${k}' again`).toMatch(KNOWN[k]);
      const again = await doctor(ct, "--undo-units");
      expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("nothing to undo")]);
    });
  });
}
