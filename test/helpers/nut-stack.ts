/**
 * A private real NUT stack for tests: Debian's `dummy-ups` drivers and `upsd` (and, on request, real
 * `upsmon` instances) on 127.0.0.1 at a free port, every file in a fresh temporary directory.
 *
 * Theory of operation:
 * - Configs go to `<dir>/etc` (root:nut 0640), driver sockets and upsd.pid to `<dir>/run` (0770), daemon
 *   stderr to `<dir>/log/<name>.log`. Daemons get NUT_CONFPATH/NUT_STATEPATH/NUT_ALTPIDPATH and run in the
 *   foreground (`-F`), so this process owns their PIDs. They drop privileges to user `nut`.
 * - The real binaries in /lib/nut are used, never the /sbin wrappers (they exit while nut.conf says
 *   MODE=none).
 * - upsmon 2.8.0 always writes /run/nut/upsmon.pid, so each upsmon runs in a private mount namespace
 *   (`unshare -m`) in which its own run directory is bind-mounted over /run/nut.
 * - `stop()` stops everything it started, by PID, after checking /proc/PID/comm, then removes the
 *   directory. A process `exit` hook SIGKILLs whatever a crashed test left behind.
 *
 * Must not: touch /etc/nut or the host's /run/nut contents, kill processes it did not start, or listen
 * on anything but 127.0.0.1.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quoteValue } from "../../src/protocol/encoder.js";

const LIBNUT = "/lib/nut";
const HOST = "127.0.0.1" as const;

export interface NutDeviceSpec {
  /** Contents of `<ups>.dev` (static values; re-read when the file's mtime changes). */
  dev?: string;
  /** Contents of `<ups>.seq` (a looping sequence with TIMER lines). Takes precedence over `dev`. */
  seq?: string;
  /** `desc` in ups.conf. */
  desc?: string;
  /** dummy-ups `mode`; by default dummy-ups picks it from the file's extension. */
  mode?: "dummy-once" | "dummy-loop";
  /**
   * "none": only the ups.conf entry; no driver is started, the test serves upsd's driver socket
   * itself at `driverSocketPath(ups)` (see fake-driver.ts). Default "dummy-ups".
   */
  driver?: "dummy-ups" | "none";
}

export interface NutStackOptions {
  /** Devices to serve, by UPS name (replaces DEFAULT_DEVICES; spread it to extend). */
  devices?: Record<string, NutDeviceSpec>;
  /** Extra upsd.conf lines (e.g. "MAXAGE 5", "CERTFILE ..."); they come after the defaults. */
  upsdConf?: string[];
  /** Text appended to upsd.users. */
  extraUsers?: string;
}

export interface NutCredentials {
  user: string;
  pass: string;
}

export interface UpsmonOptions {
  role: "primary" | "secondary";
  /** The MONITOR system; default `<first ups>@127.0.0.1:<port>`. */
  system?: string;
  pollFreqSec?: number;
  hostsyncSec?: number;
  finalDelaySec?: number;
  deadtimeSec?: number;
  /** Extra upsmon.conf lines. */
  extraConfig?: string[];
}

export interface UpsmonInstance {
  /** PID of upsmon's root parent process (the one this helper started). */
  pid: number;
  /** The instance's directory: etc/upsmon.conf, run/ (upsmon.pid, killpower), out/, upsmon.log. */
  dir: string;
  /** NOTIFYCMD output: one line per event, `<epoch> uid=<n> NOTIFYTYPE=<t> UPSNAME=<u> msg=<text>`. */
  notifyLog: string;
  /** SHUTDOWNCMD output: one line per run, `<epoch> SHUTDOWNCMD uid=<n>`. */
  shutdownLog: string;
  /** upsmon's own stdout/stderr (-D). */
  log: string;
  stop(): Promise<void>;
}

export interface NutStack {
  host: typeof HOST;
  port: number;
  /** Holds etc/, run/, log/ and upsmon-N/ directories. */
  dir: string;
  users: { admin: NutCredentials; primary: NutCredentials; secondary: NutCredentials };
  /** The UPS names served, in ups.conf order. */
  upsNames: string[];
  /** The .dev/.seq file of a UPS, to rewrite mid-test. */
  devicePath(ups: string): string;
  /** The Unix socket upsd connects to for this UPS's driver. */
  driverSocketPath(ups: string): string;
  stopDriver(ups: string): Promise<void>;
  /** Starts the driver and, when upsd runs, waits until upsd serves the UPS again. */
  startDriver(ups: string): Promise<void>;
  /** SIGSTOP the driver (upsd answers DATA-STALE after MAXAGE). */
  pauseDriver(ups: string): Promise<void>;
  resumeDriver(ups: string): Promise<void>;
  stopUpsd(): Promise<void>;
  /** Starts upsd and waits until it serves every running driver. */
  startUpsd(): Promise<void>;
  /** Stop + start (clears the latched FSD flag). */
  restartUpsd(): Promise<void>;
  /** Poll `check` every 100 ms until it returns true; reject after `timeoutMs` (default 15 s). */
  waitFor(check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  startUpsmon(o: UpsmonOptions): Promise<UpsmonInstance>;
  /** One request line over a fresh connection; resolves to the first reply line (no LF). */
  query(line: string): Promise<string>;
  /** Everything this stack started, by PID; then removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_USERS = {
  admin: { user: "admin", pass: "adminpass" },
  primary: { user: "monprimary", pass: "primarypass" },
  secondary: { user: "monsecondary", pass: "secondarypass" },
} as const;

export const DEFAULT_DEVICES: Record<string, NutDeviceSpec> = {
  dummy: {
    desc: "dummy-ups in dummy-once mode",
    dev: `device.mfr: Dummy Manufacturer
device.model: Dummy UPS 1500
device.serial: DUMMY0001
device.type: ups
ups.mfr: Dummy Manufacturer
ups.model: Dummy UPS 1500
ups.status: OL
ups.load: 25
ups.delay.shutdown: 20
ups.delay.start: 30
battery.charge: 100
battery.charge.low: 20
battery.runtime: 3600
input.voltage: 230.0
input.transfer.high: 264
input.transfer.low: 184
output.voltage: 230.0
`,
  },
  seq: {
    desc: "dummy-ups sequence OL -> OB -> OB LB",
    seq: `ups.mfr: Dummy Manufacturer
ups.model: Dummy Sequence UPS
ups.status: OL
battery.charge: 100
battery.runtime: 3600
TIMER 5
ups.status: OB DISCHRG
battery.charge: 60
battery.runtime: 1200
TIMER 5
ups.status: OB LB DISCHRG
battery.charge: 10
battery.runtime: 120
TIMER 20
`,
  },
  quirky: {
    desc: 'values with "quotes", \\ and spaces',
    dev: `ups.status: OL
ups.mfr: Quirky Power
device.description: "Rack \\"A\\"  slot \\#3 \\\\ left"
device.contact: back\\\\slash
ups.id: multi   word    value
battery.charge: 87
`,
  },
};

// ------------------------------------------------------------------------------------------------
// Process bookkeeping

interface Tracked {
  name: string; // expected /proc/PID/comm
  child: ChildProcess;
  exited: Promise<void>;
}

/** Every process started by any stack in this worker, for the last-resort exit hook. */
const livePids = new Set<number>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function procComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

function isAlive(pid: number, name: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z") return false;
  } catch {
    return false;
  }
  return procComm(pid) === name;
}

function track(name: string, child: ChildProcess): Tracked {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  livePids.add(pid);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
  }).then(() => {
    livePids.delete(pid);
  });
  return { name, child, exited };
}

function hasExited(t: Tracked): boolean {
  return t.child.exitCode !== null || t.child.signalCode !== null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM (then SIGKILL after 5 s) a process we started, only while it still is what we started. */
async function stopTracked(t: Tracked): Promise<void> {
  const pid = t.child.pid!;
  if (hasExited(t)) return t.exited;
  // identity check: the comm may still be a launcher (unshare/sh) just after spawn
  const comm = procComm(pid);
  if (comm !== undefined && comm !== t.name && !["unshare", "sh"].includes(comm)) {
    throw new Error(`refusing to signal PID ${pid}: it is ${comm}, not ${t.name}`);
  }
  t.child.kill("SIGCONT");
  t.child.kill("SIGTERM");
  const killed = await Promise.race([t.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!killed) {
    t.child.kill("SIGKILL");
    await t.exited;
  }
}

/** Signal a PID we did not spawn ourselves (upsmon's child), after an identity check; wait for it to go. */
async function stopForeignPid(pid: number, name: string): Promise<void> {
  if (!isAlive(pid, name)) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && isAlive(pid, name); i++) await sleep(100);
  if (isAlive(pid, name)) process.kill(pid, "SIGKILL");
}

// ------------------------------------------------------------------------------------------------
// Small network helpers (no dependency on src/client, so the harness tests the client independently)

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Send one line on a fresh connection and resolve to the first reply line (without LF). */
export function queryOnce(port: number, line: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port });
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply to ${line} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding("latin1");
    sock.on("connect", () => sock.write(line + "\n"));
    sock.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end("LOGOUT\n");
        sock.destroy();
        resolve(buf.slice(0, nl));
      }
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      if (!buf.includes("\n")) reject(new Error(`connection closed without a reply to ${line}`));
    });
  });
}

/** Thrown by a waitUntil check to stop waiting at once (e.g. the process being waited for exited). */
class StopWaiting extends Error {}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      if (e instanceof StopWaiting) throw e;
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

// ------------------------------------------------------------------------------------------------
// The stack

let nutIds: { uid: number; gid: number } | undefined;
function nutUser(): { uid: number; gid: number } {
  if (!nutIds) {
    const uid = Number(execFileSync("id", ["-u", "nut"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "nut"], { encoding: "utf8" }).trim());
    nutIds = { uid, gid };
  }
  return nutIds;
}

async function writeOwned(path: string, text: string, mode = 0o640): Promise<void> {
  await writeFile(path, text);
  await chown(path, 0, nutUser().gid);
  await chmod(path, mode);
}

export async function startNutStack(o: NutStackOptions = {}): Promise<NutStack> {
  for (const bin of ["upsd", "dummy-ups", "upsmon"]) {
    if (!existsSync(join(LIBNUT, bin)))
      throw new Error(`${LIBNUT}/${bin} missing: run scripts/ensure-nut.sh`);
  }
  installExitHook();
  const devices = o.devices ?? DEFAULT_DEVICES;
  const upsNames = Object.keys(devices);
  if (upsNames.length === 0) throw new Error("startNutStack: no devices");

  const dir = await mkdtemp(join(tmpdir(), "nutguard-stack-"));
  liveDirs.add(dir);
  await chmod(dir, 0o755);
  const etc = join(dir, "etc");
  const run = join(dir, "run");
  const log = join(dir, "log");
  await mkdir(etc);
  await mkdir(run);
  await mkdir(log);
  const { gid } = nutUser();
  await chown(etc, 0, gid);
  await chmod(etc, 0o750);
  await chown(run, 0, gid);
  await chmod(run, 0o770);

  const env = { ...process.env, NUT_CONFPATH: etc, NUT_STATEPATH: run, NUT_ALTPIDPATH: run };
  const devicePath = (ups: string): string => {
    const spec = devices[ups];
    if (!spec) throw new Error(`no such UPS in this stack: ${ups}`);
    return join(etc, spec.seq !== undefined ? `${ups}.seq` : `${ups}.dev`);
  };

  let upsConf = "maxretry = 3\n";
  for (const ups of upsNames) {
    const spec = devices[ups]!;
    await writeOwned(devicePath(ups), spec.seq ?? spec.dev ?? "ups.status: OL\n");
    upsConf += `[${ups}]\n\tdriver = dummy-ups\n\tport = ${quoteValue(devicePath(ups))}\n`;
    if (spec.desc !== undefined) upsConf += `\tdesc = ${quoteValue(spec.desc)}\n`;
    if (spec.mode !== undefined) upsConf += `\tmode = ${spec.mode}\n`;
  }
  await writeOwned(join(etc, "ups.conf"), upsConf);
  const u = DEFAULT_USERS;
  await writeOwned(
    join(etc, "upsd.users"),
    `[${u.admin.user}]\n\tpassword = ${u.admin.pass}\n\tactions = SET FSD\n\tinstcmds = ALL\n` +
      `[${u.primary.user}]\n\tpassword = ${u.primary.pass}\n\tupsmon primary\n` +
      `[${u.secondary.user}]\n\tpassword = ${u.secondary.pass}\n\tupsmon secondary\n` +
      (o.extraUsers ? `${o.extraUsers}\n` : ""),
  );
  await writeOwned(join(etc, "nut.conf"), "MODE=standalone\n");

  let port = 0;
  const drivers = new Map<string, Tracked>();
  let upsd: Tracked | undefined;
  const upsmons = new Set<UpsmonInstance>();
  let upsmonCount = 0;
  let stopped = false;

  const spawnLogged = (name: string, bin: string, args: string[], logName: string): Tracked => {
    const fd = openSync(join(log, `${logName}.log`), "a");
    try {
      const child = spawn(bin, args, { env, stdio: ["ignore", fd, fd] });
      child.on("error", () => {}); // reported through exit / readiness
      return track(name, child);
    } finally {
      closeSync(fd);
    }
  };

  const logTail = (name: string): string => {
    try {
      return readFileSync(join(log, `${name}.log`), "utf8")
        .split("\n")
        .slice(-8)
        .join("\n");
    } catch {
      return "";
    }
  };

  const query = (line: string) => queryOnce(port, line);

  /** upsd answers a real status for `ups` (not WAIT, not an error). */
  const serves = async (ups: string): Promise<boolean> => {
    const reply = await query(`GET VAR ${ups} ups.status`);
    return reply.startsWith("VAR ") && !reply.endsWith('"WAIT"');
  };

  const startDriver = async (ups: string): Promise<void> => {
    devicePath(ups); // validates the name
    const running = drivers.get(ups);
    if (running && !hasExited(running)) return;
    rmSync(join(run, `dummy-ups-${ups}`), { force: true });
    rmSync(join(run, `dummy-ups-${ups}.pid`), { force: true });
    const t = spawnLogged("dummy-ups", join(LIBNUT, "dummy-ups"), ["-a", ups, "-F"], `dummy-ups-${ups}`);
    drivers.set(ups, t);
    await waitUntil(
      async () => {
        if (hasExited(t)) throw new StopWaiting("exited");
        return existsSync(join(run, `dummy-ups-${ups}`));
      },
      10_000,
      `driver [${ups}] socket`,
    ).catch((e) => {
      throw new Error(
        `driver for [${ups}] did not start (${e.message}); log:\n${logTail(`dummy-ups-${ups}`)}`,
      );
    });
    if (upsd && !hasExited(upsd)) await waitUntil(() => serves(ups), 20_000, `upsd to serve [${ups}]`);
  };

  const stopDriver = async (ups: string): Promise<void> => {
    const t = drivers.get(ups);
    if (t) await stopTracked(t);
  };

  const signalDriver = (ups: string, sig: NodeJS.Signals): void => {
    const t = drivers.get(ups);
    if (!t || hasExited(t) || !isAlive(t.child.pid!, "dummy-ups"))
      throw new Error(`driver for [${ups}] is not running`);
    t.child.kill(sig);
  };

  const writeUpsdConf = async (): Promise<void> => {
    const lines = [`LISTEN ${HOST} ${port}`, "MAXAGE 15", ...(o.upsdConf ?? [])];
    await writeOwned(join(etc, "upsd.conf"), lines.join("\n") + "\n");
  };

  const startUpsd = async (): Promise<void> => {
    if (upsd && !hasExited(upsd)) return;
    // a free port can be taken between probing and binding (parallel test files): retry on a new one
    for (let attempt = 1; ; attempt++) {
      if (port === 0 || attempt > 1) {
        port = await freePort();
        await writeUpsdConf();
      }
      rmSync(join(run, "upsd.pid"), { force: true });
      const t = spawnLogged("upsd", join(LIBNUT, "upsd"), ["-FF"], "upsd");
      upsd = t;
      try {
        await waitUntil(
          async () => {
            if (hasExited(t)) throw new StopWaiting("upsd exited");
            return (await query("VER")).startsWith("Network UPS Tools");
          },
          10_000,
          "upsd to listen",
        );
        break;
      } catch (e) {
        await stopTracked(t);
        if (attempt >= 3)
          throw new Error(`upsd did not start (${(e as Error).message}); log:\n${logTail("upsd")}`);
      }
    }
    for (const [ups, t] of drivers) {
      if (!hasExited(t)) await waitUntil(() => serves(ups), 20_000, `upsd to serve [${ups}]`);
    }
  };

  const stopUpsd = async (): Promise<void> => {
    if (upsd) await stopTracked(upsd);
  };

  const startUpsmon = async (mo: UpsmonOptions): Promise<UpsmonInstance> => {
    const n = ++upsmonCount;
    const r = join(dir, `upsmon-${n}-${mo.role}`);
    for (const sub of ["", "etc", "run", "out"]) await mkdir(join(r, sub), { recursive: true });
    const cred = mo.role === "primary" ? u.primary : u.secondary;
    const system = mo.system ?? `${upsNames[0]}@${HOST}:${port}`;
    const notifyLog = join(r, "out", "notify.log");
    const shutdownLog = join(r, "out", "shutdown.log");
    await writeFile(
      join(r, "shutdown-cmd"),
      `#!/bin/sh\n# SHUTDOWNCMD stand-in: only logs\necho "$(date +%s.%N) SHUTDOWNCMD uid=$(id -u)" >> "${shutdownLog}"\n`,
      { mode: 0o755 },
    );
    await writeFile(
      join(r, "notify-cmd"),
      `#!/bin/sh\n# NOTIFYCMD: the message is the last argument\neval "msg=\\\${$#}"\n` +
        `echo "$(date +%s.%N) uid=$(id -u) NOTIFYTYPE=$NOTIFYTYPE UPSNAME=$UPSNAME msg=$msg" >> "${notifyLog}"\n`,
      { mode: 0o755 },
    );
    const conf = [
      "RUN_AS_USER nut",
      `MONITOR ${system} 1 ${cred.user} ${cred.pass} ${mo.role}`,
      "MINSUPPLIES 1",
      `SHUTDOWNCMD "${join(r, "shutdown-cmd")}"`,
      `NOTIFYCMD "${join(r, "notify-cmd")}"`,
      `POLLFREQ ${mo.pollFreqSec ?? 1}`,
      `POLLFREQALERT ${mo.pollFreqSec ?? 1}`,
      `HOSTSYNC ${mo.hostsyncSec ?? 5}`,
      `DEADTIME ${mo.deadtimeSec ?? 15}`,
      `FINALDELAY ${mo.finalDelaySec ?? 0}`,
      `POWERDOWNFLAG ${join(r, "run", "killpower")}`,
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
          `mount --bind "$1" /run/nut && NUT_CONFPATH="$2" exec ${LIBNUT}/upsmon -D`,
          "sh",
          join(r, "run"),
          join(r, "etc"),
        ],
        { env: process.env, stdio: ["ignore", fd, fd] },
      );
      child.on("error", () => {});
    } finally {
      closeSync(fd);
    }
    const t = track("upsmon", child);
    const pidFile = join(r, "run", "upsmon.pid");
    try {
      await waitUntil(
        async () => {
          if (hasExited(t)) throw new StopWaiting("upsmon exited");
          return existsSync(pidFile) && (await readFile(pidFile, "utf8")).trim() !== "";
        },
        10_000,
        "upsmon's PID file",
      );
    } catch (e) {
      await stopTracked(t);
      throw new Error(
        `upsmon did not start (${(e as Error).message}); log:\n${readFileSync(logPath, "utf8")}`,
      );
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
        upsmons.delete(inst);
      },
    };
    upsmons.add(inst);
    return inst;
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<void>) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const m of [...upsmons]) await attempt(() => m.stop());
    await attempt(stopUpsd);
    await Promise.all([...drivers.values()].map((t) => attempt(() => stopTracked(t))));
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    if (errors.length > 0) throw errors[0];
  };

  const stack: NutStack = {
    host: HOST,
    get port() {
      return port;
    },
    dir,
    users: { admin: { ...u.admin }, primary: { ...u.primary }, secondary: { ...u.secondary } },
    upsNames,
    devicePath,
    driverSocketPath: (ups) => join(run, `dummy-ups-${ups}`),
    stopDriver,
    startDriver,
    pauseDriver: async (ups) => signalDriver(ups, "SIGSTOP"),
    resumeDriver: async (ups) => signalDriver(ups, "SIGCONT"),
    stopUpsd,
    startUpsd,
    restartUpsd: async () => {
      await stopUpsd();
      await startUpsd();
    },
    waitFor: (check, timeoutMs = 15_000) => waitUntil(check, timeoutMs, "condition"),
    startUpsmon,
    query,
    stop,
  };

  try {
    for (const ups of upsNames) if (devices[ups]!.driver !== "none") await startDriver(ups);
    await startUpsd();
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  return stack;
}
