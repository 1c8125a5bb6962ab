/**
 * `nutguard demo`: the README's first command. In a temporary directory it writes a dummy-ups
 * sequence (on line → on battery → low battery), serves it with nutguard server on a free loopback
 * port, and runs the monitor against it in one process as the primary, with a harmless SHUTDOWNCMD
 * (`touch` of a file in the temp dir). It prints a line whenever the UPS's status, charge or runtime
 * changes and each monitor event as it fires, until the simulated shutdown; then exits 0.
 * No root, no NUT install; Ctrl-C stops it cleanly (exit 130). Thin: wires server/ and monitor/.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseUpsmonConf } from "../config/upsmon-conf.js";
import type { MonitorHandle } from "../monitor/daemon.js";
import type { MonitorListener } from "../monitor/events.js";
import { performPrivilegedShutdown } from "../monitor/privileged-shutdown.js";
import { type RunningServer, startServer } from "../server/server.js";
import { composeMonitor } from "../service/compose-monitor.js";
import { wireSignals } from "../service/monitor-signals.js";
import { createMemoryLogger, createStderrLogger, type Logger } from "../util/log.js";

const USAGE = `Usage: nutguard demo [--step-sec N] [--verbose]

Runs a simulated UPS through a power failure (on line, on battery, low battery) on an embedded
NUT server, with the nutguard monitor watching it as the primary, and shows what happens until the
simulated shutdown. Needs no root and no NUT installation; everything lives in a temporary directory.

  --step-sec N   seconds between the steps of the power failure (default 3)
  --verbose      also show the server's and the monitor's own log lines
  -h, --help     show this help
`;

const UPS = "demo";

/** The power failure, as a dummy-ups .seq file: each TIMER is one step. */
function sequence(stepSec: number): string {
  const step = (lines: string[]) => [...lines, `TIMER ${stepSec}`];
  return [
    "ups.mfr: nutguard",
    "ups.model: Demo UPS 1500",
    "ups.load: 35",
    ...step(["ups.status: OL CHRG", "battery.charge: 100", "battery.runtime: 2400", "input.voltage: 230.0"]),
    ...step(["ups.status: OB DISCHRG", "input.voltage: 0.0", "battery.charge: 78", "battery.runtime: 1500"]),
    ...step(["battery.charge: 51", "battery.runtime: 840"]),
    ...step(["battery.charge: 32", "battery.runtime: 420"]),
    "ups.status: OB LB DISCHRG",
    "battery.charge: 15",
    "battery.runtime: 180",
    "TIMER 3600",
    "",
  ].join("\n");
}

function parseArgs(
  argv: string[],
): { stepSec: number; verbose: boolean } | { help: true } | { error: string } {
  let stepSec = 3;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return { help: true };
    if (a === "--verbose" || a === "-v") verbose = true;
    else if (a === "--step-sec") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 60)
        return { error: "--step-sec needs a whole number from 1 to 60" };
      stepSec = n;
    } else return { error: `unknown option ${a}` };
  }
  return { stepSec, verbose };
}

function formatRuntime(value: string | undefined): string {
  const sec = Number(value);
  if (!Number.isFinite(sec)) return "?";
  return `${Math.floor(sec / 60)}m${String(Math.floor(sec % 60)).padStart(2, "0")}s`;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if ("help" in args) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ("error" in args) {
    process.stderr.write(`nutguard demo: ${args.error}\n\n${USAGE}`);
    return 2;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // The server's and monitor's own log lines: shown live with --verbose, otherwise kept and shown
  // only if the demo fails.
  const kept = createMemoryLogger(0);
  const log: Logger = args.verbose ? createStderrLogger({ priorityPrefix: false, prefix: "demo" }) : kept;
  const showKeptLog = () => {
    for (const l of kept.lines) process.stderr.write(`demo: ${l.message}\n`);
  };

  const dir = await mkdtemp(join(tmpdir(), "nutguard-demo-"));
  const password = randomBytes(9).toString("hex");
  const shutdownMarker = join(dir, "shutdown-ran");
  let server: RunningServer | undefined;
  let monitor: MonitorHandle | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let interrupted = false;
  const unwireSignals = wireSignals({
    stop: () => {
      if (interrupted) return;
      interrupted = true;
      out("\nInterrupted: stopping the demo.");
      void monitor?.stop();
    },
  });

  try {
    await writeFile(join(dir, "demo.seq"), sequence(args.stepSec));
    await writeFile(
      join(dir, "ups.conf"),
      // nutguard_instcmds: the demo's load.off / test.battery.* change ups.status (nutguard's opt-in)
      `[${UPS}]\n\tdriver = dummy-ups\n\tport = ${join(dir, "demo.seq")}\n\tdesc = "nutguard demo UPS"\n\tnutguard_instcmds = yes\n`,
    );
    await writeFile(join(dir, "upsd.conf"), "LISTEN 127.0.0.1 0\n");
    await writeFile(join(dir, "upsd.users"), `[demo-monitor]\n\tpassword = ${password}\n\tupsmon primary\n`);
    server = await startServer({ confPath: dir, log: log.child("server") });
    const port = server.addresses[0]!.port;
    const system = `${UPS}@127.0.0.1:${port}`;

    const confFile = join(dir, "upsmon.conf");
    const parsed = parseUpsmonConf(
      [
        `MONITOR ${system} 1 demo-monitor ${password} primary`,
        "MINSUPPLIES 1",
        `SHUTDOWNCMD "touch ${shutdownMarker}"`,
        `POWERDOWNFLAG ${join(dir, "killpower")}`,
        "POLLFREQ 1",
        "POLLFREQALERT 1",
        "HOSTSYNC 2",
        "FINALDELAY 0",
        "",
      ].join("\n"),
      confFile,
    );
    if (parsed.fatal) throw new Error(parsed.fatal);
    const config = parsed.config;

    const started = Date.now();
    const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
    out(`nutguard demo: a simulated UPS "${UPS}" served by nutguard server on 127.0.0.1:${port},`);
    out(
      `watched by the nutguard monitor as primary (POLLFREQ 1). SHUTDOWNCMD is harmless: touch ${shutdownMarker}`,
    );
    out(`Power fails in ${args.stepSec} s; the battery runs low ${4 * args.stepSec} s after start.`);
    out("");

    const ups = server.model.findUps(UPS)!;
    let lastLine = "";
    const showStatus = () => {
      const v = (name: string) => ups.sim.getVar(name)?.value;
      const status = (ups.fsd ? "FSD " : "") + (v("ups.status") ?? "?");
      const line = `${status.padEnd(18)} charge ${(v("battery.charge") ?? "?").padStart(3)}%  runtime ${formatRuntime(v("battery.runtime")).padStart(7)}  input ${v("input.voltage") ?? "?"} V`;
      if (line !== lastLine) {
        lastLine = line;
        out(`${stamp()} UPS    ${line}`);
      }
    };
    showStatus();
    ticker = setInterval(showStatus, 100);

    // the demo's terminal is a subscriber of the monitor's events (instead of NOTIFYFLAG delivery)
    const showEvents: MonitorListener = (e) => {
      if (e.kind !== "notification") return;
      showStatus();
      out(`${stamp()} EVENT  ${e.type}: ${e.message}`);
    };
    monitor = composeMonitor({
      config,
      log: log.child("monitor"),
      notifier: null,
      listeners: [showEvents],
      linkOptions: { connectTimeoutMs: 5000 },
      host: {
        async requestShutdown() {
          showStatus();
          out(
            `${stamp()} ACTION SHUTDOWNCMD: touch ${shutdownMarker}  (a real setup powers the machine off here)`,
          );
          await performPrivilegedShutdown(
            { shutdownCmd: config.shutdownCmd, powerDownFlag: config.powerDownFlag },
            log,
          );
        },
        ready: () => {},
        status: () => {},
        heartbeat: () => {},
      },
    });
    if (interrupted) void monitor.stop();
    const safety = setTimeout(
      () => {
        out("The simulated shutdown did not happen in time: stopping.");
        void monitor?.stop();
      },
      120_000 + 8 * args.stepSec * 1000,
    );
    const exit = await monitor.done;
    clearTimeout(safety);
    clearInterval(ticker);
    if (interrupted) return 130;
    if (exit.reason === "shutdown" && existsSync(shutdownMarker)) {
      out("");
      out(
        `Simulated shutdown complete after ${((Date.now() - started) / 1000).toFixed(1)} s: the monitor saw the power`,
      );
      out("fail, the battery run low, set FSD on the UPS and ran SHUTDOWNCMD. Nothing was really shut down.");
      return 0;
    }
    out(`The demo ended without the simulated shutdown (${exit.reason}).`);
    showKeptLog();
    return 1;
  } catch (err) {
    showKeptLog();
    process.stderr.write(`nutguard demo: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (ticker) clearInterval(ticker);
    unwireSignals();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
