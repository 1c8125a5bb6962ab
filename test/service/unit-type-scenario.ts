/**
 * The scenario every unit type must pass under a real systemd: start, MainPID = PID file, a clean
 * journal, reload with a changed config, stop, kill -9 of the main process, kill -9 of the monitor.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JITLESS_MIN_NODE, nodeMajorOf } from "../../src/service/install.js";
import { type Container, waitFor } from "../helpers/container.js";
import {
  bootWithNutguard,
  expectNoBadLines,
  mainPid,
  PID_FILE,
  pidFileContent,
  UNIT,
  unitProcesses,
  upsmonConf,
  waitActive,
} from "./unit-scenarios.js";

export function describeUnitType(type: "notify" | "forking" | "simple"): void {
  /**
   * The main PID once the daemon is up. With notify and forking, systemd reports "active" only once
   * the daemon is ready, so the PID file must already be there. Type=simple is "active" as soon as
   * the process runs: wait for the PID file (a reload signal sent before the daemon has set up its
   * handlers would kill it - a limit of Type=simple, see the unit file).
   */
  const started = async (ct: Container, notPid?: number): Promise<number> => {
    const pid = await waitActive(ct, notPid);
    if (type === "simple") {
      await waitFor(
        "the PID file to name the main PID",
        async () => (await pidFileContent(ct)) === `${pid}\n`,
      );
    }
    expect(await pidFileContent(ct)).toBe(`${pid}\n`);
    return pid;
  };

  describe(`${UNIT} as Type=${type} under systemd 252`, () => {
    let ct: Container;
    beforeAll(async () => {
      ct = await bootWithNutguard(type, ["dummy", "seq"]);
    });
    afterAll(async () => {
      await ct?.destroy();
    });

    it("starts: active, MainPID is the PID file's root supervisor, the monitor runs as nut, clean journal", async () => {
      const cursor = await ct.journalCursor();
      await ct.run(["systemctl", "start", UNIT]);
      const pid = await started(ct);
      // (Type=simple: "active" comes before the monitor process has started and dropped to nut)
      const procs = await waitFor("the monitor process, as nut", async () => {
        const ps = await unitProcesses(ct);
        return ps.some((p) => p.user === "nut") ? ps : false;
      });
      expect(procs.find((p) => p.pid === pid)?.user).toBe("root");
      expect(procs.filter((p) => p.pid !== pid).map((p) => [p.user, p.cmd])).toEqual([
        ["nut", "nutguard-monitor-child"],
      ]);
      // the unit's V8 flags for the Node that runs it (the host's, bound in) reach the monitor process
      // (where the HTTP surface runs, and on Node 20 the poll path is compiled with one compile thread)
      const child = procs.find((p) => p.user === "nut")!;
      expect((await ct.run(["cat", `/proc/${child.pid}/environ`])).split("\0")).toContain(
        nodeMajorOf(process.version) >= JITLESS_MIN_NODE
          ? "NODE_OPTIONS=--max-semi-space-size=1 --jitless"
          : "NODE_OPTIONS=--max-semi-space-size=1 --v8-pool-size=1",
      );
      expect((await ct.run(["stat", "-c", "%U:%G %a", "/run/nutguard"])).trim()).toBe("root:nut 770");
      expect((await ct.run(["stat", "-c", "%U", PID_FILE])).trim()).toBe("root");
      if (type === "notify") {
        await waitFor("StatusText naming the UPS", async () =>
          /dummy@127\.0\.0\.1/.test((await ct.show(UNIT, ["StatusText"])).StatusText ?? ""),
        );
      }
      const doctor = await ct.exec(["nutguard", "doctor", "--target", "nutguard"]);
      expect([doctor.code, doctor.stdout]).toEqual([0, expect.stringContaining("no problems found")]);
      const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
      expect(journal).toMatch(/Started nutguard-monitor\.service/);
      expect(journal).toMatch(/nutguard-monitor\[\d+\]: UPS: dummy@127\.0\.0\.1 \(primary\)/);
      expectNoBadLines(journal);
    });

    it("reload: the monitor uses the changed config, the main PID stays", async () => {
      const before = await mainPid(ct);
      await ct.writeFile("/etc/nut/upsmon.conf", upsmonConf("seq"), { mode: "0640", owner: "root:nut" });
      const cursor = await ct.journalCursor();
      await ct.run(["systemctl", "reload", UNIT]);
      await waitFor(
        "the monitor to log in to seq",
        async () => {
          const clients = await ct.exec(["upsc", "-c", "seq@127.0.0.1"]);
          return clients.stdout.includes("127.0.0.1");
        },
        { timeoutMs: 20_000 },
      );
      expect(await mainPid(ct)).toBe(before);
      const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
      expect(journal).toMatch(/Reloaded nutguard-monitor\.service/);
      expect(journal).toMatch(/Reloading configuration/);
      expectNoBadLines(journal);
      await ct.writeFile("/etc/nut/upsmon.conf", upsmonConf("dummy"), { mode: "0640", owner: "root:nut" });
      await ct.run(["systemctl", "reload", UNIT]);
    });

    it("stop: no process left, PID file gone, clean exit", async () => {
      const cursor = await ct.journalCursor();
      await ct.run(["systemctl", "stop", UNIT]);
      const s = await ct.show(UNIT, ["ActiveState", "Result", "MainPID"]);
      expect(s).toMatchObject({ ActiveState: "inactive", Result: "success", MainPID: "0" });
      expect(await unitProcesses(ct)).toEqual([]);
      expect((await ct.exec(["pgrep", "-f", "nutguard-monitor"])).stdout).toBe("");
      expect(await pidFileContent(ct)).toBe("");
      const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
      expect(journal).toMatch(/Deactivated successfully/);
      expectNoBadLines(journal);
    });

    it("kill -9 of the main process: systemd restarts it and it starts over the stale PID file", async () => {
      await ct.run(["systemctl", "reset-failed", UNIT]).catch(() => undefined);
      await ct.run(["systemctl", "start", UNIT]);
      const first = await started(ct);
      const restartsBefore = Number((await ct.show(UNIT, ["NRestarts"])).NRestarts);
      const cursor = await ct.journalCursor();
      await ct.run(["kill", "-9", String(first)]);
      await started(ct, first);
      expect(Number((await ct.show(UNIT, ["NRestarts"])).NRestarts)).toBe(restartsBefore + 1);
      const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
      expect(journal).toMatch(/Main process exited, code=killed, status=9\/KILL/);
      expect(journal).not.toMatch(/already running/);
      // systemd removes a PIDFile= itself when the main process dies (forking); otherwise the daemon finds it
      if (type !== "forking")
        expect(journal).toMatch(
          /Replacing stale PID file \/run\/nutguard\/nutguard-monitor\.pid: PID \d+ is not running/,
        );
      expectNoBadLines(journal);
    });

    it("kill -9 of the monitor: the supervisor exits non-zero and systemd restarts the service", async () => {
      const supervisor = await started(ct);
      const monitor = await waitFor("the monitor process, as nut", async () =>
        (await unitProcesses(ct)).find((p) => p.user === "nut"),
      );
      expect(monitor).toBeDefined();
      const restartsBefore = Number((await ct.show(UNIT, ["NRestarts"])).NRestarts);
      const cursor = await ct.journalCursor();
      await ct.run(["kill", "-9", String(monitor?.pid)]);
      await started(ct, supervisor);
      expect(Number((await ct.show(UNIT, ["NRestarts"])).NRestarts)).toBe(restartsBefore + 1);
      const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
      expect(journal).toMatch(/killed by signal SIGKILL unexpectedly/);
      // the <N> prefixes reach journald as levels: the error is at "err", the start-up lines are not
      const errors = await ct.journalAfter(cursor, ["-u", UNIT, "-p", "err", "-t", "nutguard-monitor"]);
      expect(errors).toMatch(/killed by signal SIGKILL unexpectedly/);
      expect(errors).not.toMatch(/UPS: dummy@127\.0\.0\.1 \(primary\)/);
      expect(errors).not.toMatch(/<\d>/);
      expect(journal).toMatch(/Main process exited, code=exited, status=1\/FAILURE/);
      expectNoBadLines(journal);
      await ct.run(["systemctl", "stop", UNIT]);
    });
  });
}
