/**
 * nutguard server against Debian's real upsd 2.8.0 (with dummy-ups) serving the same .dev file, in
 * one run:
 *   1. pipelined `GET VAR` throughput: 4 connections, each sending batches of 500 requests and
 *      waiting for the 500 replies, for a few seconds; replies per second;
 *   2. 1,000 concurrent clients, each polling `GET VAR` once a second (spread over the second):
 *      latency percentiles, clients that got every reply, server RSS;
 *   3. 10,000 concurrent clients against nutguard alone (MAXCONN 20000, file-descriptor limit raised).
 * Both servers run as their own processes; this process is only the load. Figures only: nothing
 * here passes or fails.
 *
 * Run (as root, NUT installed): npm run bench:server   [-- --seconds N]
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DEFAULT_DEVICES, freePort, startNutStack } from "../test/helpers/nut-stack.js";
import { writeConfDir } from "../test/server/server-fixture.js";

const secondsArg = process.argv.indexOf("--seconds");
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
const REQUEST = "GET VAR dummy ups.status\n";
const FD_NEEDED = 10_500;

// 10,000 clients need more descriptors than the usual soft limit: re-run under a raised one.
const fdLimit = Number(spawnSync("sh", ["-c", "ulimit -n"]).stdout.toString().trim());
if (fdLimit < FD_NEEDED && !process.env.NUTGUARD_BENCH_REEXEC) {
  const hard = spawnSync("sh", ["-c", "ulimit -Hn"]).stdout.toString().trim();
  console.log(`raising the file-descriptor limit from ${fdLimit} to ${hard} and re-running`);
  const r = spawnSync(
    "sh",
    ["-c", `ulimit -n ${hard} && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)],
    {
      stdio: "inherit",
      env: { ...process.env, NUTGUARD_BENCH_REEXEC: "1" },
    },
  );
  process.exit(r.status ?? 1);
}

const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? (Number(m[1]) / 1024).toFixed(1) : "?";
};
const pct = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2) : "-";

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.setNoDelay(true);
    s.once("error", reject);
  });
}

/** Count LF bytes in each chunk and call back once `n` more lines have arrived. */
function lineCounter(s: net.Socket) {
  let seen = 0;
  let waiting: { target: number; resolve: () => void } | undefined;
  s.on("data", (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) seen++;
    if (waiting && seen >= waiting.target) {
      const w = waiting;
      waiting = undefined;
      w.resolve();
    }
  });
  return {
    get seen() {
      return seen;
    },
    until(target: number) {
      return new Promise<void>((resolve) => {
        if (seen >= target) resolve();
        else waiting = { target, resolve };
      });
    },
  };
}

async function pipelined(port: number): Promise<number> {
  const conns = 4;
  const batch = 500;
  const payload = REQUEST.repeat(batch);
  let total = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      const s = await connect(port);
      const counter = lineCounter(s);
      let sent = 0;
      while (performance.now() < end) {
        s.write(payload);
        sent += batch;
        await counter.until(sent);
        total += batch;
      }
      s.destroy();
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

interface PollFigures {
  connected: number;
  servedAll: number;
  replies: number;
  expected: number;
  latencies: number[];
}

async function pollingClients(port: number, clients: number, seconds: number): Promise<PollFigures> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < clients; i += 500) {
    const group = await Promise.allSettled(
      Array.from({ length: Math.min(500, clients - i) }, () => connect(port)),
    );
    for (const g of group) if (g.status === "fulfilled") sockets.push(g.value);
  }
  const latencies: number[] = [];
  const got = new Array<number>(sockets.length).fill(0);
  const pending: number[][] = sockets.map(() => []);
  sockets.forEach((s, i) => {
    s.on("error", () => {});
    s.on("data", (chunk: Buffer) => {
      const now = performance.now();
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) {
        const sentAt = pending[i]!.shift();
        if (sentAt !== undefined) latencies.push(now - sentAt);
        got[i]!++;
      }
    });
  });
  // each client polls once a second; client i at offset (i / clients) of each second
  const tickMs = 10;
  const perTick = Math.max(1, Math.ceil((sockets.length * tickMs) / 1000));
  let next = 0;
  let sentTotal = 0;
  const rounds = seconds * (1000 / tickMs);
  for (let r = 0; r < rounds; r++) {
    const tickStart = performance.now();
    for (let k = 0; k < perTick && sockets.length > 0; k++) {
      const i = next;
      next = (next + 1) % sockets.length;
      pending[i]!.push(performance.now());
      sockets[i]!.write(REQUEST);
      sentTotal++;
    }
    const wait = tickMs - (performance.now() - tickStart);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
  await new Promise((res) => setTimeout(res, 1000)); // let the last replies arrive
  const sentPer = new Array<number>(sockets.length).fill(0);
  for (let k = 0; k < sentTotal; k++) sentPer[k % sockets.length]!++;
  const servedAll = got.filter((n, i) => n >= sentPer[i]! && sentPer[i]! > 0).length;
  for (const s of sockets) s.destroy();
  latencies.sort((a, b) => a - b);
  return {
    connected: sockets.length,
    servedAll,
    replies: got.reduce((a, b) => a + b, 0),
    expected: sentTotal,
    latencies,
  };
}

function printPoll(label: string, f: PollFigures, rss: string) {
  const l = f.latencies;
  console.log(
    `${label.padEnd(24)} connected ${String(f.connected).padStart(5)}  all replies ${String(f.servedAll).padStart(5)}  ` +
      `replies ${f.replies}/${f.expected}  latency ms p50 ${pct(l, 0.5)} p90 ${pct(l, 0.9)} p99 ${pct(l, 0.99)} max ${pct(l, 1)}  RSS ${rss} MiB`,
  );
}

async function startNutguard(dir: string, port: number, maxConn: number): Promise<ChildProcess> {
  writeFileSync(join(dir, "upsd.conf"), `LISTEN 127.0.0.1 ${port}\nMAXCONN ${maxConn}\n`);
  const main = join(import.meta.dirname ?? ".", "../dist/cli/main.js");
  const script = existsSync(main) ? main : join(process.cwd(), "dist/cli/main.js");
  const child = spawn(process.execPath, [script, "server"], {
    env: { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 100; i++) {
    try {
      (await connect(port)).destroy();
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error("nutguard server did not start");
}

const dir = await mkdtemp(join(tmpdir(), "nutguard-bench-server-"));
const stack = await startNutStack({ devices: { dummy: DEFAULT_DEVICES.dummy! } });
let ours: ChildProcess | undefined;
try {
  await writeConfDir(dir, { dummy: DEFAULT_DEVICES.dummy! });
  const port = await freePort();
  ours = await startNutguard(dir, port, 20_000);
  const upsdPid = Number(readFileSync(join(stack.dir, "run", "upsd.pid"), "utf8"));
  console.log(
    `node ${process.version}; upsd 2.8.0 on :${stack.port} (pid ${upsdPid}), nutguard server on :${port} (pid ${ours.pid})`,
  );
  console.log(`\n1. pipelined GET VAR, 4 connections x batches of 500, ${SECONDS} s each`);
  const upsdRate = await pipelined(stack.port);
  console.log(`   upsd 2.8.0       ${upsdRate.toFixed(0).padStart(9)} replies/s`);
  const oursRate = await pipelined(port);
  console.log(
    `   nutguard server  ${oursRate.toFixed(0).padStart(9)} replies/s   (${(oursRate / upsdRate).toFixed(1)}x upsd)`,
  );

  console.log(`\n2. 1,000 clients, each GET VAR once a second, ${SECONDS * 2} s`);
  printPoll("   upsd 2.8.0", await pollingClients(stack.port, 1000, SECONDS * 2), rssMiB(upsdPid));
  printPoll("   nutguard server", await pollingClients(port, 1000, SECONDS * 2), rssMiB(ours.pid!));

  console.log(`\n3. 10,000 clients against nutguard server alone, ${SECONDS * 2} s`);
  printPoll("   nutguard server", await pollingClients(port, 10_000, SECONDS * 2), rssMiB(ours.pid!));
  await new Promise((r) => setTimeout(r, 500));
  console.log(`   nutguard server RSS after the clients left: ${rssMiB(ours.pid!)} MiB`);
} finally {
  if (ours && ours.exitCode === null) {
    ours.kill("SIGTERM");
    await new Promise((r) => ours!.once("exit", r));
  }
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
