// `nutguard monitor` as root without -p: a root supervisor and a monitor running as nut, against a
// real upsd + dummy-ups (test/helpers/nut-stack.ts), seen from outside as a user would.
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lookupUser } from "../../src/service/accounts.js";
import { listenNotify, type NotifyListener } from "../helpers/notify-listener.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { isAlive, killAll, readIfExists, type Started, start, waitUntil } from "../helpers/processes.js";

// the shipped entry (package.json "bin": the CommonJS bundle, which loads monitor/service from tsc output)
const MAIN = fileURLToPath(new URL("../../dist/cli/nutguard.cjs", import.meta.url));
const nut = lookupUser("nut");

let dir: string;
let stack: NutStack;
let notify: NotifyListener;
let extraPids: number[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-split-"));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "out"), { mode: 0o777 });
  chmodSync(join(dir, "out"), 0o777);
  stack = await startNutStack();
  notify = listenNotify(dir);
});
afterEach(async () => {
  killAll(extraPids);
  extraPids = [];
  notify.close();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(extra: string[] = []): string {
  const conf = join(dir, "upsmon.conf");
  writeFileSync(
    conf,
    [
      `MONITOR dummy@127.0.0.1:${stack.port} 1 ${stack.users.primary.user} ${stack.users.primary.pass} primary`,
      "POLLFREQ 1",
      "POLLFREQALERT 1",
      "HOSTSYNC 2",
      "FINALDELAY 0",
      "RUN_AS_USER nut",
      `SHUTDOWNCMD "echo uid=$(id -u) >> ${dir}/out/shutdown.log"`,
      `POWERDOWNFLAG ${dir}/killpower`,
      `NOTIFYCMD "${dir}/notify.sh"`,
      "NOTIFYFLAG ONBATT SYSLOG+EXEC",
      "NOTIFYFLAG LOWBATT SYSLOG+EXEC",
      ...extra,
    ].join("\n") + "\n",
  );
  chownSync(conf, 0, nut?.gid ?? 0);
  chmodSync(conf, 0o640);
  writeFileSync(
    join(dir, "notify.sh"),
    `#!/bin/sh\necho "uid=$(id -u) $NOTIFYTYPE" >> ${dir}/out/notify.log\n`,
    {
      mode: 0o755,
    },
  );
  return conf;
}

function startMonitor(conf: string, flags: string[] = ["-F"]): Started {
  return start(process.execPath, [MAIN, "monitor", ...flags, "-f", conf], {
    ...process.env,
    NUT_PIDPATH: join(dir, "run"),
    NOTIFY_SOCKET: notify.path,
  });
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)) {
    if (line) out.push(Number(line));
  }
  return out;
}
const uidOf = (pid: number) =>
  Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

describe.runIf(process.getuid?.() === 0 && nut !== undefined)(
  "split mode (root supervisor + monitor as nut)",
  () => {
    it("the PID file names the root supervisor; the monitor runs as nut; READY=1 after the first poll", async () => {
      const sup = startMonitor(writeConfig());
      await notify.waitFor("READY=1", 20_000);
      expect(readFileSync(join(dir, "run", "nutguard-monitor.pid"), "utf8")).toBe(`${sup.pid}\n`);
      expect(uidOf(sup.pid)).toBe(0);
      const [child] = childrenOf(sup.pid);
      expect(child).toBeDefined();
      extraPids.push(child as number);
      expect(uidOf(child as number)).toBe(nut?.uid);
      expect(readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0")[0]).toBe("nutguard-monitor-child");
      await waitUntil("a STATUS= summary showing the UPS on line", () =>
        notify.messages.some((m) => /^STATUS=.*dummy@127\.0\.0\.1:\d+: OL/.test(m)),
      );

      // -c stop through the PID file
      const stop = start(process.execPath, [MAIN, "monitor", "-c", "stop"], {
        ...process.env,
        NUT_PIDPATH: join(dir, "run"),
      });
      expect((await stop.exited).code).toBe(0);
      expect(await sup.exited).toEqual({ code: 0, signal: null });
      expect(readIfExists(join(dir, "run", "nutguard-monitor.pid"))).toBe("");
      await waitUntil("monitor gone", () => !isAlive(child as number));
    });

    it("OB LB: SHUTDOWNCMD runs as root exactly once, POWERDOWNFLAG is written, NOTIFYCMD ran as nut", async () => {
      const sup = startMonitor(writeConfig());
      await notify.waitFor("READY=1", 20_000);
      const dev = readFileSync(stack.devicePath("dummy"), "utf8");
      writeFileSync(stack.devicePath("dummy"), dev.replace(/^ups\.status: .*$/m, "ups.status: OB LB"));
      await waitUntil("SHUTDOWNCMD", () => readIfExists(join(dir, "out", "shutdown.log")) !== "", 30_000);
      expect(await sup.exited).toEqual({ code: 0, signal: null });
      expect(readFileSync(join(dir, "out", "shutdown.log"), "utf8")).toBe("uid=0\n");
      expect(readFileSync(join(dir, "killpower"), "utf8")).toBe("upsmon-shutdown-file");
      expect(readIfExists(join(dir, "out", "notify.log"))).toContain(`uid=${nut?.uid} `);
      expect(notify.messages.join("\n")).toContain("EXTEND_TIMEOUT_USEC=");
    });

    it("-B returns only once the daemon wrote its PID file and is ready; the daemon outlives the starter", async () => {
      const starter = startMonitor(writeConfig(), ["-B"]);
      expect((await starter.exited).code).toBe(0);
      const pid = Number(readFileSync(join(dir, "run", "nutguard-monitor.pid"), "utf8"));
      extraPids.push(pid);
      expect(pid).not.toBe(starter.pid);
      expect(isAlive(pid)).toBe(true);
      // READY=1 was sent before the starter exited, but this process may read the datagram a moment later.
      await notify.waitFor("READY=1", 5_000);
      process.kill(pid, "SIGTERM");
      await waitUntil("daemon exit", () => !isAlive(pid));
      expect(readIfExists(join(dir, "run", "nutguard-monitor.pid"))).toBe("");
    });

    it("-B exits 1 when the daemon cannot start (a live instance holds the PID file)", async () => {
      const first = startMonitor(writeConfig());
      await notify.waitFor("READY=1", 20_000);
      const second = startMonitor(join(dir, "upsmon.conf"), ["-B"]);
      expect((await second.exited).code).toBe(1);
      expect(second.output()).toContain("A previous nutguard monitor instance is already running");
      expect(readFileSync(join(dir, "run", "nutguard-monitor.pid"), "utf8")).toBe(`${first.pid}\n`);
    });

    it("-p: one process holds the PID file about itself, notifies READY=1, and removes the file on SIGTERM", async () => {
      const mon = startMonitor(writeConfig(), ["-F", "-p"]);
      await notify.waitFor("READY=1", 20_000);
      expect(readFileSync(join(dir, "run", "nutguard-monitor.pid"), "utf8")).toBe(`${mon.pid}\n`);
      expect(childrenOf(mon.pid)).toEqual([]);
      mon.child.kill("SIGTERM");
      expect(await mon.exited).toEqual({ code: 0, signal: null });
      expect(readIfExists(join(dir, "run", "nutguard-monitor.pid"))).toBe("");
      await notify.waitFor("STOPPING=1");
    });

    it("warns once about a missing SHUTDOWNCMD and NOTIFYCMD, in split mode as with -p", async () => {
      const conf = writeConfig();
      writeFileSync(conf, readFileSync(conf, "utf8").replace(/^(SHUTDOWNCMD|NOTIFYCMD) .*\n/gm, ""));
      for (const flags of [["-F"], ["-F", "-p"]]) {
        const from = notify.messages.length;
        const mon = startMonitor(conf, flags);
        await notify.waitFor("READY=1", 20_000, from);
        mon.child.kill("SIGTERM");
        expect(await mon.exited).toEqual({ code: 0, signal: null });
        expect(mon.output().match(/^.*Warning: no .*$/gm)).toEqual([
          "<4>Warning: no shutdown command defined!",
          "<4>Warning: no custom notification command defined, just so you know",
        ]);
      }
    });

    it("as a non-root user: one process (said once), and a missing runtime directory stops it with what is needed", async () => {
      // runs as user nut: from a copy of the bundle (self-contained) in the test's directory, which nut
      // can read, so a checkout nut cannot enter (a clone in a 0700 mktemp -d) does not matter
      const bundle = join(dir, "nutguard.cjs");
      copyFileSync(MAIN, bundle);
      chmodSync(bundle, 0o644);
      const conf = writeConfig();
      const missing = join(dir, "no-such-run-dir");
      const mon = start(
        process.execPath,
        [bundle, "monitor", "-F", "-f", conf],
        { ...process.env, NUT_PIDPATH: missing, NOTIFY_SOCKET: "" },
        { uid: nut?.uid as number, gid: nut?.gid as number },
      );
      expect((await mon.exited).code).toBe(1);
      expect(mon.output()).toContain("Not running as root: running as one process (as with -p)");
      expect(mon.output()).toContain(
        `Runtime directory ${missing} does not exist and only root can create it: create it (owner root, group nut, mode 0770)`,
      );
    });
  },
);
