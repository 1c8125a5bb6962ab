/**
 * Memory of nutguard's monitor beside NUT's upsmon, in one run: RSS and PSS of the root supervisor
 * and the unprivileged monitor (split mode, the default as root), of the single `-p` process, and
 * of upsmon's root parent and child, each monitoring 1 and 10 UPSes of a real upsd + dummy-ups
 * (test/helpers/nut-stack.ts). Also two bare idle `node` processes, the floor any Node daemon pays.
 *
 * RSS counts shared pages (the node binary's ~34 MB) once per process; PSS (Pss: in
 * /proc/PID/smaps_rollup) shares them out between the processes mapping them, so PSS is what the
 * processes cost together. Each configuration runs alone (plus this bench process, itself a node
 * process sharing the binary's pages); figures are taken after READY and SETTLE_SEC seconds of
 * polling at POLLFREQ 1. Figures only: nothing here passes or fails.
 *
 * Run (as root, NUT installed): npm run bench:memory   [-- --settle N]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lookupGroupId } from "../src/service/accounts.js";
import { listenNotify } from "../test/helpers/notify-listener.js";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../test/helpers/nut-stack.js";

const settleArg = process.argv.indexOf("--settle");
const SETTLE_SEC = settleArg > 0 ? Number(process.argv[settleArg + 1]) : 5;
// what `nutguard` runs (package.json "bin"), from the repository root (npm run sets the working directory)
const MAIN = join(
  process.cwd(),
  (JSON.parse(readFileSync("package.json", "utf8")) as { bin: { nutguard: string } }).bin.nutguard,
);
const UPS_COUNTS = [1, 10];

interface Mem {
  rssKb: number;
  pssKb: number;
  /** Anonymous memory (heaps, stacks): what this process's own code and data cost. */
  anonKb: number;
}

function memOf(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return {
    rssKb: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]),
    pssKb: Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1]),
    anonKb: Number(/^Anonymous:\s+(\d+)/m.exec(rollup)?.[1]),
  };
}

function childPidsOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => (kb / 1024).toFixed(1);

interface Row {
  what: string;
  ups: number;
  processes: [string, Mem][];
}
const rows: Row[] = [];

function upsmonConf(stack: NutStack, n: number, dir: string): string {
  const { user, pass } = stack.users.primary;
  return [
    ...stack.upsNames
      .slice(0, n)
      .map((u) => `MONITOR ${u}@127.0.0.1:${stack.port} 1 ${user} ${pass} primary`),
    `MINSUPPLIES ${n}`,
    "POLLFREQ 1",
    "POLLFREQALERT 1",
    "RUN_AS_USER nut",
    `SHUTDOWNCMD "/bin/true"`,
    `POWERDOWNFLAG ${dir}/killpower`,
    "",
  ].join("\n");
}

/**
 * "split" and "single" run as under systemd (NOTIFY_SOCKET set, so the sd_notify addon is loaded);
 * "single-plain" is `-p` where it is meant to run without systemd (containers, the demo): no NOTIFY_SOCKET,
 * ready once upsd counts its LOGIN on every UPS.
 */
async function measureNutguard(
  stack: NutStack,
  n: number,
  mode: "split" | "single" | "single-plain",
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nutguard-bench-mem-"));
  chmodSync(dir, 0o755);
  const conf = join(dir, "upsmon.conf");
  writeFileSync(conf, upsmonConf(stack, n, dir));
  chownSync(conf, 0, lookupGroupId("nut") ?? 0);
  chmodSync(conf, 0o640);
  const notify = listenNotify(dir);
  const child: ChildProcess = spawn(
    process.execPath,
    [MAIN, "monitor", "-F", ...(mode === "split" ? [] : ["-p"]), "-f", conf],
    {
      env: {
        ...process.env,
        NUT_PIDPATH: join(dir, "run"),
        ...(mode === "single-plain" ? {} : { NOTIFY_SOCKET: notify.path }),
      },
      stdio: "ignore",
    },
  );
  try {
    if (mode === "single-plain") {
      await stack.waitFor(async () => {
        const counts = await Promise.all(
          stack.upsNames.slice(0, n).map((u) => stack.query(`GET NUMLOGINS ${u}`)),
        );
        return counts.every((c) => c.endsWith(" 1"));
      }, 30_000);
    } else await notify.waitFor("READY=1", 30_000);
    await sleep(SETTLE_SEC * 1000);
    const pid = child.pid as number;
    if (mode === "split") {
      const [monitor] = childPidsOf(pid);
      rows.push({
        what: "nutguard (split)",
        ups: n,
        processes: [
          ["supervisor (root)", memOf(pid)],
          ["monitor (nut)", memOf(monitor as number)],
        ],
      });
    } else {
      const what = mode === "single" ? "nutguard -p" : "nutguard -p, no NOTIFY_SOCKET";
      rows.push({ what, ups: n, processes: [["single process", memOf(pid)]] });
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    notify.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureUpsmon(stack: NutStack, n: number): Promise<void> {
  const { user, pass } = stack.users.primary;
  const more = stack.upsNames
    .slice(1, n)
    .map((u) => `MONITOR ${u}@127.0.0.1:${stack.port} 1 ${user} ${pass} primary`);
  const upsmon = await stack.startUpsmon({ role: "primary", extraConfig: [...more, `MINSUPPLIES ${n}`] });
  try {
    await sleep(SETTLE_SEC * 1000);
    const childPid = Number(readFileSync(join(upsmon.dir, "run", "upsmon.pid"), "utf8"));
    rows.push({
      what: "NUT upsmon 2.8.0",
      ups: n,
      processes: [
        ["parent (root)", memOf(upsmon.pid)],
        ["child (nut)", memOf(childPid)],
      ],
    });
  } finally {
    await upsmon.stop();
  }
}

async function measureBareNode(): Promise<void> {
  const idle = [0, 1].map(() =>
    spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)"], { stdio: "ignore" }),
  );
  await sleep(1500);
  rows.push({
    what: "bare idle node ×2",
    ups: 0,
    processes: idle.map((c, i): [string, Mem] => [`node #${i + 1}`, memOf(c.pid as number)]),
  });
  for (const c of idle) c.kill();
}

function report(): void {
  console.log(`\nnode ${process.version}; after READY + ${SETTLE_SEC} s of polling at POLLFREQ 1\n`);
  console.log("| configuration | UPSes | process | RSS MB | PSS MB | anon MB |");
  console.log("|---|---:|---|---:|---:|---:|");
  for (const r of rows) {
    for (const [name, m] of r.processes) {
      console.log(
        `| ${r.what} | ${r.ups || "–"} | ${name} | ${mb(m.rssKb)} | ${mb(m.pssKb)} | ${mb(m.anonKb)} |`,
      );
    }
    if (r.processes.length > 1) {
      const rss = r.processes.reduce((s, [, m]) => s + m.rssKb, 0);
      const pss = r.processes.reduce((s, [, m]) => s + m.pssKb, 0);
      const anon = r.processes.reduce((s, [, m]) => s + m.anonKb, 0);
      console.log(
        `| ${r.what} | ${r.ups || "–"} | **together** | ${mb(rss)} | **${mb(pss)}** | ${mb(anon)} |`,
      );
    }
  }
}

if (process.getuid?.() !== 0) {
  console.error(
    "bench:memory needs root (split mode drops to the nut user; upsmon runs in a private mount namespace)",
  );
  process.exit(1);
}
const baseDev = DEFAULT_DEVICES.dummy?.dev ?? "ups.status: OL\n";
const devices = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`ups${i + 1}`, { dev: baseDev }]));
const stack = await startNutStack({ devices });
try {
  await measureBareNode();
  for (const n of UPS_COUNTS) {
    await measureNutguard(stack, n, "split");
    await measureNutguard(stack, n, "single");
    await measureNutguard(stack, n, "single-plain");
    await measureUpsmon(stack, n);
  }
} finally {
  await stack.stop();
}
report();
