/**
 * A real upsmon 2.8.0 for tests, started from a NutStack: its own directory (etc/upsmon.conf, run/,
 * out/notify.log, out/shutdown.log, upsmon.log), NOTIFYCMD and SHUTDOWNCMD stand-ins that only append
 * to those logs, short timers by default.
 *
 * upsmon 2.8.0 always writes /run/nut/upsmon.pid and refuses to start while it names a live process,
 * so each instance runs in a private mount namespace (`unshare -m`) in which its run/ directory is
 * bind-mounted over /run/nut. The host's /run/nut is never written (only created, as a mount point).
 *
 * Must not: run SHUTDOWNCMD for real, or leave the instance running after stop().
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { chmod, chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  hasExited,
  livePids,
  nutUser,
  StopWaiting,
  stopForeignPid,
  stopTracked,
  track,
  waitUntil,
  writeOwned,
} from "./nut-process.js";
import type { NutCredentials, UpsmonInstance, UpsmonOptions } from "./nut-stack.js";

const LIBNUT = "/lib/nut";

export interface UpsmonStart {
  /** The instance's directory (created). */
  dir: string;
  /** The MONITOR system, e.g. `dummy@127.0.0.1:3493`. */
  system: string;
  cred: NutCredentials;
  options: UpsmonOptions;
  /** Called once the instance stopped. */
  onStop(): void;
}

/** Where the stand-ins write, and the POWERDOWNFLAG path. */
export interface StandInFiles {
  notifyLog: string;
  shutdownLog: string;
  powerDownFlag: string;
}

/**
 * The NOTIFYCMD and SHUTDOWNCMD stand-ins, `<dir>/notify-cmd` and `<dir>/shutdown-cmd`: they only
 * append to the logs, in the format UpsmonInstance documents (nutguard-monitor.ts's eventsOf() reads
 * it). Returns the upsmon.conf lines that use them, with short timers by default and POWERDOWNFLAG:
 * the real upsmon and nutguard's monitor under test get the same ones, so they compare line for line.
 */
export async function writeStandIns(
  dir: string,
  files: StandInFiles,
  timers: Pick<UpsmonOptions, "pollFreqSec" | "hostsyncSec" | "deadtimeSec" | "finalDelaySec">,
): Promise<string[]> {
  await writeFile(
    join(dir, "shutdown-cmd"),
    `#!/bin/sh\n# SHUTDOWNCMD stand-in: only logs\necho "$(date +%s.%N) SHUTDOWNCMD uid=$(id -u)" >> "${files.shutdownLog}"\n`,
    { mode: 0o755 },
  );
  await writeFile(
    join(dir, "notify-cmd"),
    `#!/bin/sh\n# NOTIFYCMD: the message is the last argument\neval "msg=\\\${$#}"\n` +
      `echo "$(date +%s.%N) uid=$(id -u) NOTIFYTYPE=$NOTIFYTYPE UPSNAME=$UPSNAME msg=$msg" >> "${files.notifyLog}"\n`,
    { mode: 0o755 },
  );
  return [
    `SHUTDOWNCMD "${join(dir, "shutdown-cmd")}"`,
    `NOTIFYCMD "${join(dir, "notify-cmd")}"`,
    `POLLFREQ ${timers.pollFreqSec ?? 1}`,
    `POLLFREQALERT ${timers.pollFreqSec ?? 1}`,
    `HOSTSYNC ${timers.hostsyncSec ?? 5}`,
    `DEADTIME ${timers.deadtimeSec ?? 15}`,
    `FINALDELAY ${timers.finalDelaySec ?? 0}`,
    `POWERDOWNFLAG ${files.powerDownFlag}`,
  ];
}

export async function startUpsmonInstance(a: UpsmonStart): Promise<UpsmonInstance> {
  const { dir: r, system, cred, options: mo } = a;
  const { gid } = nutUser();
  for (const sub of ["", "etc", "run", "out"]) await mkdir(join(r, sub), { recursive: true });
  const notifyLog = join(r, "out", "notify.log");
  const shutdownLog = join(r, "out", "shutdown.log");
  const conf = [
    "RUN_AS_USER nut",
    `MONITOR ${system} 1 ${cred.user} ${cred.pass} ${mo.role}`,
    "MINSUPPLIES 1",
    ...(await writeStandIns(r, { notifyLog, shutdownLog, powerDownFlag: join(r, "run", "killpower") }, mo)),
    // the notify types NUT 2.8.0 knows; newer ones are rejected by it
    ...[
      "ONLINE",
      "ONBATT",
      "LOWBATT",
      "FSD",
      "COMMOK",
      "COMMBAD",
      "SHUTDOWN",
      "REPLBATT",
      "NOCOMM",
      "NOPARENT",
    ].map((t) => `NOTIFYFLAG ${t} SYSLOG+EXEC`),
    ...(mo.extraConfig ?? []),
  ];
  await writeOwned(join(r, "etc", "upsmon.conf"), conf.join("\n") + "\n");
  for (const sub of ["", "etc"]) {
    await chown(join(r, sub), 0, gid);
    await chmod(join(r, sub), 0o750);
  }
  for (const sub of ["run", "out"]) {
    await chown(join(r, sub), 0, gid);
    await chmod(join(r, sub), 0o770);
  }
  if (!existsSync("/run/nut")) {
    await mkdir("/run/nut", { recursive: true, mode: 0o770 }); // mount point only; never written
    await chown("/run/nut", 0, gid);
  }
  const logPath = join(r, "upsmon.log");
  const fd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        'mount --bind "$1" /run/nut && export NUT_CONFPATH="$2" && shift 2 && exec "$@"',
        "sh",
        join(r, "run"),
        join(r, "etc"),
        ...(mo.wrapper?.argv ?? []),
        `${LIBNUT}/upsmon`,
        "-D",
        ...(mo.singleProcess ? ["-p"] : []),
      ],
      { env: process.env, stdio: ["ignore", fd, fd] },
    );
    child.on("error", () => {});
  } finally {
    closeSync(fd);
  }
  const t = track(mo.wrapper?.comm ?? "upsmon", child);
  const pidFile = join(r, "run", "upsmon.pid");
  try {
    await waitUntil(
      async () => {
        // a primary that shuts down at once may already have exited: the PID file says it started
        if (existsSync(pidFile) && (await readFile(pidFile, "utf8")).trim() !== "") return true;
        if (hasExited(t)) throw new StopWaiting("upsmon exited");
        return false;
      },
      10_000,
      "upsmon's PID file",
    );
  } catch (e) {
    await stopTracked(t);
    throw new Error(`upsmon did not start (${(e as Error).message}); log:\n${readFileSync(logPath, "utf8")}`);
  }
  const childPid = Number((await readFile(pidFile, "utf8")).trim());
  if (Number.isInteger(childPid) && childPid > 0) livePids.add(childPid);
  const inst: UpsmonInstance = {
    pid: child.pid!,
    dir: r,
    notifyLog,
    shutdownLog,
    log: logPath,
    stop: async () => {
      // SIGTERM the unprivileged child first (it handles signals); the root parent then exits too
      if (Number.isInteger(childPid) && childPid > 0) {
        await stopForeignPid(childPid, "upsmon");
        livePids.delete(childPid);
      }
      await stopTracked(t);
      a.onStop();
    },
  };
  return inst;
}
