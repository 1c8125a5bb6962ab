/**
 * `nutguard demo`: the README's first command, a drill (src/drill) on a built-in example configuration.
 * It writes the example's upsmon.conf, upssched.conf and nutguard.conf to a temporary directory, runs
 * the drill's outage on them — a simulated twin of a "demo" UPS on the embedded server, the real
 * monitor code on simulated time, nothing run, written or sent — and shows the timeline paced in real
 * time for a human (`--step-sec`), then the findings. No root, no NUT install, no network beyond
 * loopback; Ctrl-C stops it cleanly (exit 130). Thin: the engine is the drill's.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDrill } from "../drill/drill.js";
import type { DrillReport, TwinProfile } from "../drill/drill-types.js";
import { formatOffset, renderFinding, renderTimeline } from "../drill/timeline.js";
import { wireSignals } from "../service/monitor-signals.js";
import { createMemoryLogger, createStderrLogger, type Logger } from "../util/log.js";

const USAGE = `Usage: nutguard demo [--step-sec N] [--verbose]

A shutdown fire drill on a built-in example configuration: a simulated UPS loses its mains, the real
nutguard monitor code watches it as the primary on simulated time (20 minutes play in about a second),
and the timeline shows what happens until the simulated shutdown, then what the drill found.
The same engine as \`nutguard drill\`, which plays your own upsmon.conf. Needs no root and no NUT
installation; everything lives in a temporary directory and nothing is run, written or sent.

  --step-sec N   at most N seconds between the lines of the timeline (default 1; 0: no pause)
  --verbose      also show the simulated server's and the monitor's own log lines
  -h, --help     show this help
`;

const UPS = "demo@localhost";
/** Each simulated minute takes this share of --step-sec on screen (progress lines every 2 minutes). */
const PACE_SEC_PER_STEP = 120;

/** The example configuration, file by file (what an admin would write in /etc/nut). */
export const DEMO_FILES: Readonly<Record<"upsmon.conf" | "upssched.conf" | "nutguard.conf", string>> = {
  "upsmon.conf": [
    `MONITOR ${UPS} 1 demo-monitor secret primary`,
    "MINSUPPLIES 1",
    'SHUTDOWNCMD "/sbin/shutdown -h +0"',
    "POWERDOWNFLAG /etc/killpower",
    "NOTIFYCMD /usr/sbin/upssched",
    "NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC",
    "NOTIFYFLAG ONLINE SYSLOG+WALL+EXEC",
    "NOTIFYFLAG LOWBATT SYSLOG+WALL+EXEC",
  ].join("\n"),
  "upssched.conf": [
    "CMDSCRIPT /usr/local/bin/ups-alert",
    "AT ONBATT * START-TIMER onbatt-5min 300",
    "AT ONLINE * CANCEL-TIMER onbatt-5min",
    "AT LOWBATT * EXECUTE battery-low",
  ].join("\n"),
  "nutguard.conf": [
    "[phone]",
    "type = ntfy",
    "topic = my-ups-alerts",
    "events = ONBATT ONLINE LOWBATT FSD SHUTDOWN",
  ].join("\n"),
};

/** The demo UPS: a 1500 VA unit at 35 % load, 25 minutes of battery, LB at 3 minutes left. */
const DEMO_PROFILE: TwinProfile = {
  charge: 100,
  runtimeSec: 1500,
  chargeLow: 10,
  runtimeLowSec: 180,
  vars: { "ups.mfr": "nutguard", "ups.model": "Demo UPS 1500", "ups.load": "35" },
  source: "plain",
};

function parseArgs(
  argv: string[],
): { stepSec: number; verbose: boolean } | { help: true } | { error: string } {
  let stepSec = 1;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return { help: true };
    if (a === "--verbose" || a === "-v") verbose = true;
    else if (a === "--step-sec") {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < 0 || n > 60) return { error: "--step-sec needs a number from 0 to 60" };
      stepSec = n;
    } else return { error: `unknown option ${a}` };
  }
  return { stepSec, verbose };
}

function indent(label: string, text: string): string[] {
  return text.split("\n").map((l, i) => `  ${(i === 0 ? label : "").padEnd(15)}${l}`);
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
  // the server's and monitor's own log lines: live with --verbose, otherwise shown only on failure
  const kept = createMemoryLogger(0);
  const log: Logger = args.verbose ? createStderrLogger({ priorityPrefix: false, prefix: "demo" }) : kept;
  const showKeptLog = () => {
    for (const l of kept.lines) process.stderr.write(`demo: ${l.message}\n`);
  };
  const interrupted = new AbortController();
  const unwireSignals = wireSignals({
    stop: () => {
      if (interrupted.signal.aborted) return;
      out("\nInterrupted: stopping the demo.");
      interrupted.abort();
    },
  });
  const pause = (sec: number) =>
    new Promise<void>((resolve) => {
      if (sec <= 0 || interrupted.signal.aborted) return resolve();
      const t = setTimeout(resolve, sec * 1000);
      const stop = () => {
        clearTimeout(t);
        resolve();
      };
      interrupted.signal.addEventListener("abort", stop, { once: true });
    });

  const dir = await mkdtemp(join(tmpdir(), "nutguard-demo-"));
  try {
    for (const [name, text] of Object.entries(DEMO_FILES)) await writeFile(join(dir, name), `${text}\n`);
    out("nutguard demo: a shutdown fire drill on a built-in example configuration. A simulated UPS loses");
    out("its mains; the real nutguard monitor code decides, on simulated time. Nothing is run, written or");
    out("sent. `nutguard drill` does the same with your own /etc/nut/upsmon.conf.");
    out("");
    out(`The example configuration (in ${dir}):`);
    for (const [name, text] of Object.entries(DEMO_FILES)) out(indent(name, text).join("\n"));
    out("");
    const report: DrillReport = await runDrill({
      configPath: join(dir, "upsmon.conf"),
      scenarios: ["outage"],
      execNotify: false,
      shutdownTakesSec: 60,
      log,
      signal: interrupted.signal,
      example: { profiles: new Map([[UPS, DEMO_PROFILE]]) },
      progressEverySec: PACE_SEC_PER_STEP,
    });
    const run = report.runs[0];
    if (interrupted.signal.aborted) return 130;
    if (run === undefined) throw new Error("the drill played no scenario");
    out(`A power failure on ${UPS} (25 minutes of battery), played through the monitor:`);
    const lines = renderTimeline(run.timeline);
    let last = 0;
    for (const [i, entry] of run.timeline.entries()) {
      await pause(Math.min(args.stepSec, ((entry.tSec - last) / PACE_SEC_PER_STEP) * args.stepSec));
      if (interrupted.signal.aborted) return 130;
      last = entry.tSec;
      out(`  ${lines[i]}`);
    }
    out("");
    out(
      `${formatOffset(run.simulatedSec).slice(2)} of power failure simulated in ${(run.wallMs / 1000).toFixed(1)} s.`,
    );
    if (report.findings.length === 0) out("Findings: none. The example's plan works.");
    else {
      out(`Findings (${report.findings.length}):`);
      for (const f of report.findings) out(renderFinding(f).join("\n"));
    }
    const ok = run.shutdownAtSec !== undefined && report.findings.length === 0;
    if (ok) {
      out("");
      out("Simulated shutdown complete: the monitor saw the power fail and the battery run low, set FSD");
      out("and asked for SHUTDOWNCMD. Nothing was really shut down. Try it on your own configuration:");
      out("  sudo nutguard drill");
      return 0;
    }
    out("The demo ended without the simulated shutdown.");
    showKeptLog();
    return 1;
  } catch (err) {
    showKeptLog();
    process.stderr.write(`nutguard demo: ${(err as Error).message}\n`);
    return 1;
  } finally {
    unwireSignals();
    await rm(dir, { recursive: true, force: true });
  }
}
