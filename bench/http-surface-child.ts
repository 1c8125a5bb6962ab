/**
 * Child process of bench/http-surface.ts: runs the exporter's poller alone, or the poller with the HTTP
 * surface (history in memory), so the parent can compare their RSS. Prints `READY <port>` once the
 * first round is done; on a stdin line `rss` it collects garbage and prints `RSS <kB>`.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { getHeapSpaceStatistics } from "node:v8";
import { parseTarget } from "../src/exporter/exporter-conf.js";
import { ExporterPoller } from "../src/exporter/poller.js";
import { HistoryStore } from "../src/history/store.js";
import { parseListen } from "../src/http/http-conf.js";
import { startHttpSurface } from "../src/http/server.js";
import { createStderrLogger } from "../src/util/log.js";

const [mode, targetText, interval] = process.argv.slice(2);
const log = createStderrLogger({ priorityPrefix: false });
const target = parseTarget(targetText!);
if ("error" in target) throw new Error(target.error);
const poller = new ExporterPoller({ targets: [target], intervalSec: Number(interval ?? 5), log });
let port = 0;
if (mode === "http") {
  const l = parseListen("127.0.0.1:0");
  if ("error" in l) throw new Error(l.error);
  const history = new HistoryStore({ dir: "/nonexistent", hours: 24 }, log, Date.now, false);
  const s = await startHttpSurface({
    view: poller,
    history,
    listen: [l],
    credentials: {},
    log,
    maxStreamClients: 200,
  });
  port = s.addresses[0]!.port;
}
await poller.start();
process.stdout.write(`READY ${port}\n`);
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "rss") {
    (globalThis as { gc?: () => void }).gc?.();
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    // where it goes: V8's spaces (committed), and memory outside the JS heap
    const mb = (b: number) => (b / 1048576).toFixed(1);
    const u = process.memoryUsage();
    const spaces = getHeapSpaceStatistics()
      .filter((x) => x.space_size > 512 * 1024)
      .map((x) => `${x.space_name.replace("_space", "")}=${mb(x.space_size)}`)
      .join(",");
    process.stdout.write(
      `RSS ${m?.[1]} heap=${mb(u.heapTotal)}(${spaces}) external=${mb(u.external)} arrayBuffers=${mb(u.arrayBuffers)}\n`,
    );
  } else if (line === "exit") process.exit(0);
});
