/**
 * The switch from NUT's upsmon with nutguard installed from its .deb, per Debian release, on a host
 * with no Node.js: `apt install`, the postinst next to NUT's running monitor, `nutguard takeover` onto
 * the packaged unit, a power failure on the package's own runtime, an upgrade to a newer build with
 * the service kept running, `apt purge` during a takeover giving NUT's monitor back (the prerm runs
 * `takeover --undo`) and leaving nothing of the package.
 */
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NUTGUARD_VERSION } from "../../src/util/version.js";
import { type Container, type Suite, waitFor } from "../helpers/container.js";
import { expectUpscLikeNut } from "../helpers/container-nut.js";
import { testDeb } from "../helpers/deb-package.js";
import {
  bootNutHost,
  expectNoKnownMessage,
  mainsBack,
  NUT_UNIT,
  powerFailure,
  RELEASES,
} from "./nut-host.js";
import { pidFileContent, UNIT, unitProcesses, waitActive } from "./unit-scenarios.js";

const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" };
/** A later build of the same sources, for the upgrade (dpkg orders 1.2.3 < 1.2.3+1). */
const NEWER = `${NUTGUARD_VERSION}+1`;

export function describeDebSwitch(suite: Suite): void {
  const rel = RELEASES[suite];
  describe(`the .deb on Debian ${{ bullseye: 11, bookworm: 12, trixie: 13 }[suite]} (NUT ${rel.nut}), no Node.js`, () => {
    let ct: Container;
    let deb: string;
    let newer: string;
    const inside = (path: string) => `/opt/deb/${path.split("/").pop()}`;

    beforeAll(async () => {
      deb = await testDeb("amd64");
      newer = await testDeb("amd64", NEWER);
      expect(dirname(newer)).toBe(dirname(deb));
      ct = await bootNutHost(suite, { withNutguard: false, bindReadOnly: [`${dirname(deb)}:/opt/deb`] });
    }, 900_000);
    afterAll(async () => {
      await ct?.destroy();
    });

    it("apt install works with no Node on the host; NUT's monitor keeps running, nutguard's is left off", async () => {
      expect((await ct.exec(["sh", "-c", "command -v node nodejs"])).code).not.toBe(0);
      const r = await ct.exec(["apt-get", "install", "-y", "-q", inside(deb)], {
        env: APT_ENV,
        timeoutMs: 180_000,
      });
      expect(r.code).toBe(0);
      expect(`${r.stdout}${r.stderr}`).toContain("run 'nutguard takeover'"); // the postinst's advice
      expect(await ct.run(["nutguard", "--version"])).toBe(`nutguard ${NUTGUARD_VERSION}\n`);
      await expectUpscLikeNut(ct, "dummy@127.0.0.1");
      expect((await ct.show(NUT_UNIT, ["ActiveState"])).ActiveState).toBe("active");
      expect(await ct.show(UNIT, ["ActiveState", "UnitFileState"])).toEqual({
        ActiveState: "inactive",
        UnitFileState: "disabled",
      });
    });

    it("takeover runs the packaged unit (nothing written to /etc/systemd) on the package's runtime", async () => {
      const cursor = await ct.journalCursor();
      const r = await ct.exec(["nutguard", "takeover"], { timeoutMs: 120_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain("Installed nutguard-monitor.service");
      expect(r.stdout).toContain("Masked nut-monitor.service");
      expect((await ct.exec(["test", "-e", "/etc/systemd/system/nutguard-monitor.service"])).code).toBe(1);
      const pid = await waitActive(ct);
      expect(await pidFileContent(ct)).toBe(`${pid}\n`);
      const procs = await unitProcesses(ct);
      expect(procs.find((p) => p.pid === pid)?.user).toBe("root");
      expect(procs.filter((p) => p.pid !== pid).map((p) => p.user)).toEqual(["nut"]);
      expect(await ct.run(["readlink", `/proc/${pid}/exe`])).toBe("/usr/lib/nutguard/bin/node\n");
      expectNoKnownMessage(await ct.journalAfter(cursor, ["-u", UNIT]));
      const d = await ct.exec(["nutguard", "doctor"]);
      expect([d.code, d.stdout]).toEqual([0, expect.stringContaining("no problems found")]);
    });

    it("an upgrade to a newer build keeps the service running (one restart, no failure)", async () => {
      const before = await waitActive(ct);
      const r = await ct.exec(["apt-get", "install", "-y", "-q", inside(newer)], {
        env: APT_ENV,
        timeoutMs: 180_000,
      });
      expect(r.code).toBe(0);
      const after = await waitActive(ct, before);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      expect(await ct.run(["dpkg-query", "-W", "-f=${Version}", "nutguard"])).toBe(NEWER);
      expect(await ct.show(UNIT, ["NRestarts", "Result", "UnitFileState"])).toEqual({
        NRestarts: "0",
        Result: "success",
        UnitFileState: "enabled",
      });
      expect(await pidFileContent(ct)).toBe(`${after}\n`);
      expect((await ct.show(NUT_UNIT, ["UnitFileState"])).UnitFileState).toBe("masked");
    });

    it("power failure on the packaged runtime: SHUTDOWNCMD once as root, NUT's upsmon -K accepts the flag", async () => {
      await waitFor("the monitor to be logged in", async () =>
        /^dummy@127\.0\.0\.1: OL$/.test((await ct.show(UNIT, ["StatusText"])).StatusText ?? ""),
      );
      expect(await powerFailure(ct)).toBe("uid=0\n");
      const k = await ct.exec(["upsmon", "-K"]);
      expect([k.code, `${k.stdout}${k.stderr}`]).toEqual([
        0,
        expect.stringContaining("Power down flag is set"),
      ]);
      await mainsBack(ct);
    });

    it("apt purge while the takeover is in force: NUT's monitor is given back (unmasked, running), nothing of the package is left", async () => {
      const files = (await ct.run(["dpkg", "-L", "nutguard"])).split("\n").filter((f) => f.startsWith("/"));
      expect((await ct.show(NUT_UNIT, ["UnitFileState"])).UnitFileState).toBe("masked");
      const p = await ct.exec(["apt-get", "purge", "-y", "-q", "nutguard"], {
        env: APT_ENV,
        timeoutMs: 180_000,
      });
      expect(p.code).toBe(0);
      // package files that are gone (directories shared with other packages, like /usr/lib, stay)
      const left = await ct.run([
        "sh",
        "-c",
        'for f in "$@"; do [ -e "$f" ] && [ ! -d "$f" ] && echo "$f"; done; true',
        "sh",
        ...files,
      ]);
      expect(left).toBe("");
      const more = await ct.exec([
        "sh",
        "-c",
        "ls -d /usr/lib/nutguard /run/nutguard /var/lib/nutguard /etc/systemd/system/*.wants/nutguard-monitor.service 2>/dev/null",
      ]);
      expect(more.stdout).toBe("");
      expect((await ct.show(UNIT, ["LoadState"])).LoadState).toBe("not-found");
      expect(await ct.run(["sh", "-c", "ps -eo args | grep -c '[n]utguard' || true"])).toBe("0\n");
      expect(await ct.show(NUT_UNIT, ["ActiveState", "UnitFileState"])).toEqual({
        ActiveState: "active",
        UnitFileState: "enabled",
      });
    });
  });
}
