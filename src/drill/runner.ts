/**
 * Plays one scenario through the real monitor (I/O shell): a simulated twin of every monitored UPS
 * on the embedded server, the composition root with the real engine, FSD/HOSTSYNC choreography and
 * notifications, all on a VirtualClock, so a 20-minute outage runs in seconds. Nothing real happens:
 * the host records SHUTDOWNCMD and POWERDOWNFLAG instead of running or writing them; NOTIFYCMD calls
 * are recorded and, with `execNotify`, run with NUTGUARD_DRILL=1 in their environment. The twin's
 * files live in a private temporary directory, removed afterwards; nothing else is written.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MonitorEntry, UpsmonConfig } from "../config/upsmon-conf.js";
import type { MonitorListener } from "../monitor/events.js";
import type { MonitorHandle, MonitorHost } from "../monitor/monitor-handle.js";
import { startServer } from "../server/server.js";
import { composeMonitor } from "../service/compose-monitor.js";
import { VirtualClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { DrillNotify } from "./drill-notify.js";
import type { DrillScenario, ScenarioRun, TimelineEntry, TwinProfile } from "./drill-types.js";
import { planScenario, type TwinStep, twinSequence } from "./scenario.js";
import { entriesForEvent } from "./timeline.js";

export interface RunScenarioOptions {
  config: UpsmonConfig;
  /** The admin's upsmon.conf: nutguard.conf and upssched.conf are read beside it. */
  configPath: string;
  /** `-C FILE`: the nutguard.conf to play instead of the one beside upsmon.conf. */
  nutguardConfPath?: string;
  scenario: DrillScenario;
  /** Twin profile per MONITOR system. */
  profiles: ReadonlyMap<string, TwinProfile>;
  /** The MONITOR systems that lose power in the scenario (the others stay on line). */
  selected: ReadonlySet<string>;
  /**
   * Send the channels' notifications and run NOTIFYCMD and upssched's CMDSCRIPT for real
   * (NUTGUARD_DRILL=1, "[drill]" in channel messages), as RUN_AS_USER when the drill runs as root.
   */
  execNotify: boolean;
  log: Logger;
  /** Ctrl-C: stop the scenario where it is (the temporary directory is still removed). */
  signal?: AbortSignal;
  /** Also a BATTERY entry (status, charge, runtime) every this many simulated seconds (the demo). */
  progressEverySec?: number;
}

const STEP_LABELS: Record<Exclude<TwinStep["kind"], "vars">, { what: string; detail: string }> = {
  "driver-gone": { what: "COMM-LOST", detail: "the UPS stops answering (upsd: DRIVER-NOT-CONNECTED)" },
  fsd: { what: "PRIMARY-FSD", detail: "another primary sets FSD on the UPS" },
  exhausted: { what: "EMPTY", detail: "the battery is empty: the load loses power" },
};

/** A step of the twin's battery as a timeline entry: the scenario's labels, else its progress. */
function varsEntry(s: Extract<TwinStep, { kind: "vars" }>): { what: string; detail: string } {
  const battery = `charge ${s.charge}%, runtime ${s.runtimeSec} s`;
  if (s.label === undefined) return { what: "BATTERY", detail: `${s.status}, ${battery}` };
  const what = s.label === "mains lost" ? "MAINS-LOST" : s.label === "mains back" ? "MAINS-BACK" : "LB";
  return { what, detail: `${s.label} (${battery})` };
}

/** The admin's configuration pointed at the twins: same names in every message, drill credentials. */
function twinConfig(config: UpsmonConfig, port: number, user: string, password: string): UpsmonConfig {
  const monitors: MonitorEntry[] = config.monitors.map((m, i) => ({
    ...m,
    upsName: `twin${i}`,
    host: "127.0.0.1",
    port,
    username: user,
    password,
  }));
  return {
    ...config,
    monitors,
    shutdownCmd: undefined,
    powerDownFlag: undefined,
    shutdownExitSec: 0,
    certHosts: [],
    forceSsl: false,
    certVerify: false,
  };
}

export async function runScenario(o: RunScenarioOptions): Promise<ScenarioRun> {
  const { config, scenario, log } = o;
  const started = performance.now();
  const clock = new VirtualClock();
  const dir = await mkdtemp(join(tmpdir(), "nutguard-drill-"));
  const children: ChildProcess[] = [];
  try {
    const prerollSec = Math.max(config.pollFreqSec, config.pollFreqAlertSec) * 2 + 2;
    const plans = config.monitors.map((m) =>
      o.selected.has(m.system) ? planScenario(scenario, o.profiles.get(m.system)!) : undefined,
    );
    const sections: string[] = [];
    for (const [i, m] of config.monitors.entries()) {
      const file = join(dir, `twin${i}.seq`);
      await writeFile(file, twinSequence(o.profiles.get(m.system)!, plans[i]?.steps ?? [], prerollSec));
      sections.push(`[twin${i}]\n\tdriver = dummy-ups\n\tport = ${file}\n\tmode = dummy-once\n`);
    }
    const user = "nutguard-drill";
    const password = randomBytes(12).toString("hex");
    await writeFile(join(dir, "ups.conf"), sections.join(""));
    await writeFile(join(dir, "upsd.conf"), "");
    await writeFile(join(dir, "upsd.users"), `[${user}]\n\tpassword = ${password}\n\tupsmon primary\n`);
    const server = await startServer({
      confPath: dir,
      log: log.child("twin"),
      clock,
      listen: [{ host: "127.0.0.1", port: 0 }],
    });
    const t0Ms = clock.now() + prerollSec * 1000;
    const timeline: TimelineEntry[] = [];
    const notifyCalls: ScenarioRun["notifyCalls"] = [];
    let shutdownAtSec: number | undefined;
    const tNow = () => (clock.now() - t0Ms) / 1000;

    const at = (entry: Omit<TimelineEntry, "tSec">): TimelineEntry => {
      const full = { tSec: tNow(), ...entry };
      timeline.push(full);
      return full;
    };
    const twin = twinConfig(config, server.addresses[0]!.port, user, password);
    let handle: MonitorHandle | undefined;
    const notify = new DrillNotify({
      config: twin,
      upsmonConfPath: o.configPath,
      ...(o.nutguardConfPath !== undefined ? { nutguardConfPath: o.nutguardConfPath } : {}),
      clock,
      execNotify: o.execNotify,
      log: log.child("monitor"),
      snapshot: () => handle?.snapshot(),
      record: at,
      children,
    });
    const record: MonitorListener = (e) => {
      const entries = entriesForEvent(e, t0Ms);
      timeline.push(...entries);
      if (e.kind !== "notification") return;
      const f = config.notifyFlags[e.type];
      const to: string[] = [];
      if (!f.ignore) {
        if (f.syslog) to.push("syslog");
        if (f.wall) to.push("wall");
        if (f.exec) {
          const who = notify.exec(e);
          if (who === "NOTIFYCMD")
            notifyCalls.push({
              tSec: tNow(),
              type: e.type,
              ups: e.ups,
              argv: [...config.notifyCmd!, e.message],
            });
          if (who !== undefined) to.push(who);
        }
      }
      for (const entry of entries)
        entry.detail += `  → ${to.length > 0 ? to.join(", ") : "no NOTIFYFLAG delivery"}`;
    };
    const host: MonitorHost = {
      requestShutdown: async () => {
        shutdownAtSec ??= tNow();
        timeline.push({
          tSec: tNow(),
          what: "SHUTDOWNCMD",
          detail: `${config.shutdownCmd ?? "(none set)"}  (recorded, not run)`,
        });
        if (config.powerDownFlag !== undefined)
          timeline.push({
            tSec: tNow(),
            what: "POWERDOWNFLAG",
            detail: `${config.powerDownFlag}  (recorded, not written)`,
          });
      },
      ready: () => {},
      status: () => {},
      heartbeat: () => {},
    };

    // What a dummy-ups sequence cannot say: the driver going away, another primary's FSD, the end.
    let endSec = 0;
    for (const [i, plan] of plans.entries()) {
      if (plan === undefined) continue;
      endSec = Math.max(endSec, plan.endSec);
      const system = config.monitors[i]!.system;
      for (const s of plan.steps) {
        const at = t0Ms + s.atSec * 1000 - clock.now();
        if (s.kind === "vars") {
          const progress =
            o.progressEverySec !== undefined && s.atSec > 0 && s.atSec % o.progressEverySec === 0;
          if (s.label || progress)
            clock.setTimer(() => timeline.push({ tSec: tNow(), ups: system, ...varsEntry(s) }), at);
          continue;
        }
        clock.setTimer(() => {
          timeline.push({ tSec: tNow(), ups: system, ...STEP_LABELS[s.kind] });
          const entry = server.model.findUps(`twin${i}`);
          if (entry && s.kind === "driver-gone")
            entry.sim.loadFile({ error: "the drill stopped the driver" }, clock.now());
          if (entry && s.kind === "fsd") entry.fsd = true;
        }, at);
      }
    }
    const monitor = composeMonitor({
      config: twin,
      log: log.child("monitor"),
      clock,
      notifier: null,
      notifyExtensions: notify.extensions,
      listeners: [record],
      host,
    });
    handle = monitor;
    clock.setTimer(() => void monitor.stop(), prerollSec * 1000 + endSec * 1000);
    const interrupt = () => void monitor.stop();
    o.signal?.addEventListener("abort", interrupt, { once: true });
    if (o.signal?.aborted) interrupt();
    await clock.runUntil(monitor.done);
    await server.close();
    timeline.sort((a, b) => a.tSec - b.tSec);
    return {
      scenario,
      timeline,
      shutdownAtSec,
      // the UPSes that keep their mains may alone meet MINSUPPLIES: then no shutdown is the right answer
      shutdownExpected:
        plans.some((p) => p?.shutdownExpected) &&
        config.monitors.filter((m) => !o.selected.has(m.system)).reduce((sum, m) => sum + m.powerValue, 0) <
          config.minSupplies,
      simulatedSec: Math.round(tNow()),
      wallMs: performance.now() - started,
      notifyCalls,
      shutdownCommand: shutdownAtSec !== undefined ? config.shutdownCmd : undefined,
      powerDownFlag: shutdownAtSec !== undefined ? config.powerDownFlag : undefined,
    };
  } finally {
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("close", r)),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  }
}
