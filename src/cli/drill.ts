/**
 * `nutguard drill`: argument parsing and output only; the drill lives in src/drill/.
 */

import { DrillConfigError, runDrill } from "../drill/drill.js";
import { DRILL_SCENARIOS, type DrillReport, type DrillScenario } from "../drill/drill-types.js";
import { drillStateDir, lastDrillRecord, writeLastDrill } from "../drill/last-drill.js";
import { formatOffset, renderReport } from "../drill/timeline.js";
import { defaultUpsmonConfPath } from "../monitor/config-file.js";
import { wireSignals } from "../service/monitor-signals.js";
import { createMemoryLogger, createStderrLogger, type Logger } from "../util/log.js";

const USAGE = `Usage: nutguard drill [-f upsmon.conf] [-C nutguard.conf] [--ups NAME]
                      [--scenario outage|comm-loss|primary-fsd|flapping|all] [--exec-notify]
                      [--json] [--shutdown-takes SECS] [--state-dir DIR] [--verbose]

A shutdown fire drill: plays a power failure through your real upsmon.conf and the real monitor code,
on simulated twins of your UPSes and on simulated time, then lists what would go wrong and how to fix
it. Nothing real happens: SHUTDOWNCMD and POWERDOWNFLAG are recorded, never run or written; your upsd
is only read (LIST VAR, LIST CLIENT, and a LOGIN logged out at once to check the credentials).

  -f FILE             upsmon.conf (default $NUT_CONFPATH/upsmon.conf or /etc/nut/upsmon.conf)
  -C FILE             nutguard.conf (default: beside upsmon.conf, if present)
  --ups NAME          only this UPS loses power (as in MONITOR, or its UPS name)
  --scenario S        outage (default), comm-loss, primary-fsd, flapping, or all
  --exec-notify       really send the channels' notifications (marked [drill]) and run NOTIFYCMD and
                      upssched's CMDSCRIPT (with NUTGUARD_DRILL=1 in their environment)
  --json              print the timeline and the findings as JSON
  --shutdown-takes N  seconds this host needs to shut down (default: from the last boot's journal, else 60)
  --state-dir DIR     where the result is kept for the status page (default $STATE_DIRECTORY or
                      /var/lib/nutguard; last-drill.json)
  --verbose           show the monitor's and the simulated server's log lines
  -h, --help          show this help

Exit status: 0 the plan works and nothing was found, 1 findings, 2 usage or unreadable configuration.
`;

interface DrillArgs {
  configPath: string;
  nutguardConfPath?: string;
  ups?: string;
  scenarios: DrillScenario[];
  execNotify: boolean;
  json: boolean;
  shutdownTakesSec?: number;
  stateDir?: string;
  verbose: boolean;
}

export function parseDrillArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
): DrillArgs | { help: true } | { error: string } {
  const a: DrillArgs = {
    configPath: defaultUpsmonConfPath(env),
    scenarios: ["outage"],
    execNotify: false,
    json: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const opt = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (opt) {
      case "-h":
      case "--help":
        return { help: true };
      case "-f":
      case "-C":
      case "--ups":
      case "--scenario":
      case "--state-dir":
      case "--shutdown-takes": {
        const v = value();
        if (v === undefined || v === "") return { error: `${opt} needs a value` };
        if (opt === "-f") a.configPath = v;
        else if (opt === "-C") a.nutguardConfPath = v;
        else if (opt === "--ups") a.ups = v;
        else if (opt === "--state-dir") a.stateDir = v;
        else if (opt === "--scenario") {
          if (v === "all") a.scenarios = [...DRILL_SCENARIOS];
          else if ((DRILL_SCENARIOS as readonly string[]).includes(v)) a.scenarios = [v as DrillScenario];
          else return { error: `unknown scenario ${v} (outage, comm-loss, primary-fsd, flapping, all)` };
        } else {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0 || n > 86400)
            return { error: "--shutdown-takes needs whole seconds (0 to 86400)" };
          a.shutdownTakesSec = n;
        }
        break;
      }
      case "--exec-notify":
        a.execNotify = true;
        break;
      case "--json":
        a.json = true;
        break;
      case "--verbose":
      case "-v":
        a.verbose = true;
        break;
      default:
        return { error: `unknown option ${opt}` };
    }
  }
  return a;
}

/** The report as JSON for tooling: every timeline entry also carries its "t+…" text. */
export function reportJson(report: DrillReport): string {
  return `${JSON.stringify(
    {
      config: report.configPath,
      nutguardConf: report.nutguardConfPath ?? null,
      ok: report.findings.length === 0,
      ups: report.probes,
      runs: report.runs.map((r) => ({
        ...r,
        timeline: r.timeline.map((e) => ({ t: formatOffset(e.tSec), ...e })),
      })),
      findings: report.findings,
      notes: report.notes,
    },
    null,
    2,
  )}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseDrillArgs(argv, process.env);
  if ("help" in args) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ("error" in args) {
    process.stderr.write(`nutguard drill: ${args.error}\n\n${USAGE}`);
    return 2;
  }
  const kept = createMemoryLogger(0);
  const log: Logger = args.verbose ? createStderrLogger({ priorityPrefix: false, prefix: "drill" }) : kept;
  const interrupted = new AbortController();
  const unwire = wireSignals({ stop: () => interrupted.abort() });
  try {
    const report = await runDrill({
      configPath: args.configPath,
      ...(args.nutguardConfPath !== undefined ? { nutguardConfPath: args.nutguardConfPath } : {}),
      ...(args.ups !== undefined ? { ups: args.ups } : {}),
      scenarios: args.scenarios,
      execNotify: args.execNotify,
      ...(args.shutdownTakesSec !== undefined ? { shutdownTakesSec: args.shutdownTakesSec } : {}),
      log,
      signal: interrupted.signal,
    });
    if (interrupted.signal.aborted) {
      process.stderr.write("nutguard drill: interrupted\n");
      return 130;
    }
    process.stdout.write(args.json ? reportJson(report) : renderReport(report));
    const status = report.findings.length === 0 ? 0 : 1;
    // for the status page; a state directory we may not write never fails the drill
    const why = writeLastDrill(
      drillStateDir(args.stateDir, process.env),
      lastDrillRecord(report, status, Date.now()),
    );
    if (why !== undefined)
      process.stderr.write(`nutguard drill: note: ${why} (the status page will not show this drill)\n`);
    return status;
  } catch (err) {
    process.stderr.write(`nutguard drill: ${(err as Error).message}\n`);
    return err instanceof DrillConfigError ? 2 : 1;
  } finally {
    unwire();
  }
}
