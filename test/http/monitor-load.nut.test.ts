/**
 * HTTP load never delays monitoring: `nutguard monitor -p --http` against a real upsd goes OB → OB LB
 * twice, once idle and once while /metrics is hammered by four keep-alive loops and 50 event-stream
 * clients are held open. The monitor's own events (its clock, read from the event stream) must show
 * the same sequence — notifications and shutdown phases — and the same time from the low-battery
 * status to the shutdown command, within one poll interval.
 */

import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { openStream } from "../helpers/nutguard-exporter.js";
import { setUpsStatus, startNutguardMonitor } from "../helpers/nutguard-monitor.js";

const POLL_SEC = 1;
const FINAL_DELAY_SEC = 2;
let stack: NutStack;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-monitor-load-"));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Ev {
  kind: string;
  timeMs: number;
  type?: string;
  phase?: string;
  current?: string[];
}

/** One power failure (OB, then OB LB) watched through the event stream; with `load`, under HTTP load. */
async function powerFailure(load: boolean) {
  stack = await startNutStack({ devices: { dummy: DEFAULT_DEVICES.dummy! } });
  const conf = join(dir, `nutguard-${load}.conf`);
  await writeFile(conf, `[history]\n  dir = ${join(dir, `state-${load}`)}\n`);
  const mon = await startNutguardMonitor(stack, {
    role: "primary",
    pollFreqSec: POLL_SEC,
    finalDelaySec: FINAL_DELAY_SEC,
    args: ["-p", "-D", "--http", "127.0.0.1:0", "-C", conf],
  });
  let stop = false;
  let scrapes = 0;
  const streams: ReturnType<typeof openStream>[] = [];
  try {
    await stack.waitFor(async () =>
      /http: listening on http:\/\/127\.0\.0\.1:\d+\//.test(readFileSync(mon.log, "utf8")),
    );
    const port = Number(
      /http: listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(readFileSync(mon.log, "utf8"))![1],
    );
    const watch = openStream(`http://127.0.0.1:${port}/api/v1/events/stream`);
    streams.push(watch);
    await stack.waitFor(async () => watch.events.some((e) => e.event === "round"));
    const hammers: Promise<void>[] = [];
    if (load) {
      for (let i = 0; i < 49; i++) streams.push(openStream(`http://127.0.0.1:${port}/api/v1/events/stream`));
      for (let h = 0; h < 4; h++) {
        hammers.push(
          (async () => {
            const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
            while (!stop) {
              await new Promise<void>((resolve) =>
                http
                  .get({ host: "127.0.0.1", port, path: "/metrics", agent }, (r) => {
                    r.resume();
                    r.on("end", () => resolve());
                  })
                  .on("error", () => resolve()),
              );
              scrapes++;
            }
            agent.destroy();
          })(),
        );
      }
      await stack.waitFor(async () => streams.every((s) => s.status() === 200));
    }
    await setUpsStatus(stack, "dummy", "OB DISCHRG");
    await stack.waitFor(async () => mon.events().some((e) => e.startsWith("ONBATT")));
    await setUpsStatus(stack, "dummy", "OB LB DISCHRG");
    await stack.waitFor(async () => mon.shutdowns().length > 0, 20_000);
    await stack.waitFor(async () =>
      watch.events.some((e) => e.event === "shutdown" && (e.data as Ev).phase === "shutdowncmd-requested"),
    );
    stop = true;
    await Promise.all(hammers);
    const events = watch.events.map((e) => e.data as Ev);
    return {
      events,
      scrapes,
      clients: streams.filter((s) => s.status() === 200).length,
      notify: mon.events(),
    };
  } finally {
    stop = true;
    for (const s of streams) s.close();
    await mon.stop();
    await stack.stop();
  }
}

/**
 * What must not change: notifications and shutdown phases, in order, up to the shutdown command (the
 * events are read until it is requested; whether `done` arrived before the stream was read is a race).
 */
const sequence = (evs: Ev[]) => {
  const seq = evs
    .filter((e) => e.kind === "notification" || e.kind === "shutdown")
    .map((e) => `${e.kind}:${e.type ?? e.phase}`);
  const cmd = seq.indexOf("shutdown:shutdowncmd-requested");
  return cmd < 0 ? seq : seq.slice(0, cmd + 1);
};

function lowBatteryToShutdownMs(evs: Ev[]): number {
  const lb = evs.find((e) => e.kind === "status" && e.current?.includes("LB"))!;
  const cmd = evs.find((e) => e.kind === "shutdown" && e.phase === "shutdowncmd-requested")!;
  return cmd.timeMs - lb.timeMs;
}

it("the shutdown happens with the same events and timing under HTTP load", async () => {
  const idle = await powerFailure(false);
  const loaded = await powerFailure(true);
  expect(loaded.clients).toBe(50);
  expect(loaded.scrapes).toBeGreaterThan(100);
  expect(sequence(idle.events)).toContain("shutdown:shutdowncmd-requested");
  expect(sequence(loaded.events)).toEqual(sequence(idle.events));
  // NOTIFYCMD runs are separate processes that append as they finish: same set, order from the stream above
  const delivered = (n: string[]) => n.map((l) => l.split(" ")[0]).sort();
  expect(delivered(loaded.notify)).toEqual(delivered(idle.notify));
  const a = lowBatteryToShutdownMs(idle.events);
  const b = lowBatteryToShutdownMs(loaded.events);
  console.log(
    `OB LB → SHUTDOWNCMD: idle ${a} ms, under load ${b} ms (${loaded.scrapes} scrapes, 50 streams)`,
  );
  expect(a).toBeGreaterThanOrEqual(FINAL_DELAY_SEC * 1000);
  expect(Math.abs(b - a)).toBeLessThan(POLL_SEC * 1000);
}, 120_000);
