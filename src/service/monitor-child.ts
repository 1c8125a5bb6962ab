/**
 * The unprivileged monitor process (split mode). Started by the supervisor as
 * `node <nutguard entry> monitor --privsep-child '<json args>'` with fd 3 a socketpair to it. Drops to RUN_AS_USER before
 * anything else, then runs the monitor daemon with a MonitorHost that asks the supervisor (over
 * fd 3, privsep-protocol.ts) for the one privileged action and relays readiness, status and
 * heartbeats. Signals: monitor-signals.ts' table (SIGHUP reload, SIGUSR1 forced shutdown,
 * SIGTERM/SIGINT/SIGQUIT stop). Its in-process sibling for `-p` is single-process.ts; both assemble
 * the monitor with compose-monitor.ts.
 *
 * If the supervisor dies (EOF on fd 3) the monitor does what upsmon's child does: logs `Parent
 * died - shutdown impossible`, raises NOPARENT (repeated every 2 minutes through NOTIFYCMD) and
 * keeps monitoring, so the administrator is told. It can no longer shut the system down. Under
 * systemd the supervisor is the main process, so its death stops the unit's remaining processes
 * (this one included) and Restart=on-failure starts a fresh pair.
 */
import { Socket } from "node:net";
import type { MonitorHttpPlan } from "../http/monitor-plan.js";
import type { MonitorHandle, MonitorHost } from "../monitor/daemon.js";
import type { NutLinkOptions } from "../monitor/ups-link-nut.js";
import { createStderrLogger, type Logger } from "../util/log.js";
import { useMonitorRuntimeSettings } from "./monitor-runtime.js";
import { monitorSignalActions, wireSignals } from "./monitor-signals.js";
import { dropPrivileges } from "./privilege-drop.js";
import { encodeMessage, type MonitorMessage } from "./privsep-protocol.js";
import { MONITOR_CHILD_TITLE } from "./proc-identity.js";

export interface ChildArgs {
  configPath: string;
  user: string;
  debugLevel: number;
  /** Report a healthy round at most this often (the supervisor's watchdog); undefined: never. */
  heartbeatEveryMs?: number;
  linkOptions: NutLinkOptions;
  /** The HTTP surface to serve from this (unprivileged) process. */
  http?: MonitorHttpPlan;
  /** `-C`: nutguard.conf (default: beside upsmon.conf). */
  nutguardConfPath?: string;
}

/**
 * The MonitorHost a split-mode monitor gets: every call becomes one line to the supervisor, except
 * heartbeats: at most one per `heartbeatEveryMs` (what the supervisor's watchdog needs), none when it
 * is undefined (no watchdog: a line per round would only wake the root process for nothing).
 */
export function createChannelHost(
  channel: { write(line: string): boolean },
  heartbeatEveryMs?: number,
  nowMs: () => number = Date.now,
): MonitorHost {
  const send = (m: MonitorMessage) => channel.write(encodeMessage(m));
  let lastStatus = "";
  let lastHeartbeatMs = Number.NEGATIVE_INFINITY;
  return {
    requestShutdown: async () => {
      send({ kind: "shutdown" });
    },
    ready: () => send({ kind: "ready" }),
    status: (summary: string) => {
      if (summary === lastStatus) return;
      lastStatus = summary;
      send({ kind: "status", text: summary });
    },
    heartbeat: () => {
      if (heartbeatEveryMs === undefined) return;
      const now = nowMs();
      if (now - lastHeartbeatMs < heartbeatEveryMs && now >= lastHeartbeatMs) return;
      lastHeartbeatMs = now;
      send({ kind: "heartbeat" });
    },
  };
}

/**
 * Reads upsmon.conf as RUN_AS_USER (after the privilege drop) and starts the monitor through the
 * composition root. The supervisor has already printed the file's messages at start, so they are
 * only printed here when the file cannot be used, and on reload.
 */
async function startChildMonitor(args: ChildArgs, host: MonitorHost, log: Logger): Promise<MonitorHandle> {
  useMonitorRuntimeSettings(); // before the monitor's code is loaded and run
  const { loadUpsmonConfFile, logConfigMessages } = await import("../monitor/config-file.js");
  const { composeMonitor } = await import("./compose-monitor.js");
  const parsed = await loadUpsmonConfFile(args.configPath);
  if (parsed.fatal) {
    logConfigMessages(parsed, log);
    throw new Error(`Cannot read ${args.configPath} as the monitor's user: ${parsed.fatal}`);
  }
  const extensions = args.http
    ? [await (await import("../http/monitor-extension.js")).monitorHttpExtension(args.http, process.env)]
    : [];
  return composeMonitor({
    extensions,
    config: parsed.config,
    configPath: args.configPath,
    ...(args.nutguardConfPath !== undefined ? { nutguardConfPath: args.nutguardConfPath } : {}),
    host,
    log,
    splitProcess: true,
    linkOptions: args.linkOptions,
  });
}

export async function runMonitorChild(args: ChildArgs, log: Logger): Promise<number> {
  process.title = MONITOR_CHILD_TITLE;
  try {
    dropPrivileges(args.user);
  } catch (err) {
    log.error((err as Error).message);
    return 1;
  }
  let channel: Socket;
  try {
    channel = new Socket({ fd: 3, readable: true, writable: true });
  } catch (err) {
    log.error(`No channel to the supervisor on fd 3 (${(err as Error).message}): started by hand?`);
    return 2;
  }
  channel.on("error", () => {});
  const host = createChannelHost(channel, args.heartbeatEveryMs);
  let monitor: MonitorHandle | undefined;
  let parentGone = false;
  channel.on("close", () => {
    log.error("Parent died - shutdown impossible");
    parentGone = true;
    monitor?.parentGone();
  });
  // Signal handlers before anything slow: a SIGHUP that arrives while starting must not kill us
  // (the configuration is being read anyway); a stop while starting exits at once.
  wireSignals({
    ...monitorSignalActions(() => monitor, log, {
      reloaded: () => host.ready(),
      stopBeforeStart: () => process.exit(0),
    }),
    ignore: () => {},
  });
  try {
    // loaded only now: nothing of the client or the engine runs as root
    monitor = await startChildMonitor(args, host, log);
  } catch (err) {
    log.error((err as Error).message);
    return 1;
  }
  if (parentGone) monitor.parentGone();
  const exit = await monitor.done;
  channel.end();
  return exit.exitCode;
}

/** `nutguard monitor --privsep-child '<json>'` (cli/monitor.ts): parses the arguments and runs. */
export async function runMonitorChildFromArgv(json: string | undefined): Promise<number> {
  let args: ChildArgs;
  try {
    args = JSON.parse(json ?? "") as ChildArgs;
  } catch {
    process.stderr.write("nutguard monitor: --privsep-child is started by the supervisor, not by hand\n");
    return 2;
  }
  return runMonitorChild(args, createStderrLogger({ debugLevel: args.debugLevel }));
}
