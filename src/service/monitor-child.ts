/**
 * Entry module of the unprivileged monitor process (split mode). Started by the supervisor as
 * `node monitor-child.js '<json args>'` with fd 3 a socketpair to it. Drops to RUN_AS_USER before
 * anything else, then runs the monitor daemon with a MonitorHost that asks the supervisor (over
 * fd 3, privsep-protocol.ts) for the one privileged action and relays readiness, status and
 * heartbeats. Signals: SIGHUP reload, SIGUSR1 forced shutdown, SIGTERM/SIGINT/SIGQUIT stop.
 *
 * If the supervisor dies (EOF on fd 3), the monitor raises NOPARENT and logs `Parent died -
 * shutdown impossible` like upsmon, then stops and exits 1: it can no longer shut the system
 * down, and staying would only hide that (under systemd the service is restarted anyway, since
 * the supervisor is the main process).
 */
import { Socket } from "node:net";
import { createStderrLogger, type Logger } from "../util/log.js";
import { dropPrivileges } from "./privilege-drop.js";
import { encodeMessage, type MonitorMessage } from "./privsep-protocol.js";
import { MONITOR_CHILD_TITLE } from "./proc-identity.js";

export interface ChildArgs {
  configPath: string;
  user: string;
  debugLevel: number;
}

/** What the monitor daemon gives back (monitor/daemon.ts), as far as the child needs it. */
export interface RunningMonitor {
  reload(): Promise<void> | void;
  forceShutdown(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** Raise NOPARENT (if the daemon supports it). */
  parentGone?(): void;
}

/** The MonitorHost a split-mode monitor gets: every call becomes one line to the supervisor. */
export function createChannelHost(channel: { write(line: string): boolean }) {
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

export type ChannelHost = ReturnType<typeof createChannelHost>;

/** Starts the real monitor daemon (loaded only after the privilege drop). */
async function startRealMonitor(args: ChildArgs, host: ChannelHost, log: Logger): Promise<RunningMonitor> {
  const { startMonitorFromConfigFile } = await import("./monitor-adapter.js");
  return startMonitorFromConfigFile(args.configPath, host, log);
}

export async function runMonitorChild(args: ChildArgs, log: Logger): Promise<void> {
  process.title = MONITOR_CHILD_TITLE;
  try {
    dropPrivileges(args.user);
  } catch (err) {
    log.error((err as Error).message);
    process.exit(1);
  }
  const channel = new Socket({ fd: 3, readable: true, writable: true });
  const host = createChannelHost(channel);
  let monitor: RunningMonitor | undefined;
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    try {
      await monitor?.stop();
    } finally {
      channel.destroy();
      process.exit(code);
    }
  };
  channel.on("error", () => {});
  channel.on("close", () => {
    if (exiting) return;
    log.error("Parent died - shutdown impossible");
    monitor?.parentGone?.();
    void exit(1);
  });
  process.on("SIGHUP", () => {
    void Promise.resolve(monitor?.reload()).then(() => host.ready());
  });
  process.on("SIGUSR1", () => void monitor?.forceShutdown());
  for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) {
    process.on(sig, () => {
      log.info(`Signal ${sig}: exiting`);
      void exit(0);
    });
  }
  process.on("SIGPIPE", () => {});
  try {
    monitor = await startRealMonitor(args, host, log);
  } catch (err) {
    log.error((err as Error).message);
    await exit(1);
  }
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"));
if (isMain) {
  let args: ChildArgs;
  try {
    args = JSON.parse(process.argv[2] ?? "") as ChildArgs;
  } catch {
    process.stderr.write("monitor-child: started without its arguments (it is run by nutguard monitor)\n");
    process.exit(2);
  }
  void runMonitorChild(args, createStderrLogger({ debugLevel: args.debugLevel }));
}
