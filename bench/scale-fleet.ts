/**
 * The fleet of bench/scale.ts: upsd servers with their UPSes, one of them inside a network namespace
 * whose packets the bench can drop, and the monitors watching all of them (Debian's upsmon 2.8.0,
 * nutguard -p, nutguard split), each with NOTIFYCMD stand-ins that log `<epoch> ... NOTIFYTYPE=..
 * UPSNAME=..` lines (test/helpers/nut-upsmon.ts, writeStandIns()).
 *
 * Servers: real upsd + dummy-ups (test/helpers/nut-stack.ts) for the first `realServers`, `nutguard
 * server` processes for the rest. Network: 127.0.0.1, and one veth pair into a namespace the bench
 * creates (10.231.<n>.0/30), removed by teardown(). Needs root.
 * Must not: touch the host's NUT configuration, or signal processes it did not start.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { lookupGroupId } from "../src/service/accounts.js";
import { nodeMajorOf, renderUnit, UNIT_PLACEHOLDER_BIN } from "../src/service/install.js";
import { freePort, type NutStack, queryOnce, startNutStack } from "../test/helpers/nut-stack.js";
import { writeStandIns } from "../test/helpers/nut-upsmon.js";
import { readLines } from "../test/helpers/nutguard-monitor.js";
import { writeConfDir } from "../test/server/server-fixture.js";

// what `nutguard` runs (package.json "bin"), from the repository root (npm run sets the working directory)
export const MAIN = join(
  process.cwd(),
  (JSON.parse(readFileSync("package.json", "utf8")) as { bin: { nutguard: string } }).bin.nutguard,
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Node flags a unit in units/ gives `node` (its NODE_OPTIONS, as `nutguard install-service` renders
 * it for that Node's major: the monitor's `--jitless` only on Node 24+), so a bench runs a process the
 * way its service does. "nutguard-monitor.notify.service" or "nutguard-exporter.service".
 */
export function unitNodeFlags(unit: string, node: string = process.execPath): string[] {
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  const text = renderUnit(
    readFileSync(join("units", unit), "utf8"),
    UNIT_PLACEHOLDER_BIN,
    nodeMajorOf(version),
  );
  const options = /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(text);
  if (!options) throw new Error(`units/${unit}: no Environment=NODE_OPTIONS= line`);
  return options[1]!.split(" ").filter(Boolean);
}
/** The middle value (the mean of the two middle ones for an even count). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** A namespace with a veth pair: the host side `<name>a` 10.231.x.1, the namespace side 10.231.x.2. */
export class DeadableNetns {
  readonly name = `ngs${process.pid}`;
  readonly hostAddress: string;
  readonly address: string;
  private dropping = false;

  constructor() {
    const x = process.pid % 250;
    this.hostAddress = `10.231.${x}.1`;
    this.address = `10.231.${x}.2`;
    const [a, b] = [`${this.name}a`, `${this.name}b`];
    ip("netns", "add", this.name);
    ip("link", "add", a, "type", "veth", "peer", "name", b);
    ip("link", "set", b, "netns", this.name);
    ip("addr", "add", `${this.hostAddress}/30`, "dev", a);
    ip("link", "set", a, "up");
    ip("-n", this.name, "addr", "add", `${this.address}/30`, "dev", b);
    ip("-n", this.name, "link", "set", b, "up");
    ip("-n", this.name, "link", "set", "lo", "up");
  }

  /** Every packet the namespace would send to the host is dropped (SYN-ACKs, replies, ACKs). */
  drop(): void {
    ip("-n", this.name, "route", "add", "blackhole", `${this.hostAddress}/32`);
    this.dropping = true;
  }

  undrop(): void {
    if (this.dropping) ip("-n", this.name, "route", "del", "blackhole", `${this.hostAddress}/32`);
    this.dropping = false;
  }

  teardown(): void {
    try {
      ip("link", "del", `${this.name}a`);
    } catch {}
    try {
      ip("netns", "del", this.name);
    } catch {}
  }
}

/** A number from the environment (the benches' knobs). */
export const envNumber = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/**
 * Makes `stop` run once, also when the bench is interrupted (SIGINT, SIGTERM; then it exits 130/143): a
 * bench stopped early must not leave its servers, drivers, monitors or network namespace behind to skew
 * the next run. Returns the once-only `stop`, for the bench's own `finally`.
 */
export function stopOnSignals(stop: () => Promise<void>): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  const once = () => (stopped ??= stop());
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)
    process.once(signal, () => void once().finally(() => process.exit(code)));
  return once;
}

/**
 * A build to measure: `label=path/to/nutguard.cjs[|node flags]` (BUILDS, comma-separated). Without `|`
 * it runs with the monitor unit's flags (unitNodeFlags); `path|` runs it with none.
 */
export interface Build {
  label: string;
  path: string;
  flags?: string[];
}

/** BUILDS as the benches that compare builds take it: `label=path[|node flags],…`. */
export function parseBuilds(text: string): Build[] {
  return text.split(",").map((b) => {
    const eq = b.indexOf("=");
    const [path, flags] = b.slice(eq + 1).split("|");
    return {
      label: b.slice(0, eq),
      path: path!,
      ...(flags === undefined ? {} : { flags: flags.split(" ").filter(Boolean) }),
    };
  });
}

/**
 * How long the monitor benches wait before a steady-state window: on Node 20 the monitor compiles its
 * steady poll path in its first minutes (service/monitor-runtime.ts: 1–3 minutes at POLLFREQ 1), and
 * its steady state starts after that (20 s until the fifteenth pass of issue 16).
 */
export const STEADY_WARMUP_S = 180;

/** The knobs both scale benches share: the fleet's size and kind, POLLFREQ and the measuring window. */
export function fleetKnobs(defaults: { realServers: number }) {
  const servers = envNumber("SERVERS", 10);
  return {
    servers,
    upsPerServer: envNumber("UPS_PER_SERVER", 10),
    realServers: Math.min(servers, envNumber("REAL_SERVERS", defaults.realServers)),
    pollFreq: envNumber("POLLFREQ", 5),
    warmupS: envNumber("WARMUP_S", STEADY_WARMUP_S),
    windowS: envNumber("WINDOW_S", 60),
  };
}

export interface UpsServer {
  kind: "upsd" | "nutguard server";
  host: string;
  port: number;
  upsNames: string[];
  /** The real stack (upsd servers only). */
  stack?: NutStack;
  stop(): Promise<void>;
}

const deviceSpec = () => ({ dev: "ups.mfr: Bench\nups.model: Bench\nups.status: OL\nbattery.charge: 100\n" });

export async function startUpsd(index: number, upsCount: number, netns?: DeadableNetns): Promise<UpsServer> {
  const devices = Object.fromEntries(
    Array.from({ length: upsCount }, (_, u) => [`s${index}u${u}`, deviceSpec()]),
  );
  const stack = await startNutStack({
    devices,
    ...(netns ? { netns: { name: netns.name, address: netns.address } } : {}),
  });
  return {
    kind: "upsd",
    host: stack.host,
    port: stack.port,
    upsNames: stack.upsNames,
    stack,
    stop: () => stack.stop(),
  };
}

export async function startNutguardServer(index: number, upsCount: number): Promise<UpsServer> {
  const dir = mkdtempSync(join(tmpdir(), "nutguard-bench-server-"));
  const devices = Object.fromEntries(
    Array.from({ length: upsCount }, (_, u) => [`s${index}u${u}`, deviceSpec()]),
  );
  const port = await freePort();
  await writeConfDir(dir, devices, []);
  writeFileSync(join(dir, "upsd.conf"), `LISTEN 127.0.0.1 ${port}\n`);
  const fd = openSync(join(dir, "server.log"), "a");
  const child = spawn(process.execPath, [MAIN, "server", "-F"], {
    env: { ...process.env, NUT_CONFPATH: dir, NUT_ALTPIDPATH: dir },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  for (let i = 0; ; i++) {
    const ver = await queryOnce(port, "VER", 500).catch(() => "");
    if (ver.startsWith("Network UPS Tools")) break;
    if (i > 100 || child.exitCode !== null)
      throw new Error(`nutguard server did not start: ${readFileSync(join(dir, "server.log"), "utf8")}`);
    await sleep(100);
  }
  return {
    kind: "nutguard server",
    host: "127.0.0.1",
    port,
    upsNames: Object.keys(devices),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * bench:monitor's "node floor" (`node -e`): one `GET VAR` of the server's first UPS every `pollFreqSec`
 * on a raw socket read with `onread` into one buffer, the least a Node poller can do.
 */
export function nodeFloorCode(server: UpsServer, pollFreqSec: number): string {
  const request = `GET VAR ${server.upsNames[0]} ups.status\\n`;
  return `const b=Buffer.alloc(65536);const s=require("net").connect({port:${server.port},host:"${server.host}",onread:{buffer:b,callback:()=>true}});setInterval(()=>s.write("${request}","latin1"),${pollFreqSec * 1000});`;
}

/**
 * The "client floor" (`node --input-type=module -e`): this checkout's NutClient (dist/client) asking the
 * node floor's `GET VAR` every `pollFreqSec` from a setInterval through `getPreparedVarThen`, the
 * monitor's steady request, with no monitor around it. A request that fails is reported on stderr and the
 * floor connects anew.
 */
export function clientFloorCode(server: UpsServer, pollFreqSec: number): string {
  const client = pathToFileURL(join(process.cwd(), "dist/client/client.js")).href;
  return [
    `import { NutClient, prepareGetVar } from ${JSON.stringify(client)};`,
    `const connect = () => NutClient.connect({ host: ${JSON.stringify(server.host)}, port: ${server.port} });`,
    "let c = await connect();",
    `const req = prepareGetVar(${JSON.stringify(server.upsNames[0])}, "ups.status");`,
    "const opts = { timeoutMs: 5000 };",
    'let last = "";',
    // a request that fails (e.g. its connection closed while bench:scale-cpu SOLO=1 held the floor stopped): connect anew
    "const reconnect = () => { c.destroy(); c = undefined; connect().then((n) => { c = n; }, (e) => { console.error(e.message); process.exit(1); }); };",
    "const done = (err, value) => { if (err) { console.error(err.message); reconnect(); return; } if (value !== last) last = value; };",
    `setInterval(() => c?.getPreparedVarThen(req, opts, done), ${pollFreqSec * 1000});`,
  ].join("\n");
}

/** SIGTERM a child the bench started (SIGKILL after 5 s) and wait for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

/** The timers every monitor gets, and extra upsmon.conf lines for all of them. */
export interface MonitorTimersConf {
  pollFreqSec: number;
  deadtimeSec: number;
  extra: string[];
}

export interface Monitor {
  label: string;
  /** The processes whose CPU and RSS count (root parent and monitoring child where there are two). */
  pids(): number[];
  /** The process that makes the connections. */
  networkPid(): number;
  notifyLog: string;
  /** nutguard's working directory (config, logs, a --cpu-prof profile; kept when node flags were given). */
  dir?: string;
  stop(): Promise<void>;
}

/** `<epoch>` of each NOTIFYCMD start of `type` for `system`. */
export function notifyTimes(m: Monitor, type: string, system?: string): number[] {
  return readLines(m.notifyLog)
    .filter(
      (l) => l.includes(`NOTIFYTYPE=${type} `) && (system === undefined || l.includes(`UPSNAME=${system} `)),
    )
    .map((l) => Number.parseFloat(l.split(" ")[0]!));
}

export function childPidsOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * nutguard's monitor as a service runs it: `-p` (one process) or split (root supervisor + monitor as
 * nut, the default as root), with the unit's Node flags unless told others. Config and stand-ins in a 0755 directory, logs writable by nut.
 */
export async function startNutguard(
  mode: "-p" | "split",
  monitorLines: string[],
  timers: MonitorTimersConf,
  /** Another build's CLI entry (A/B runs), node flags (--cpu-prof), more monitor arguments (--http), a label. */
  o: {
    main?: string;
    /** The Node binary (default: the one running the bench). */
    node?: string;
    /** Node's flags (default: the monitor unit's for that Node, unitNodeFlags). */
    nodeArgs?: string[];
    args?: string[];
    label?: string;
    nutguardConf?: string;
  } = {},
): Promise<Monitor> {
  const dir = mkdtempSync(join(tmpdir(), "nutguard-bench-scale-"));
  chmodSync(dir, 0o755);
  const notifyLog = join(dir, "notify.log");
  const shutdownLog = join(dir, "shutdown.log");
  for (const f of [notifyLog, shutdownLog]) {
    writeFileSync(f, "");
    chmodSync(f, 0o666);
  }
  const standIns = await writeStandIns(
    dir,
    { notifyLog, shutdownLog, powerDownFlag: join(dir, "killpower") },
    { ...timers, hostsyncSec: 600 },
  );
  const conf = join(dir, "upsmon.conf");
  writeFileSync(
    conf,
    [
      ...monitorLines,
      ...standIns,
      "RUN_AS_USER nut",
      ...timers.extra,
      ...["ONLINE", "ONBATT", "LOWBATT", "COMMOK", "COMMBAD", "NOCOMM"].map(
        (t) => `NOTIFYFLAG ${t} SYSLOG+EXEC`,
      ),
      "",
    ].join("\n"),
  );
  chownSync(conf, 0, lookupGroupId("nut") ?? 0);
  chmodSync(conf, 0o640);
  if (o.nutguardConf !== undefined) {
    writeFileSync(join(dir, "nutguard.conf"), o.nutguardConf);
    chownSync(join(dir, "nutguard.conf"), 0, lookupGroupId("nut") ?? 0);
    chmodSync(join(dir, "nutguard.conf"), 0o640);
  }
  const fd = openSync(join(dir, "monitor.log"), "a");
  const node = o.node ?? process.execPath;
  const nodeArgs = o.nodeArgs ?? unitNodeFlags("nutguard-monitor.notify.service", node);
  const child = spawn(
    node,
    [
      ...nodeArgs,
      o.main ?? MAIN,
      "monitor",
      "-F",
      ...(mode === "-p" ? ["-p"] : []),
      ...(o.args ?? []),
      "-f",
      conf,
    ],
    {
      // the HTTP surface's history stays in this run's directory, not /var/lib/nutguard
      env: { ...process.env, NUT_PIDPATH: dir, STATE_DIRECTORY: dir },
      cwd: dir,
      stdio: ["ignore", fd, fd],
    },
  );
  closeSync(fd);
  const pid = child.pid!;
  if (mode === "split") {
    for (let i = 0; childPidsOf(pid).length === 0; i++) {
      if (i > 100) throw new Error("nutguard split: no monitoring child");
      await sleep(100);
    }
  }
  const monitorPid = () => (mode === "split" ? childPidsOf(pid)[0]! : pid);
  return {
    label: o.label ?? (mode === "-p" ? "nutguard -p" : "nutguard split"),
    pids: () => (mode === "split" ? [pid, ...childPidsOf(pid)] : [pid]),
    networkPid: monitorPid,
    notifyLog,
    dir,
    stop: async () => {
      await stopChild(child);
      // --cpu-prof's profiles stay in the directory
      if (!nodeArgs.includes("--cpu-prof")) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's upsmon 2.8.0 (a root parent and the monitoring child as nut), started from a real stack. */
export async function startUpsmon(
  stack: NutStack,
  systems: string[],
  timers: MonitorTimersConf,
): Promise<Monitor> {
  const { user, pass } = stack.users.secondary;
  const inst = await stack.startUpsmon({
    role: "secondary",
    system: systems[0],
    pollFreqSec: timers.pollFreqSec,
    deadtimeSec: timers.deadtimeSec,
    hostsyncSec: 600,
    extraConfig: [
      ...systems.slice(1).map((s) => `MONITOR ${s} 1 ${user} ${pass} secondary`),
      ...timers.extra,
    ],
  });
  const childPid = Number(readFileSync(join(inst.dir, "run", "upsmon.pid"), "utf8").trim());
  return {
    label: "upsmon 2.8.0",
    pids: () => [inst.pid, childPid],
    networkPid: () => childPid,
    notifyLog: inst.notifyLog,
    stop: () => inst.stop(),
  };
}
