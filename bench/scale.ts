/**
 * Benchmark (npm run bench:scale): the monitor at scale (issue 16). SERVERS upsd servers with
 * UPS_PER_SERVER UPSes each (default 10 × 10 = 100): real upsd + dummy-ups for REAL_SERVERS of them
 * (default 8), `nutguard server` for the rest. Server 0 is a real upsd inside a network namespace
 * (bench/scale-fleet.ts). Three monitors watch all UPSes at POLLFREQ (default 5), in one run:
 * Debian's upsmon 2.8.0, nutguard -p and nutguard split (root supervisor + monitor as nut), both with
 * the Node flags the monitor's unit gives the Node running the bench (bench/scale-fleet.ts, unitNodeFlags).
 *  1. Steady state after WARMUP_S (180 s: the monitor compiles its steady path in its first minutes):
 *     CPU (all threads of every process, schedstat) per poll round and RSS.
 *  2. Detection latency, healthy: FLIPS times, one UPS on a healthy real upsd goes OL → OB
 *     (SET VAR); from the moment upsd serves OB (probed every 10 ms) to the start of each monitor's
 *     NOTIFYCMD for ONBATT. Back to OL and a random pause (0..POLLFREQ) between flips.
 *  3. A dead server: the namespace's packets to the host are dropped (blackhole route, so SYNs get no
 *     answer and established connections hang). COMMBAD/NOCOMM for its UPSes per monitor;
 *     DEAD_FLIPS flips as in 2 for the nutguard monitors; then one last flip for all three monitors,
 *     waited for at most DEAD_WAIT_S (upsmon's stall is reported as measured, or as "> DEAD_WAIT_S").
 *     Throughout, connection attempts to the dead server are sampled (`ss` every 200 ms, sockets in
 *     SYN-SENT, per process): attempts seen, the most at once, how long each lasted.
 * SIGINT/SIGTERM stop what it started (servers, drivers, monitors, the namespace) before it exits.
 * Prints figures; asserts nothing. Needs root, iproute2 and Debian's nut-server/nut-client.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { NutStack } from "../test/helpers/nut-stack.js";
import { setUpsStatus } from "../test/helpers/nutguard-monitor.js";
import { rssKb, schedCpuSec } from "./proc-stats.js";
import {
  DeadableNetns,
  envNumber,
  fleetKnobs,
  type Monitor,
  median,
  notifyTimes,
  startNutguard,
  startNutguardServer,
  startUpsd,
  startUpsmon,
  stopOnSignals,
  type UpsServer,
} from "./scale-fleet.js";

delete process.env.NODE_EXTRA_CA_CERTS;

const {
  servers: SERVERS,
  upsPerServer: UPS_PER_SERVER,
  realServers: REAL_SERVERS,
  pollFreq: POLLFREQ,
  warmupS: WARMUP_S,
  windowS: WINDOW_S,
} = fleetKnobs({ realServers: 8 });
const env = envNumber;
const DEADTIME = env("DEADTIME", 3 * POLLFREQ);
const FLIPS = env("FLIPS", 6);
const DEAD_FLIPS = env("DEAD_FLIPS", 4);
const DEAD_SETTLE_S = env("DEAD_SETTLE_S", 20);
const DEAD_WAIT_S = env("DEAD_WAIT_S", 300);
/** NOCOMM repeats (and, for a UPS once reached, first comes) this long after its last good poll (upsmon: 300). */
const NOCOMMWARNTIME = env("NOCOMMWARNTIME", 60);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);
const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;

async function visibleAt(stack: NutStack, ups: string, status: string): Promise<number> {
  for (;;) {
    if ((await stack.query(`GET VAR ${ups} ups.status`)) === `VAR ${ups} ups.status "${status}"`)
      return Date.now() / 1000;
    await sleep(10);
  }
}

/** Waits until each monitor has notified `type` for `system` after `t0` (or `limitS` passed); seconds each. */
async function detection(
  monitors: Monitor[],
  type: string,
  system: string,
  t0: number,
  limitS: number,
): Promise<(number | undefined)[]> {
  const first = (m: Monitor) => notifyTimes(m, type, system).find((t) => t >= t0 - 0.001);
  const deadline = Date.now() + limitS * 1000;
  while (Date.now() < deadline && monitors.some((m) => first(m) === undefined)) await sleep(50);
  return monitors.map((m) => {
    const t = first(m);
    return t === undefined ? undefined : t - t0;
  });
}

/** One flip OL → OB of `ups`, the latency of each monitor, then back to OL (waited for by the same monitors). */
async function flip(
  stack: NutStack,
  ups: string,
  system: string,
  monitors: Monitor[],
  limitS: number,
): Promise<(number | undefined)[]> {
  await setUpsStatus(stack, ups, "OB DISCHRG");
  const t0 = await visibleAt(stack, ups, "OB DISCHRG");
  const lat = await detection(monitors, "ONBATT", system, t0, limitS);
  await setUpsStatus(stack, ups, "OL CHRG");
  const t1 = await visibleAt(stack, ups, "OL CHRG");
  await detection(monitors, "ONLINE", system, t1, limitS);
  return lat;
}

/** Each monitor's latency (when it detected the flip) into its list. */
function keep(lat: (number | undefined)[], into: number[][]): void {
  lat.forEach((l, i) => {
    if (l !== undefined) into[i]!.push(l);
  });
}

/** Sockets in SYN-SENT towards `address`, sampled: per process, attempts seen, most at once, durations. */
function sampleConnects(address: string, labelOf: Map<number, string>) {
  const live = new Map<string, { label: string; since: number; last: number }>();
  const done: { label: string; seconds: number }[] = [];
  const maxAtOnce = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const now = Date.now();
      const { stdout } = await run("ss", ["-tnpH", "state", "syn-sent", "dst", address]).catch(() => ({
        stdout: "",
      }));
      const seen = new Set<string>();
      const perLabel = new Map<string, number>();
      for (const line of stdout.split("\n")) {
        const m = /\S+:(\d+)\s+\S+\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
        if (!m) continue;
        const label = labelOf.get(Number(m[2])) ?? `pid ${m[2]}`;
        const key = `${m[2]}:${m[1]}`;
        seen.add(key);
        perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
        const s = live.get(key);
        if (s) s.last = now;
        else live.set(key, { label, since: now, last: now });
      }
      for (const [label, n] of perLabel) maxAtOnce.set(label, Math.max(maxAtOnce.get(label) ?? 0, n));
      for (const [key, s] of live) {
        if (seen.has(key)) continue;
        live.delete(key);
        done.push({ label: s.label, seconds: (s.last - s.since) / 1000 });
      }
      await sleep(200);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const open = [...live.values()].map((s) => ({ label: s.label, seconds: (s.last - s.since) / 1000 }));
      return { done, open, maxAtOnce };
    },
  };
}

async function main() {
  const netns = new DeadableNetns();
  const servers: UpsServer[] = [];
  const monitors: Monitor[] = [];
  const stopAll = stopOnSignals(async () => {
    for (const m of monitors) await m.stop().catch(() => {});
    netns.undrop();
    for (const s of servers) await s.stop().catch(() => {});
    netns.teardown();
  });
  try {
    for (let i = 0; i < SERVERS; i++) {
      servers.push(
        i < REAL_SERVERS
          ? await startUpsd(i, UPS_PER_SERVER, i === 0 ? netns : undefined)
          : await startNutguardServer(i, UPS_PER_SERVER),
      );
    }
    const systems = servers.flatMap((s) => s.upsNames.map((u) => `${u}@${s.host}:${s.port}`));
    const deadSystems = servers[0]!.upsNames.map((u) => `${u}@${servers[0]!.host}:${servers[0]!.port}`);
    // the flipped UPS: the last one of the last real, healthy upsd (polled after the dead server's)
    const flipServer = servers[REAL_SERVERS - 1]!;
    const flipStack = flipServer.stack!;
    const flipUps = flipServer.upsNames.at(-1)!;
    const flipSystem = `${flipUps}@${flipServer.host}:${flipServer.port}`;
    console.log(
      `monitor scale benchmark: ${systems.length} UPSes on ${SERVERS} servers (${REAL_SERVERS} upsd 2.8.0 + dummy-ups, ${SERVERS - REAL_SERVERS} nutguard server), POLLFREQ ${POLLFREQ}, DEADTIME ${DEADTIME}, NOCOMMWARNTIME ${NOCOMMWARNTIME}; node ${process.version}`,
    );
    const { user, pass } = flipStack.users.secondary;
    const lines = systems.map((s) => `MONITOR ${s} 1 ${user} ${pass} secondary`);
    const timers = {
      pollFreqSec: POLLFREQ,
      deadtimeSec: DEADTIME,
      extra: [`NOCOMMWARNTIME ${NOCOMMWARNTIME}`],
    };
    monitors.push(await startUpsmon(flipStack, systems, timers));
    monitors.push(await startNutguard("-p", lines, timers));
    monitors.push(await startNutguard("split", lines, timers));
    const ng = monitors.slice(1);

    // 1. steady state
    await sleep(WARMUP_S * 1000);
    const cpu0 = monitors.map((m) => m.pids().reduce((a, p) => a + schedCpuSec(p), 0));
    const at0 = Date.now();
    await sleep(WINDOW_S * 1000);
    const rounds = (Date.now() - at0) / 1000 / POLLFREQ;
    monitors.forEach((m, i) => {
      const cpu = m.pids().reduce((a, p) => a + schedCpuSec(p), 0) - cpu0[i]!;
      const rss = m.pids().map(rssKb);
      console.log(
        `${m.label.padEnd(14)}: CPU ${((cpu / rounds) * 1000).toFixed(2)} ms per poll round of ${systems.length} UPSes (${(cpu * 1000).toFixed(0)} ms over ${rounds.toFixed(1)} rounds, all processes and threads); RSS ${rss.join(" + ")} = ${rss.reduce((a, b) => a + b, 0)} kB`,
      );
    });

    // 2. healthy detection latency
    const healthy = monitors.map(() => [] as number[]);
    for (let f = 0; f < FLIPS; f++) {
      const lat = await flip(flipStack, flipUps, flipSystem, monitors, 60);
      keep(lat, healthy);
      await sleep(Math.random() * POLLFREQ * 1000);
    }
    if (process.env.PRINT_NOTIFY)
      for (const m of monitors) console.log(m.label, readFileSync(m.notifyLog, "utf8"));
    monitors.forEach((m, i) => {
      const xs = healthy[i]!;
      console.log(
        `latency healthy ${m.label.padEnd(14)}: median ${ms(median(xs))}, min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))} (n=${xs.length} of ${FLIPS}; upsd serves OB → NOTIFYCMD ONBATT starts)`,
      );
    });

    // 3. the dead server
    const labelOf = new Map(monitors.map((m) => [m.networkPid(), m.label]));
    const commBefore = monitors.map((m) => notifyTimes(m, "COMMBAD").length);
    const sampler = sampleConnects(netns.address, labelOf);
    netns.drop();
    const deadAt = Date.now() / 1000;
    console.log(
      `dead server: packets from ${netns.address} to the host dropped (blackhole route in its namespace)`,
    );
    await sleep(DEAD_SETTLE_S * 1000);
    const dead = ng.map(() => [] as number[]);
    for (let f = 0; f < DEAD_FLIPS; f++) {
      const lat = await flip(flipStack, flipUps, flipSystem, ng, 60);
      keep(lat, dead);
      await sleep(Math.random() * POLLFREQ * 1000);
    }
    // the last flip stays on battery until every monitor saw it (or DEAD_WAIT_S)
    await setUpsStatus(flipStack, flipUps, "OB DISCHRG");
    const t0 = await visibleAt(flipStack, flipUps, "OB DISCHRG");
    const last = await detection(monitors, "ONBATT", flipSystem, t0, DEAD_WAIT_S);
    const sinceDead = Date.now() / 1000 - deadAt;
    const connects = await sampler.stop();
    monitors.forEach((m, i) => {
      const xs = i === 0 ? [] : dead[i - 1]!;
      const lastS = last[i] === undefined ? `> ${DEAD_WAIT_S} s (not detected)` : ms(last[i]!);
      const flips = xs.length
        ? `median ${ms(median(xs))}, min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))} (n=${xs.length} of ${DEAD_FLIPS}); `
        : "";
      console.log(`latency dead-server ${m.label.padEnd(14)}: ${flips}last flip ${lastS}`);
    });
    monitors.forEach((m, i) => {
      const commbad = deadSystems.filter((s) => notifyTimes(m, "COMMBAD", s).some((t) => t >= deadAt));
      const nocomm = deadSystems.filter((s) => notifyTimes(m, "NOCOMM", s).some((t) => t >= deadAt));
      const firstBad = deadSystems
        .flatMap((s) => notifyTimes(m, "COMMBAD", s))
        .filter((t) => t >= deadAt)
        .sort((a, b) => a - b);
      const otherBad = notifyTimes(m, "COMMBAD").length - commBefore[i]! - firstBad.length;
      const own = connects.done.filter((c) => c.label === m.label).map((c) => c.seconds);
      const open = connects.open.filter((c) => c.label === m.label).length;
      console.log(
        `dead server ${m.label.padEnd(14)}: COMMBAD ${commbad.length}/${deadSystems.length} UPSes (first ${firstBad.length ? `${(firstBad[0]! - deadAt).toFixed(1)} s` : "never"}, last ${firstBad.length ? `${(firstBad.at(-1)! - deadAt).toFixed(1)} s` : "never"} after the drop), NOCOMM ${nocomm.length}/${deadSystems.length}, COMMBAD for other UPSes ${otherBad}; connect attempts seen in ${sinceDead.toFixed(0)} s: ${own.length + open} (${open} still pending), at most ${connects.maxAtOnce.get(m.label) ?? 0} at once, each lasting median ${own.length ? `${median(own).toFixed(1)} s` : "n/a"}, max ${own.length ? `${Math.max(...own).toFixed(1)} s` : "n/a"}`,
      );
    });
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
