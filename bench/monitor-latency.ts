/**
 * Benchmark (npm run bench:monitor): nutguard monitor vs Debian's real upsmon 2.8.0, same upsd, same UPS,
 * same POLLFREQ, in one run.
 *  1. Detection latency: both monitors started afresh for each flip (random poll phase), ups.status set
 *     OL → OB with SET VAR; latency = from the moment upsd serves OB (probed every 10 ms) to the start of
 *     each monitor's NOTIFYCMD (its `date +%s.%N`). Median of FLIPS flips each.
 *  2. Steady state at POLLFREQ after a warm-up (WARMUP_MS, 180 s), over WINDOWS (5) windows of
 *     IDLE_WINDOW_MS (30 s): CPU time of all threads per poll cycle (schedstat, ns
 *     resolution) and resident memory (VmRSS; upsmon: root parent + monitoring child).
 *  3. Continuous polling (POLLFREQ 0, as upsmon allows) with DEBUG_MIN 2: cycles counted from the
 *     `pollups` debug lines, CPU per 1,000 cycles at full speed.
 * Prints figures; asserts nothing. Needs root and Debian's nut-server/nut-client.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type NutStack, startNutStack, type UpsmonInstance } from "../test/helpers/nut-stack.js";
import {
  type NutguardMonitor,
  readLines,
  setUpsStatus,
  startNutguardMonitor,
} from "../test/helpers/nutguard-monitor.js";
import { rssKb, schedCpuSec } from "./proc-stats.js";
import { STEADY_WARMUP_S, unitNodeFlags } from "./scale-fleet.js";

// Node processes run as units run them: without NODE_EXTRA_CA_CERTS (some login environments set it,
// and Node 20 then parses the whole CA bundle at start, which shows in RSS), and nutguard with the Node
// flags its monitor unit gives this Node (`--max-semi-space-size=1`, and `--jitless` on Node 24+).
delete process.env.NODE_EXTRA_CA_CERTS;
const UNIT_FLAGS = unitNodeFlags("nutguard-monitor.notify.service");

const FLIPS = Number(process.env.FLIPS ?? 24);
const POLLFREQ = Number(process.env.POLLFREQ ?? 1);
const CPU_WINDOW_MS = Number(process.env.CPU_WINDOW_MS ?? 15_000);
const IDLE_WINDOW_MS = Number(process.env.IDLE_WINDOW_MS ?? 30_000);
/** Steady-state windows of IDLE_WINDOW_MS, one after another: medians over them, and each window's ratio. */
const WINDOWS = Number(process.env.WINDOWS ?? 5);
const WARMUP_MS = Number(process.env.WARMUP_MS ?? STEADY_WARMUP_S * 1000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function childPidOf(upsmon: UpsmonInstance): number {
  return Number(readFileSync(join(upsmon.dir, "run", "upsmon.pid"), "utf8").trim());
}
/** The real upsmon binary's PIDs: the root parent (exec'd by the harness's unshare/sh) and the child. */
function upsmonPids(upsmon: UpsmonInstance): number[] {
  return [upsmon.pid, childPidOf(upsmon)];
}
function notifyTimes(path: string): number[] {
  return readLines(path).map((l) => Number.parseFloat(l.split(" ")[0]!));
}
const countLines = (path: string, needle: string) => readLines(path).filter((l) => l.includes(needle)).length;

/** When upsd first serves `status` for ups (probed every 10 ms), in epoch seconds. */
async function visibleAt(stack: NutStack, status: string): Promise<number> {
  for (;;) {
    if ((await stack.query("GET VAR ups ups.status")) === `VAR ups ups.status "${status}"`)
      return Date.now() / 1000;
    await sleep(10);
  }
}

/**
 * Each flip starts both monitors afresh (so their poll phases are random relative to the driver's
 * update schedule, which otherwise stays fixed for a whole run), waits a random time, flips OL → OB,
 * and measures from the moment upsd serves OB to the start of each monitor's NOTIFYCMD.
 */
async function latencyPhase(stack: NutStack) {
  const lat = { nutguard: [] as number[], upsmon: [] as number[] };
  for (let i = 0; i < FLIPS; i++) {
    await setUpsStatus(stack, "ups", "OL CHRG");
    await visibleAt(stack, "OL CHRG");
    // the driver publishes changes on its own schedule: start each monitor at an independent random
    // offset from it, or the faster-starting one would always poll just after the driver's tick
    const [upsmon, ng] = await Promise.all([
      sleep(Math.random() * 2000).then(() =>
        stack.startUpsmon({ role: "secondary", pollFreqSec: POLLFREQ, hostsyncSec: 600 }),
      ),
      sleep(Math.random() * 2000).then(() =>
        startNutguardMonitor(stack, {
          role: "secondary",
          pollFreqSec: POLLFREQ,
          args: ["-p"],
          nodeArgs: UNIT_FLAGS,
        }),
      ),
    ]);
    try {
      await stack.waitFor(async () => (await stack.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 2");
      await sleep(500 + Math.random() * POLLFREQ * 1000);
      await setUpsStatus(stack, "ups", "OB DISCHRG");
      const t0 = await visibleAt(stack, "OB DISCHRG");
      await stack.waitFor(
        async () => notifyTimes(ng.notifyLog).length > 0 && notifyTimes(upsmon.notifyLog).length > 0,
        POLLFREQ * 1000 * 5 + 5000,
      );
      lat.nutguard.push(notifyTimes(ng.notifyLog)[0]! - t0);
      lat.upsmon.push(notifyTimes(upsmon.notifyLog)[0]! - t0);
      if (process.env.PRINT_FLIPS)
        console.log(`flip ${i}: nutguard ${lat.nutguard.at(-1)} upsmon ${lat.upsmon.at(-1)}`);
    } finally {
      await Promise.all([ng.stop(), upsmon.stop()]);
    }
  }
  return lat;
}

/**
 * What any Node.js monitor costs before it does anything of its own, measured beside it:
 * - "bare node": sends one `GET VAR` per POLLFREQ on a raw socket, reads replies as 'data' events;
 * - "node floor": the same with net's `onread` (one reused read buffer, no stream), as nutguard reads;
 * - "node timer": only an empty setInterval at POLLFREQ (no socket at all).
 */
const BARE_NODE_POLLER = `const s=require("net").connect(+process.argv[1],"127.0.0.1");s.on("data",()=>{});setInterval(()=>s.write("GET VAR ups ups.status\\n"),+process.argv[2]*1000);`;
const NODE_FLOOR_POLLER = `const b=Buffer.alloc(65536);const s=require("net").connect({port:+process.argv[1],host:"127.0.0.1",onread:{buffer:b,callback:()=>true}});setInterval(()=>s.write("GET VAR ups ups.status\\n","latin1"),+process.argv[2]*1000);`;
const NODE_TIMER = "setInterval(()=>{},+process.argv[2]*1000);";
const PEERS = {
  "bare node": BARE_NODE_POLLER,
  "node floor": NODE_FLOOR_POLLER,
  "node timer": NODE_TIMER,
} as const;
type Peer = keyof typeof PEERS;

/** Long-lived instances at POLLFREQ after a warm-up: CPU of every thread per poll cycle, and RSS. */

async function steadyPhase(stack: NutStack) {
  const peers = Object.fromEntries(
    Object.entries(PEERS).map(([name, code]) => [
      name,
      spawn(process.execPath, ["-e", code, String(stack.port), String(POLLFREQ)], { stdio: "ignore" }),
    ]),
  ) as Record<Peer, ReturnType<typeof spawn>>;
  const peerNames = Object.keys(PEERS) as Peer[];
  const [upsmon, ng] = await Promise.all([
    stack.startUpsmon({ role: "secondary", pollFreqSec: POLLFREQ, hostsyncSec: 600 }),
    startNutguardMonitor(stack, {
      role: "secondary",
      pollFreqSec: POLLFREQ,
      args: ["-p"],
      nodeArgs: UNIT_FLAGS,
    }),
  ]);
  try {
    await stack.waitFor(async () => (await stack.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 2");
    await sleep(WARMUP_MS);
    const umPids = upsmonPids(upsmon);
    const sumCpu = (pids: number[]) => pids.reduce((a, p) => a + schedCpuSec(p), 0);
    const cpuNow = (): Record<string, number> => ({
      nutguard: schedCpuSec(ng.pid),
      upsmon: sumCpu(umPids),
      ...Object.fromEntries(peerNames.map((n) => [n, schedCpuSec(peers[n].pid!)])),
    });
    // CPU of every process at the start of each window and at the end of the last: per-window figures
    // and the totals over all windows come from the same readings
    const marks = [{ at: Date.now(), cpu: cpuNow() }];
    for (let w = 0; w < WINDOWS; w++) {
      await sleep(IDLE_WINDOW_MS);
      marks.push({ at: Date.now(), cpu: cpuNow() });
    }
    const between = (a: (typeof marks)[number], b: (typeof marks)[number]) => {
      const cycles = (b.at - a.at) / 1000 / POLLFREQ;
      const cpu = Object.fromEntries(Object.keys(b.cpu).map((who) => [who, b.cpu[who]! - a.cpu[who]!]));
      return { cycles, cpu };
    };
    const { cycles, cpu } = between(marks[0]!, marks.at(-1)!);
    const windows = marks.slice(1).map((m, i) => {
      const w = between(marks[i]!, m);
      return Object.fromEntries(Object.entries(w.cpu).map(([who, sec]) => [who, sec / w.cycles]));
    });
    const rss: Record<string, number[]> = { nutguard: [rssKb(ng.pid)], upsmon: umPids.map(rssKb) };
    for (const n of peerNames) rss[n] = [rssKb(peers[n].pid!)];
    return { cycles, cpu, rss, windows };
  } finally {
    for (const p of Object.values(peers)) p.kill("SIGKILL");
    await Promise.all([ng.stop(), upsmon.stop()]);
  }
}

async function cpuPhase(stack: NutStack) {
  const extra = ["DEBUG_MIN 2"];
  const upsmon = await stack.startUpsmon({
    role: "secondary",
    pollFreqSec: 0,
    hostsyncSec: 600,
    extraConfig: extra,
  });
  const ng: NutguardMonitor = await startNutguardMonitor(stack, {
    role: "secondary",
    pollFreqSec: 0,
    extraConfig: extra,
    args: ["-p"],
    nodeArgs: UNIT_FLAGS,
  });
  try {
    await stack.waitFor(async () => (await stack.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 2");
    await sleep(2000);
    const umPid = childPidOf(upsmon);
    const start = {
      ngCpu: schedCpuSec(ng.pid),
      umCpu: schedCpuSec(umPid),
      ngCycles: countLines(ng.log, "pollups:"),
      umCycles: countLines(upsmon.log, "pollups:"),
    };
    await sleep(CPU_WINDOW_MS);
    const ngCycles = countLines(ng.log, "pollups:") - start.ngCycles;
    const umCycles = countLines(upsmon.log, "pollups:") - start.umCycles;
    return {
      nutguard: { cycles: ngCycles, cpuSec: schedCpuSec(ng.pid) - start.ngCpu },
      upsmon: { cycles: umCycles, cpuSec: schedCpuSec(umPid) - start.umCpu },
    };
  } finally {
    await ng.stop();
    await upsmon.stop();
  }
}

async function main() {
  const stack = await startNutStack({
    devices: {
      ups: {
        dev: "ups.mfr: Bench\nups.model: Bench\nups.status: OL CHRG\nbattery.charge: 100\n",
        desc: "bench",
      },
    },
  });
  try {
    console.log(
      `monitor benchmark: ${FLIPS} flips at POLLFREQ ${POLLFREQ}, upsd ${stack.host}:${stack.port}`,
    );
    const lat = await latencyPhase(stack);
    const ms = (x: number) => `${(x * 1000).toFixed(0)} ms`;
    for (const who of ["nutguard", "upsmon"] as const) {
      const xs = lat[who];
      console.log(
        `latency ${who.padEnd(8)}: median ${ms(median(xs))}, p90 ${ms(pct(xs, 0.9))}, min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))} (n=${xs.length}, upsd shows OB → NOTIFYCMD started)`,
      );
    }
    const steady = await steadyPhase(stack);
    for (const who of ["nutguard", "upsmon", "bare node", "node floor", "node timer"]) {
      const cpuMs = steady.cpu[who]! * 1000;
      console.log(
        `CPU ${who.padEnd(10)} at POLLFREQ ${POLLFREQ}: ${cpuMs.toFixed(1)} ms over ${steady.cycles.toFixed(0)} cycles → ${((steady.cpu[who]! / steady.cycles) * 1000).toFixed(3)} s per 1,000 poll cycles (all threads, after ${WARMUP_MS / 1000} s warm-up)`,
      );
      const rss = steady.rss[who]!;
      console.log(`RSS ${who.padEnd(10)}: ${rss.join(" + ")} = ${rss.reduce((x, y) => x + y, 0)} kB`);
    }
    const ratio = (who: string) => (steady.cpu[who]! / steady.cpu.upsmon!).toFixed(1);
    console.log(
      `CPU relative to upsmon: nutguard ${ratio("nutguard")}×, bare node ${ratio("bare node")}×, node floor ${ratio("node floor")}×, node timer ${ratio("node timer")}× (target for nutguard: ≤ 2×)`,
    );
    // issue 16's yardstick: nutguard against the node floor, window by window (the floor's own cost swings)
    const perWindow = steady.windows.map((w) => w.nutguard! / w["node floor"]!);
    const msOf = (who: string) => (median(steady.windows.map((w) => w[who]!)) * 1000).toFixed(3);
    console.log(
      `CPU per cycle, median of ${steady.windows.length} windows of ${IDLE_WINDOW_MS / 1000} s: nutguard ${msOf("nutguard")} ms, node floor ${msOf("node floor")} ms, upsmon ${msOf("upsmon")} ms; nutguard relative to the node floor: median ${median(perWindow).toFixed(2)}× (windows ${perWindow.map((r) => r.toFixed(2)).join(" ")}; issue 16's target: ≤ 1.5×)`,
    );
    const cpu = await cpuPhase(stack);
    for (const who of ["nutguard", "upsmon"] as const) {
      const c = cpu[who];
      const per1000 = c.cycles > 0 ? ((c.cpuSec / c.cycles) * 1000).toFixed(3) : "n/a";
      console.log(
        `CPU ${who.padEnd(8)}: ${c.cpuSec.toFixed(2)} s for ${c.cycles} poll cycles in ${CPU_WINDOW_MS / 1000} s (POLLFREQ 0) → ${per1000} s per 1,000 cycles`,
      );
    }
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
