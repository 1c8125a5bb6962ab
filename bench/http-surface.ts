/**
 * Benchmark (npm run bench:http): the HTTP surface of `nutguard exporter` against a real upsd with
 * Debian's dummy-ups, with 1 and 100 UPSes, in one run:
 *  1. /metrics scrape latency (p50/p99 of SCRAPES sequential scrapes over keep-alive) — a scrape is
 *     rendered from the last poll round and never talks to upsd;
 *  2. the same data fetched nut_exporter-style, per UPS per scrape (connect, LIST VAR, LOGOUT: what
 *     DRuggeri/nut_exporter does for each UPS it is asked about), with nutguard's client and with C
 *     `upsc` (NUT's own, one process per UPS), and the upsd round trips each costs per scrape;
 *  3. RSS added by the HTTP surface: the poller alone vs the poller + HTTP after the scrapes, 50
 *     event-stream clients and 200 status-page loads (both after a forced GC).
 * Prints figures; asserts nothing. Needs root and Debian's nut-server/nut-client.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { NutClient } from "../src/client/index.js";
import { type NutStack, startNutStack } from "../test/helpers/nut-stack.js";

delete process.env.NODE_EXTRA_CA_CERTS;
const SCRAPES = Number(process.env.SCRAPES ?? 2000);
const SWEEPS = Number(process.env.SWEEPS ?? 20);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const ms = (v: number) => `${v.toFixed(2)} ms`;

const DEV = (i: number) =>
  `device.mfr: Bench\ndevice.model: Bench UPS ${i}\ndevice.serial: B${i}\nups.status: OL\nups.load: 23\nbattery.charge: 100\nbattery.runtime: 3000\ninput.voltage: 230.0\noutput.voltage: 230.0\nups.realpower: 120\nups.power: 150\n`;

async function child(bundle: string, mode: string, target: string, nodeFlags: string[] = []) {
  const proc: ChildProcess = spawn(
    process.execPath,
    ["--expose-gc", ...nodeFlags, bundle, mode, target, "2"],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: proc.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once("line", resolve));
  const ready = await next();
  return {
    port: Number(ready.split(" ")[1]),
    rssKb: async (when = "at the end") => {
      proc.stdin!.write("rss\n");
      const line = await next();
      process.stderr.write(`${mode}${nodeFlags.length ? ` ${nodeFlags.join(" ")}` : ""} ${when}: ${line}\n`);
      return Number(line.split(" ")[1]);
    },
    stop: () => proc.kill("SIGKILL"),
  };
}

function get(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: "127.0.0.1", port, path, agent }, (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve(performance.now() - t0));
      })
      .on("error", reject);
  });
}

/** Warm-up, SCRAPES timed scrapes, then 50 event-stream clients held open and 200 page loads. */
async function load(port: number, phase: (name: string) => Promise<unknown>): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 200; i++) await get(agent, port, "/metrics");
  const lat: number[] = [];
  for (let i = 0; i < SCRAPES; i++) lat.push(await get(agent, port, "/metrics"));
  await phase("after the scrapes");
  const streams: http.ClientRequest[] = [];
  for (let i = 0; i < 50; i++)
    streams.push(http.get({ host: "127.0.0.1", port, path: "/api/v1/events/stream" }));
  await phase("after 50 streams opened");
  for (let i = 0; i < 200; i++) await get(agent, port, "/");
  await phase("after 200 page loads");
  agent.destroy();
  // the streams stay open until the process is measured and killed
  return lat;
}

async function perUpsSweep(stack: NutStack): Promise<number> {
  const t0 = performance.now();
  for (const ups of stack.upsNames) {
    const c = await NutClient.connect({ host: "127.0.0.1", port: stack.port });
    await c.listVar(ups);
    await c.close();
  }
  return performance.now() - t0;
}

function upscSweep(stack: NutStack): number {
  const t0 = performance.now();
  for (const ups of stack.upsNames)
    spawnSync("/usr/bin/upsc", [`${ups}@127.0.0.1:${stack.port}`], { stdio: "ignore" });
  return performance.now() - t0;
}

async function run(n: number, bundle: string): Promise<string[]> {
  // ups.conf entries only; the drivers are started 10 at a time (100 at once miss the harness's 10 s
  // per driver on a busy machine)
  const devices = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`ups${i}`, { dev: DEV(i), driver: "none" as const }]),
  );
  const stack = await startNutStack({ devices });
  for (let i = 0; i < n; i += 10)
    await Promise.all(stack.upsNames.slice(i, i + 10).map((u) => stack.startDriver(u)));
  try {
    const target = `*@127.0.0.1:${stack.port}`;
    const bare = await child(bundle, "poller", target);
    const withHttp = await child(bundle, "http", target);
    const small = await child(bundle, "http", target, ["--max-semi-space-size=1"]);
    await new Promise((r) => setTimeout(r, 3000));
    const body = await new Promise<string>((resolve) => {
      http.get({ host: "127.0.0.1", port: withHttp.port, path: "/metrics" }, (res) => {
        let b = "";
        res.on("data", (d) => (b += d));
        res.on("end", () => resolve(b));
      });
    });
    const lat = await load(withHttp.port, (when) => withHttp.rssKb(when));
    const latSmall = await load(small.port, (when) => small.rssKb(when));
    await new Promise((r) => setTimeout(r, 1000));
    const rssBare = await bare.rssKb();
    const rssHttp = await withHttp.rssKb();
    const rssSmall = await small.rssKb();
    for (const c of [bare, withHttp, small]) c.stop();
    const mb = (kb: number) => `+${((kb - rssBare) / 1024).toFixed(1)} MB`;
    const sweeps: number[] = [];
    for (let i = 0; i < SWEEPS; i++) sweeps.push(await perUpsSweep(stack));
    const upsc: number[] = [];
    for (let i = 0; i < Math.max(3, Math.floor(SWEEPS / 4)); i++) upsc.push(upscSweep(stack));
    return [
      `| ${n} | ${Math.round(body.length / 1024)} KiB, ${body.split("\n").filter((l) => l && !l.startsWith("#")).length} samples | ${ms(pct(lat, 0.5))} / ${ms(pct(lat, 0.99))} | 0 | ${ms(pct(sweeps, 0.5))} / ${ms(pct(sweeps, 0.99))} | ${ms(pct(upsc, 0.5))} | ${3 * n} | ${rssBare} kB; ${mb(rssHttp)}; ${mb(rssSmall)} (semi-space 1 MB: scrape p50 / p99 ${ms(pct(latSmall, 0.5))} / ${ms(pct(latSmall, 0.99))}) |`,
    ];
  } finally {
    await stack.stop();
  }
}

const bundle = "node_modules/.cache/nutguard-bench/http-surface-child.mjs";
await build({
  entryPoints: ["bench/http-surface-child.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  outfile: bundle,
  logLevel: "warning",
});
const rows: string[] = [];
for (const n of (process.env.UPSES ?? "1,100").split(",").map(Number)) rows.push(...(await run(n, bundle)));
console.log(
  [
    `HTTP surface (nutguard exporter, poll every 2 s) vs per-UPS polling, real upsd 2.8.0 + dummy-ups, ${SCRAPES} scrapes, ${SWEEPS} sweeps`,
    "",
    "| UPSes | /metrics size | scrape p50 / p99 | upsd round trips per scrape | nut_exporter-style sweep (nutguard client) p50 / p99 | same with C upsc (one process per UPS) p50 | upsd round trips per sweep | RSS: poller alone; added by HTTP (after the load, 50 streams open); added with --max-semi-space-size=1 (as units/nutguard-exporter.service runs it) |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n"),
);
