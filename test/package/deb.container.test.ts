/**
 * The .deb (scripts/package.mjs): its contents and control fields, lintian, and an install into a
 * Debian 12 container that has NO Node.js (the harness binds neither the checkout nor the host's node):
 * the CLI runs on the package's own runtime, the monitor unit is not failed without a UPS, starts once
 * upsmon.conf names one (sd_notify READY through the packaged addon), survives a reinstall over itself
 * with one restart, and `apt-get purge` leaves nothing of the package behind.
 */
import { execFile, execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NUTGUARD_VERSION } from "../../src/util/version.js";
import { bootContainer, type Container, waitFor } from "../helpers/container.js";
import { CONTAINER_NUT_USERS, expectUpscLikeNut, startContainerNut } from "../helpers/container-nut.js";
import { testDeb } from "../helpers/deb-package.js";

/** lintian warnings the package keeps, each with its reason in README ("Install", lintian). */
const ACCEPTED_LINTIAN_WARNINGS = ["hardening-no-pie", "old-fsf-address-in-copyright-file"];
const UNIT = "nutguard-monitor.service";
const EXPORTER = "nutguard-exporter.service";

let deb: string;
let ct: Container | undefined;

beforeAll(async () => {
  deb = await testDeb("amd64");
}, 600_000);

afterAll(async () => {
  await ct?.destroy();
});

describe("the .deb's contents", () => {
  it("holds the runtime, CLI, unit, tmpfiles/sysusers, man pages and docs, all root-owned", () => {
    const listing = execFileSync("dpkg-deb", ["-c", deb], { encoding: "utf8" }).trim().split("\n");
    const files = listing.map((l) => l.replace(/^.* \.\//, "/").replace(/ -> .*$/, ""));
    for (const path of [
      "/usr/bin/nutguard",
      "/usr/lib/nutguard/bin/node",
      "/usr/lib/nutguard/dist/cli/nutguard.cjs",
      "/usr/lib/nutguard/node_modules/unix-dgram/build/Release/unix_dgram.node",
      "/usr/lib/systemd/system/nutguard-monitor.service",
      "/usr/lib/systemd/system/nutguard-exporter.service",
      "/usr/share/man/man1/nutguard-exporter.1.gz",
      "/usr/lib/tmpfiles.d/nutguard.conf",
      "/usr/lib/sysusers.d/nutguard.conf",
      "/usr/share/man/man1/nutguard.1.gz",
      "/usr/share/man/man1/nutguard-upsc.1.gz",
      "/usr/share/man/man1/nutguard-monitor.1.gz",
      "/usr/share/man/man1/nutguard-doctor.1.gz",
      "/usr/share/doc/nutguard/copyright",
      "/usr/share/doc/nutguard/changelog.gz",
      "/usr/share/doc/nutguard/examples/upsmon.conf",
    ]) {
      expect(files).toContain(path);
    }
    // nothing of NUT's own (coexists with nut-client/nut-server): no upsc, upsmon, /etc/nut
    expect(files.filter((f) => /\/(upsc|upsmon|upsd)$|^\/etc\/nut|^\/lib\/nut/.test(f))).toEqual([]);
    expect(listing.filter((l) => !/ root\/root /.test(l))).toEqual([]);
    expect(listing.find((l) => l.endsWith("./usr/bin/nutguard"))).toMatch(/^-rwxr-xr-x/);
  });

  it("declares its architecture and version, and depends on neither Node.js nor NUT", () => {
    const control = execFileSync("dpkg-deb", ["-f", deb], { encoding: "utf8" });
    expect(control).toMatch(/^Package: nutguard$/m);
    expect(control).toMatch(new RegExp(`^Version: ${NUTGUARD_VERSION.replaceAll(".", "\\.")}$`, "m"));
    expect(control).toMatch(/^Architecture: amd64$/m);
    const depends = /^Depends: (.*)$/m.exec(control)?.[1] ?? "";
    expect(depends).toMatch(/libc6/);
    expect(depends).not.toMatch(/node|nut/);
    const scripts = execFileSync("dpkg-deb", ["-I", deb], { encoding: "utf8" });
    for (const s of ["postinst", "prerm", "postrm", "md5sums"]) expect(scripts).toContain(s);
  });

  it("passes lintian with no errors and only the warnings the README lists", async () => {
    // asynchronous: lintian takes minutes, and a blocked worker misses vitest's RPC deadline
    const l = await new Promise<{ out: string; error?: Error }>((resolve) => {
      execFile(
        "lintian",
        ["--tag-display-limit", "0", deb],
        { encoding: "utf8", timeout: 900_000, maxBuffer: 1 << 26 },
        (error, stdout, stderr) =>
          resolve({
            out: `${stdout}${stderr}`,
            error: error && typeof error.code !== "number" ? error : undefined,
          }),
      );
    });
    if (l.error)
      throw new Error(`lintian did not run (${l.error.message}): sh scripts/ensure-package-tools.sh`);
    const lines = l.out.split("\n");
    expect(lines.filter((x) => x.startsWith("E:"))).toEqual([]);
    const warnings = lines.filter((x) => x.startsWith("W:")).map((x) => x.split(" ")[2]);
    expect([...new Set(warnings)].sort()).toEqual(ACCEPTED_LINTIAN_WARNINGS);
  }, 900_000);
});

describe("installed in Debian 12 without Node.js", () => {
  beforeAll(async () => {
    ct = await bootContainer({ withNutguard: false, bindReadOnly: [`${dirname(deb)}:/opt/deb`] });
  });

  const debInside = () => `/opt/deb/${deb.split("/").pop()}`;
  const mainPid = async () => (await ct!.show(UNIT, ["MainPID"])).MainPID;

  it("installs with apt (no Node on the host) and leaves nothing failed while no UPS is configured", async () => {
    expect((await ct!.exec(["sh", "-c", "command -v node nodejs"])).code).not.toBe(0);
    await ct!.run(["apt-get", "install", "-y", "-q", debInside()], {
      env: { DEBIAN_FRONTEND: "noninteractive" },
      timeoutMs: 120_000,
    });
    expect(await ct!.run(["nutguard", "--version"])).toBe(`nutguard ${NUTGUARD_VERSION}\n`);
    // sysusers/tmpfiles ran: the nut account (shared with NUT) and /run/nutguard root:nut 0770
    expect(await ct!.run(["stat", "-c", "%U:%G %a", "/run/nutguard"])).toBe("root:nut 770\n");
    const failed = await ct!.run(["systemctl", "list-units", "--failed", "--plain", "--no-legend"]);
    expect(failed).not.toContain("nutguard");
    expect((await ct!.show(UNIT, ["ActiveState"])).ActiveState).toBe("inactive");
    // the exporter is shipped, not enabled
    expect(await ct!.show(EXPORTER, ["LoadState", "UnitFileState", "ActiveState"])).toMatchObject({
      LoadState: "loaded",
      UnitFileState: "disabled",
      ActiveState: "inactive",
    });
  });

  it("runs nutguard upsc on the package's runtime with the same output as NUT's upsc", async () => {
    await startContainerNut(ct!);
    const ours = await expectUpscLikeNut(ct!, "dummy@127.0.0.1");
    expect(ours).toMatch(/^ups\.status: OL$/m);
    // every subcommand runs on the package's runtime: the process is the packaged node with the CLI bundle
    // (the demo runs for seconds: its command line is read once the launcher has exec'd)
    const cmdline = await ct!.run([
      "sh",
      "-c",
      "nutguard demo >/dev/null 2>&1 & p=$!; for i in $(seq 100); do c=$(tr '\\0' ' ' < /proc/$p/cmdline); " +
        'case $c in /usr/lib/*) break ;; esac; sleep 0.1; done; kill $p; echo "$c"',
    ]);
    expect(cmdline).toMatch(
      /^\/usr\/lib\/nutguard\/bin\/node \/usr\/lib\/nutguard\/dist\/cli\/nutguard\.cjs demo/,
    );
  });

  it("starts the monitor once upsmon.conf names a UPS; a reinstall restarts it once", async () => {
    const { user, password } = CONTAINER_NUT_USERS.primary;
    await ct!.writeFile(
      "/etc/nut/upsmon.conf",
      `MONITOR dummy@127.0.0.1 1 ${user} ${password} primary\nSHUTDOWNCMD "/bin/true"\nRUN_AS_USER nut\n`,
      { mode: "0640", owner: "root:nut" },
    );
    // the postinst left the unit disabled when NUT's monitor was enabled; either way start it now
    await ct!.run(["systemctl", "enable", "--now", UNIT]);
    expect((await ct!.show(UNIT, ["ActiveState", "Type"])).ActiveState).toBe("active");
    const before = await mainPid();
    expect(await ct!.run(["cat", "/run/nutguard/nutguard-monitor.pid"])).toBe(`${before}\n`);
    // the unit starts the packaged Node --jitless: neither the supervisor nor its monitor child has
    // memory V8 compiled code into (an anonymous executable mapping), and V8 warned of nothing
    const children = (await ct!.run(["ps", "-o", "pid=", "--ppid", String(before)])).trim().split(/\s+/);
    expect(children).toHaveLength(1);
    for (const pid of [before, ...children]) {
      const maps = (await ct!.run(["cat", `/proc/${pid}/maps`])).split("\n");
      const jitCode = maps.filter((l) => {
        const f = l.trim().split(/\s+/);
        return f.length === 5 && f[1]?.[2] === "x";
      });
      expect([pid, jitCode]).toEqual([pid, []]);
    }
    expect(await ct!.run(["journalctl", "-b", "-u", UNIT, "-o", "cat"])).not.toMatch(/disabling flag/);
    // the packaged unit, runtime dir and tmpfiles entry are what doctor expects of nutguard's service
    const doctor = await ct!.exec(["nutguard", "doctor", "--target", "nutguard"]);
    expect({ code: doctor.code, out: doctor.stdout }).toMatchObject({ code: 0 });
    await ct!.run(["dpkg", "-i", debInside()], { timeoutMs: 120_000 });
    await waitFor(
      "the monitor to be active again",
      async () => (await ct!.show(UNIT, ["ActiveState"])).ActiveState === "active",
    );
    const after = await mainPid();
    expect(after).not.toBe(before);
    expect((await ct!.show(UNIT, ["NRestarts"])).NRestarts).toBe("0");
  });

  it("the packaged exporter unit serves /metrics for the UPSes nutguard.conf names, as a dynamic user", async () => {
    await ct!.writeFile("/etc/nut/nutguard.conf", "[exporter]\n  target = *@127.0.0.1\n  interval = 1\n", {
      mode: "0640",
      owner: "root:nut",
    });
    await ct!.run(["systemctl", "enable", "--now", EXPORTER]);
    const fetchMetrics =
      'fetch("http://127.0.0.1:9399/metrics").then(r=>r.text()).then(t=>console.log(t),()=>console.log(""))';
    let metrics = "";
    await waitFor("the exporter to report the UPS", async () => {
      metrics = await ct!.run(["/usr/lib/nutguard/bin/node", "-e", fetchMetrics]);
      return /^nut_ups_up\{ups="dummy@127\.0\.0\.1:3493"\} 1$/m.test(metrics);
    });
    expect(metrics).toMatch(/^nut_ups_status\{ups="dummy@127\.0\.0\.1:3493",status="OL"\} 1$/m);
    const pid = (await ct!.show(EXPORTER, ["MainPID"])).MainPID;
    expect(await ct!.run(["ps", "-o", "user=", "-p", String(pid)])).not.toMatch(/^root/);
  });

  it("apt-get purge removes the package's files, unit, runtime directory and processes; keeps /etc/nut", async () => {
    await ct!.run(["apt-get", "purge", "-y", "-q", "nutguard"], {
      env: { DEBIAN_FRONTEND: "noninteractive" },
      timeoutMs: 120_000,
    });
    const left = await ct!.exec([
      "sh",
      "-c",
      "ls -d /usr/lib/nutguard /usr/bin/nutguard /run/nutguard /usr/lib/systemd/system/nutguard-monitor.service /etc/systemd/system/multi-user.target.wants/nutguard-monitor.service /usr/lib/systemd/system/nutguard-exporter.service /etc/systemd/system/multi-user.target.wants/nutguard-exporter.service /var/lib/nutguard-exporter /var/lib/private/nutguard-exporter 2>/dev/null",
    ]);
    expect(left.stdout).toBe("");
    expect(await ct!.run(["sh", "-c", "ps -eo args | grep -c '[n]utguard' || true"])).toBe("0\n");
    expect((await ct!.show(UNIT, ["LoadState"])).LoadState).toBe("not-found");
    expect((await ct!.show(EXPORTER, ["LoadState"])).LoadState).toBe("not-found");
    expect(await ct!.run(["cat", "/etc/nut/upsmon.conf"])).toContain("MONITOR dummy@127.0.0.1");
  });
});
