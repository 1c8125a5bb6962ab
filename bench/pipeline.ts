/**
 * GET VAR throughput over one connection against a real upsd (private stack from the test harness):
 * NutClient pipelined (all requests issued without awaiting) beside one request per round trip
 * (what NUT's C library does), measured in the same run, plus the peer's own ceiling measured with a
 * bare socket (no parsing, no promises) both ways. Prints figures; asserts nothing.
 *
 * Run: npm run bench:pipeline   (root: the harness starts /lib/nut/upsd and dummy-ups)
 * Env: BENCH_PIPELINED (default 200000), BENCH_DEPTH (requests kept outstanding, default 1000),
 * BENCH_SEQUENTIAL (default 10000), BENCH_ROUNDS (default 3; each figure is the best round),
 * BENCH_MAX_IN_FLIGHT (the client's maxInFlight: requests written ahead of the replies; default 100).
 */
import net from "node:net";
import { NutClient } from "../src/client/index.js";
import { startNutStack } from "../test/helpers/nut-stack.js";

const PIPELINED = Number(process.env.BENCH_PIPELINED ?? 200_000);
const DEPTH = Number(process.env.BENCH_DEPTH ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 10_000);
const LINE = "GET VAR dummy ups.status\n";
const MAX_IN_FLIGHT = process.env.BENCH_MAX_IN_FLIGHT ? Number(process.env.BENCH_MAX_IN_FLIGHT) : undefined;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function clientSequential(c: NutClient, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if ((await c.getVar("dummy", "ups.status")) !== "OL") throw new Error("unexpected value");
  }
  return n / seconds(t0);
}

/** Pipelined: `depth` requests outstanding at all times, each issued without awaiting the others. */
async function clientPipelined(c: NutClient, n: number, depth: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  let issued = 0;
  let answered = 0;
  await new Promise<void>((resolve, reject) => {
    const onValue = (v: string) => {
      if (v !== "OL") return reject(new Error("unexpected value"));
      answered++;
      if (issued < n) issue();
      else if (answered === n) resolve();
    };
    const issue = () => {
      issued++;
      c.getVar("dummy", "ups.status").then(onValue, reject);
    };
    while (issued < Math.min(depth, n)) issue();
  });
  return n / seconds(t0);
}

/** All `n` requests issued at once, then awaited together (memory-heavy: every promise is alive). */
async function clientAllAtOnce(c: NutClient, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const calls: Promise<string>[] = new Array(n);
  for (let i = 0; i < n; i++) calls[i] = c.getVar("dummy", "ups.status");
  const values = await Promise.all(calls);
  const rate = n / seconds(t0);
  if (values.some((v) => v !== "OL")) throw new Error("unexpected value");
  return rate;
}

/** The peer alone: a bare socket that writes lines and counts reply LFs. */
async function rawRate(port: number, n: number, pipelined: boolean): Promise<number> {
  const sock = net.connect({ host: "127.0.0.1", port });
  sock.setNoDelay(true);
  await new Promise<void>((r) => sock.once("connect", () => r()));
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    let answered = 0;
    sock.on("data", (d: Buffer) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) answered++;
      if (answered >= n) resolve();
      else if (!pipelined) sock.write(LINE);
    });
    if (pipelined) sock.write(LINE.repeat(n));
    else sock.write(LINE);
  });
  const rate = n / seconds(t0);
  sock.destroy();
  return rate;
}

const fmt = (r: number) => `${Math.round(r).toLocaleString("en-US")} req/s`;

const stack = await startNutStack({ devices: { dummy: { dev: "ups.status: OL\n" } } });
try {
  const c = await NutClient.connect({
    host: stack.host,
    port: stack.port,
    requestTimeoutMs: 60_000,
    maxInFlight: MAX_IN_FLIGHT,
  });
  await clientPipelined(c, 20_000, DEPTH); // warm-up (JIT, socket buffers)
  await clientSequential(c, 1_000);
  // best of ROUNDS for every figure, rounds interleaved, so a busy moment on the machine hits both sides
  let seq = 0;
  let pipe = 0;
  let allAtOnce = 0;
  let rawSeq = 0;
  let rawPipe = 0;
  for (let round = 0; round < ROUNDS; round++) {
    seq = Math.max(seq, await clientSequential(c, SEQUENTIAL));
    pipe = Math.max(pipe, await clientPipelined(c, PIPELINED, DEPTH));
    allAtOnce = Math.max(allAtOnce, await clientAllAtOnce(c, PIPELINED));
    rawSeq = Math.max(rawSeq, await rawRate(stack.port, SEQUENTIAL, false));
    rawPipe = Math.max(rawPipe, await rawRate(stack.port, PIPELINED, true));
  }
  await c.close();
  const n = (x: number) => x.toLocaleString("en-US");
  console.log(
    `GET VAR over one connection to upsd ${stack.host}:${stack.port} (real upsd 2.8.0, dummy-ups; best of ${ROUNDS} rounds)`,
  );
  console.log(`  NutClient, one request per round trip : ${fmt(seq)}  (${n(SEQUENTIAL)} requests)`);
  console.log(
    `  NutClient, pipelined                  : ${fmt(pipe)}  (${n(PIPELINED)} requests, ${n(DEPTH)} outstanding, maxInFlight ${MAX_IN_FLIGHT ?? "100 (default)"})`,
  );
  console.log(`  ratio pipelined / one at a time       : ${(pipe / seq).toFixed(1)}x`);
  console.log(
    `  NutClient, all issued at once         : ${fmt(allAtOnce)}  (${n(PIPELINED)} promises alive together)`,
  );
  console.log(`  peer alone (bare socket), one at a time: ${fmt(rawSeq)}`);
  console.log(`  peer alone (bare socket), all at once  : ${fmt(rawPipe)}`);
} finally {
  await stack.stop();
}
