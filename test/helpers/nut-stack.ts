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
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quoteValue } from "../../src/protocol/encoder.js";
import {
  hasExited,
  installExitHook,
  isAlive,
  liveDirs,
  nutUser,
  StopWaiting,
  stopTracked,
  type Tracked,
  track,
  waitUntil,
  writeOwned,
} from "./nut-process.js";
import { startUpsmonInstance } from "./nut-upsmon.js";

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
  /** nutguard server only: ups.conf `nutguard_instcmds = yes` (real dummy-ups refuses the key). */
  nutguardInstcmds?: boolean;
}

export interface NutStackOptions {
  /** Devices to serve, by UPS name (replaces DEFAULT_DEVICES; spread it to extend). */
  devices?: Record<string, NutDeviceSpec>;
  /** Extra upsd.conf lines (e.g. "MAXAGE 5", "CERTFILE ..."); they come after the defaults. */
  upsdConf?: string[];
  /** Text appended to upsd.users. */
  extraUsers?: string;
  /**
   * Run upsd inside this network namespace (`ip netns exec`, created by the caller), listening on
   * `address` port 3493 instead of 127.0.0.1 on a free port (benchmarks: a server whose packets can be dropped).
   */
  netns?: { name: string; address: string };
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
  /**
   * A program that upsmon runs under (a bench's `valgrind …`): its words, and the name the wrapped
   * process has in /proc (valgrind's callgrind: `callgrind-amd64`), for the stop's identity check.
   */
  wrapper?: { argv: string[]; comm: string };
  /** `upsmon -p`: one root process, no unprivileged child (default false). */
  singleProcess?: boolean;
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
  /** 127.0.0.1, or the namespace's address (NutStackOptions.netns). */
  host: string;
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

/** upsd.users for DEFAULT_USERS: an admin (SET, FSD, every instant command), an upsmon primary and a secondary. */
export const DEFAULT_UPSD_USERS =
  `[${DEFAULT_USERS.admin.user}]\n\tpassword = ${DEFAULT_USERS.admin.pass}\n\tactions = SET FSD\n\tinstcmds = ALL\n` +
  `[${DEFAULT_USERS.primary.user}]\n\tpassword = ${DEFAULT_USERS.primary.pass}\n\tupsmon primary\n` +
  `[${DEFAULT_USERS.secondary.user}]\n\tpassword = ${DEFAULT_USERS.secondary.pass}\n\tupsmon secondary\n`;

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
export function queryOnce(
  port: number,
  line: string,
  timeoutMs = 2000,
  host: string = HOST,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
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

// ------------------------------------------------------------------------------------------------
// The stack

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
    if (spec.nutguardInstcmds) throw new Error(`[${ups}]: nutguardInstcmds is for nutguard server only`);
    await writeOwned(devicePath(ups), spec.seq ?? spec.dev ?? "ups.status: OL\n");
    upsConf += `[${ups}]\n\tdriver = dummy-ups\n\tport = ${quoteValue(devicePath(ups))}\n`;
    if (spec.desc !== undefined) upsConf += `\tdesc = ${quoteValue(spec.desc)}\n`;
    if (spec.mode !== undefined) upsConf += `\tmode = ${spec.mode}\n`;
  }
  await writeOwned(join(etc, "ups.conf"), upsConf);
  const u = DEFAULT_USERS;
  await writeOwned(join(etc, "upsd.users"), DEFAULT_UPSD_USERS + (o.extraUsers ? `${o.extraUsers}\n` : ""));
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

  const host: string = o.netns?.address ?? HOST;
  const query = (line: string) => queryOnce(port, line, 2000, host);

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
    const lines = [`LISTEN ${host} ${port}`, "MAXAGE 15", ...(o.upsdConf ?? [])];
    await writeOwned(join(etc, "upsd.conf"), lines.join("\n") + "\n");
  };

  const startUpsd = async (): Promise<void> => {
    if (upsd && !hasExited(upsd)) return;
    // a free port can be taken between probing and binding (parallel test files): retry on a new one
    for (let attempt = 1; ; attempt++) {
      if (port === 0 || attempt > 1) {
        port = o.netns ? 3493 : await freePort();
        await writeUpsdConf();
      }
      rmSync(join(run, "upsd.pid"), { force: true });
      const t = o.netns
        ? spawnLogged("upsd", "ip", ["netns", "exec", o.netns.name, join(LIBNUT, "upsd"), "-FF"], "upsd")
        : spawnLogged("upsd", join(LIBNUT, "upsd"), ["-FF"], "upsd");
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
    const cred = mo.role === "primary" ? u.primary : u.secondary;
    const inst = await startUpsmonInstance({
      dir: join(dir, `upsmon-${++upsmonCount}-${mo.role}`),
      system: mo.system ?? `${upsNames[0]}@${host}:${port}`,
      cred,
      options: mo,
      onStop: () => upsmons.delete(inst),
    });
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
    host,
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
    // drivers start in parallel (each takes about a second to create its socket)
    await Promise.all(upsNames.filter((ups) => devices[ups]!.driver !== "none").map(startDriver));
    await startUpsd();
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  return stack;
}
