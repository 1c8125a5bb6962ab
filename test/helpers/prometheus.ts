/**
 * Test helper: Debian's real Prometheus (/usr/bin/prometheus, scripts/ensure-test-tools.sh) on a free
 * 127.0.0.1 port, with its TSDB and config in a fresh temporary directory, scraping the given targets
 * every second and evaluating the given rule files every second. Stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./nut-stack.js";
import { request } from "./nutguard-exporter.js";

export const PROMETHEUS = "/usr/bin/prometheus";

export interface Prometheus {
  url: string;
  /** An instant query; resolves with the result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>;
  log(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

export async function startPrometheus(o: {
  targets: string[];
  ruleFiles?: string[];
  job?: string;
}): Promise<Prometheus> {
  if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} missing: run scripts/ensure-test-tools.sh`);
  const dir = await mkdtemp(join(tmpdir(), "nutguard-prometheus-"));
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    ...(o.ruleFiles?.length ? ["rule_files:", ...o.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    "scrape_configs:",
    `  - job_name: ${o.job ?? "nutguard"}`,
    "    static_configs:",
    `      - targets: [${o.targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    "",
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config);
  let log = "";
  let child: ChildProcess | undefined;
  let url = "";
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    child = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    live.add(child);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => (log += d));
    const started = Date.now();
    let ready = false;
    while (Date.now() - started < 20_000 && child.exitCode === null) {
      ready = await request(`${url}-/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (ready) break;
    child.kill("SIGKILL");
    live.delete(child);
    if (attempt >= 3) throw new Error(`prometheus did not become ready:\n${log.slice(-2000)}`);
  }
  const api = async (path: string) => {
    const r = await request(`${url}${path}`);
    const body = JSON.parse(r.body) as { status: string; data: unknown; error?: string };
    if (body.status !== "success") throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  };
  const proc = child!;
  return {
    url,
    query: async (promql) =>
      ((await api(`api/v1/query?query=${encodeURIComponent(promql)}`)) as { result: [] }).result,
    alerts: async () => ((await api("api/v1/alerts")) as { alerts: [] }).alerts,
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
