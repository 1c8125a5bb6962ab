/**
 * Entry module of the unprivileged monitor process (split mode). Started by the supervisor as
 * `node monitor-child.js '<json args>'` with fd 3 a socketpair to it. Drops to RUN_AS_USER before
 * anything else, then runs the monitor daemon with a MonitorHost that asks the supervisor (over
 * fd 3, privsep-protocol.ts) for the one privileged action and relays readiness, status and
 * heartbeats. Signals: SIGHUP reload, SIGUSR1 forced shutdown, SIGTERM/SIGINT/SIGQUIT stop.
 *
 * If the supervisor dies (EOF on fd 3) the monitor does what upsmon's child does: logs `Parent
 * died - shutdown impossible`, raises NOPARENT (repeated every 2 minutes through NOTIFYCMD) and
 * keeps monitoring, so the administrator is told. It can no longer shut the system down. Under
 * systemd the supervisor is the main process, so its death stops the unit's remaining processes
 * (this one included) and Restart=on-failure starts a fresh pair.
 */
import { Socket } from "node:net";
import type { MonitorHandle, MonitorHost } from "../monitor/daemon.js";
import { createStderrLogger, type Logger } from "../util/log.js";
import { dropPrivileges } from "./privilege-drop.js";
import { encodeMessage, type MonitorMessage } from "./privsep-protocol.js";
import { MONITOR_CHILD_TITLE } from "./proc-identity.js";

export interface ChildArgs {
  configPath: string;
  user: string;
  debugLevel: number;
  connectTimeoutMs: number;
}

/** The MonitorHost a split-mode monitor gets: every call becomes one line to the supervisor. */
export function createChannelHost(channel: { write(line: string): boolean }): MonitorHost {
  const send = (m: MonitorMessage) => channel.write(encodeMessage(m));
  let lastStatus = "";
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
    heartbeat: () => send({ kind: "heartbeat" }),
  };
}

export async function runMonitorChild(args: ChildArgs, log: Logger): Promise<number> {
  process.title = MONITOR_CHILD_TITLE;
  try {
    dropPrivileges(args.user);
  } catch (err) {
    log.error((err as Error).message);
    return 1;
  }
  const channel = new Socket({ fd: 3, readable: true, writable: true });
  channel.on("error", () => {});
  const host = createChannelHost(channel);
  let monitor: MonitorHandle;
  try {
    // loaded only now: nothing of the client or the engine runs as root
    const { startSplitMonitor } = await import("./monitor-adapter.js");
    monitor = await startSplitMonitor({
      configPath: args.configPath,
      host,
      log,
      connectTimeoutMs: args.connectTimeoutMs,
    });
  } catch (err) {
    log.error((err as Error).message);
    return 1;
  }
  channel.on("close", () => {
    log.error("Parent died - shutdown impossible");
    monitor.parentGone();
  });
  process.on("SIGHUP", () => {
    void monitor.reload().then(() => host.ready());
  });
  process.on("SIGUSR1", () => {
    log.info("Signal 10: User requested FSD");
    monitor.forceShutdown();
  });
  const numbers = { SIGTERM: 15, SIGINT: 2, SIGQUIT: 3 } as const;
  for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) {
    process.on(sig, () => {
      log.info(`Signal ${numbers[sig]}: exiting`);
      void monitor.stop();
    });
  }
  process.on("SIGPIPE", () => {});
  const exit = await monitor.done;
  channel.end();
  return exit.exitCode;
}

const isMain =
  process.argv[1]?.endsWith("monitor-child.js") === true && import.meta.url.endsWith("/monitor-child.js");
if (isMain) {
  let args: ChildArgs | undefined;
  try {
    args = JSON.parse(process.argv[2] ?? "") as ChildArgs;
  } catch {
    process.stderr.write("monitor-child: started without its arguments (it is run by nutguard monitor)\n");
    process.exit(2);
  }
  runMonitorChild(args, createStderrLogger({ debugLevel: args.debugLevel })).then((code) =>
    process.exit(code),
  );
}
