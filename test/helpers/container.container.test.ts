// The container harness itself: what the service and doctor tests rely on.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootContainer, type Container, ROOTFS_DIR, sweepStaleContainers } from "./container.js";
import { setUpsVar, startContainerNut } from "./container-nut.js";

describe("container harness", () => {
  let ct: Container;
  let dir: string;
  let machine: string;

  beforeAll(async () => {
    ct = await bootContainer();
    dir = ct.dir;
    machine = ct.machine;
  });
  afterAll(async () => {
    await ct?.destroy();
  });

  it("boots a real systemd as PID 1, with only a loopback interface", async () => {
    expect((await ct.exec(["systemctl", "is-system-running"])).stdout.trim()).toMatch(/^(running|degraded)$/);
    expect((await ct.run(["cat", "/proc/1/comm"])).trim()).toBe("systemd");
    expect((await ct.run(["ls", "/sys/class/net"])).split(/\s+/).filter(Boolean)).toEqual(["lo"]);
  });

  it("runs the built checkout with the host's node as /usr/local/bin/nutguard", async () => {
    expect((await ct.run(["node", "--version"])).trim()).toBe(process.version);
    expect((await ct.run(["nutguard", "--version"])).trim()).toBe("nutguard 0.1.0");
    const addon = await ct.run([
      "node",
      "-e",
      "require('/opt/nutguard/node_modules/unix-dgram'); console.log('ok')",
    ]);
    expect(addon.trim()).toBe("ok");
  });

  it("serves dummy-ups through Debian's upsd on 127.0.0.1:3493 inside", async () => {
    await startContainerNut(ct);
    expect((await ct.run(["upsc", "dummy@127.0.0.1", "ups.status"])).trim()).toBe("OL");
    await setUpsVar(ct, "dummy", "ups.status", "OB LB");
    expect((await ct.run(["upsc", "dummy@127.0.0.1", "ups.status"])).trim()).toBe("OB LB");
  });

  it("writes files with owner and mode, and never into the cached rootfs", async () => {
    await ct.writeFile("/etc/nutguard-harness-test", "x\n", { mode: "0640", owner: "root:nut" });
    expect((await ct.run(["stat", "-c", "%a %U:%G", "/etc/nutguard-harness-test"])).trim()).toBe(
      "640 root:nut",
    );
    expect(existsSync(join(ROOTFS_DIR, "etc/nutguard-harness-test"))).toBe(false);
  });

  it("reads the journal after a cursor while running and after a clean stop", async () => {
    const cursor = await ct.journalCursor();
    await ct.run(["systemd-cat", "-t", "harness-test"], { input: "marker one\n" });
    await ct.run(["systemd-cat", "-t", "harness-test"], { input: "marker two\n" });
    await ct.run(["journalctl", "--sync"]);
    const logged = await ct.journalAfter(cursor, ["-t", "harness-test"]);
    expect(logged).toContain("marker one");
    expect(logged).toContain("marker two");
    await ct.stop();
    expect(ct.isRunning).toBe(false);
    const after = await ct.journal(["-t", "harness-test"]);
    expect(after).toContain("marker one");
    expect(await ct.journal(["-b", "0", "-u", "systemd-journald"])).toMatch(
      /Journal stopped|Received SIGTERM/,
    );
  });

  it("boots again after a stop: /etc kept, /run empty, as after a reboot", async () => {
    await ct.boot();
    await ct.writeFile("/run/harness-marker", "x\n");
    await ct.stop();
    await ct.boot();
    expect(ct.isRunning).toBe(true);
    expect((await ct.exec(["test", "-e", "/etc/nutguard-harness-test"])).code).toBe(0);
    expect((await ct.exec(["test", "-e", "/run/harness-marker"])).code).toBe(1);
    expect((await ct.journal(["--list-boots", "-q"])).trim().split("\n")).toHaveLength(3);
  });

  it("leaves no mount, directory, cgroup or process behind once destroyed", async () => {
    await ct.destroy();
    expect(existsSync(dir)).toBe(false);
    const mounts = readFileSync("/proc/self/mounts", "utf8");
    expect(mounts).not.toContain(dir);
    expect(existsSync(`/sys/fs/cgroup/systemd/nspawn-${machine}`)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/unified/nspawn-${machine}`)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/nspawn-${machine}`)).toBe(false);
    expect(existsSync(`/run/nutguard-test-containers/${machine}.json`)).toBe(false);
  });
});

describe("container on a copy of the rootfs (where overlayfs cannot be mounted)", () => {
  it("boots and cleans up the same way", async () => {
    const ct = await bootContainer({ withNutguard: false, copyRootfs: true });
    try {
      expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain(ct.root);
      expect((await ct.run(["cat", "/proc/1/comm"])).trim()).toBe("systemd");
    } finally {
      await ct.destroy();
    }
    expect(existsSync(ct.dir)).toBe(false);
  });
});

describe("a container that cannot boot", () => {
  it("rejects with nspawn's complaint and leaves nothing behind", async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("nutguard-ngt-"));
    const failed = bootContainer({ withNutguard: false, bindReadOnly: ["/nonexistent-nutguard-test:/x"] });
    await expect(failed).rejects.toThrow(/did not boot[\s\S]*nonexistent-nutguard-test/);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("nutguard-ngt-"))).toEqual(before);
    expect(readFileSync("/proc/self/mounts", "utf8")).not.toMatch(new RegExp(`nutguard-ngt-${process.pid}-`));
  });
});

describe("stale container sweep", () => {
  it("cleans up a running container whose test worker died", async () => {
    const ct = await bootContainer({ withNutguard: false });
    try {
      const deadPid = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
      const regFile = `/run/nutguard-test-containers/${ct.machine}.json`;
      const reg = JSON.parse(readFileSync(regFile, "utf8")) as { ownerPid: number; nspawnPid: number };
      writeFileSync(regFile, JSON.stringify({ ...reg, ownerPid: Number(deadPid) }));
      expect(await sweepStaleContainers()).toEqual([ct.machine]);
      expect(existsSync(ct.dir)).toBe(false);
      expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain(ct.dir);
      expect(
        existsSync(`/proc/${reg.nspawnPid}/comm`) && readFileSync(`/proc/${reg.nspawnPid}/comm`, "utf8"),
      ).not.toBe("systemd-nspawn\n");
    } finally {
      await ct.destroy().catch(() => undefined);
    }
  });
});
