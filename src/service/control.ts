/**
 * `nutguard monitor -c reload|stop|fsd [-P pid]`: finds the running daemon through the PID file
 * (identity-checked, see pidfile.ts) or takes the PID given, sends SIGHUP / SIGTERM / SIGUSR1, and
 * exits 0 if the signal was sent, 1 otherwise. Never modifies or deletes the PID file.
 */
import type { Logger } from "../util/log.js";
import { describeStale, inspectPidFile } from "./pidfile.js";

export type ControlCommand = "reload" | "stop" | "fsd";

const SIGNALS: Record<ControlCommand, NodeJS.Signals> = { reload: "SIGHUP", stop: "SIGTERM", fsd: "SIGUSR1" };

/** upsmon matches -c by prefix ("-c r" is reload). */
export function parseControlCommand(word: string): ControlCommand | undefined {
  if (word === "") return undefined;
  return (Object.keys(SIGNALS) as ControlCommand[]).find((c) => c.startsWith(word));
}

const HINT = "Try 'systemctl reload nutguard-monitor.service' or add '-P $PID' argument";

export function sendControl(
  command: ControlCommand,
  target: { pidFile: string; pid?: number },
  log: Logger,
): number {
  let pid = target.pid;
  if (pid === undefined) {
    const state = inspectPidFile(target.pidFile);
    switch (state.kind) {
      case "live":
        pid = state.pid;
        break;
      case "absent":
        log.error(`No PID file ${target.pidFile}: is the nutguard monitor running?`);
        break;
      case "stale":
        log.error(`PID file ${target.pidFile} is stale: ${describeStale(state)}`);
        break;
      case "invalid":
        log.error(`PID file ${target.pidFile} does not hold a PID`);
        break;
      case "unreadable":
        log.error(state.reason);
        break;
    }
  }
  if (pid === undefined) {
    log.error("Failed to signal the currently running daemon (if any)");
    log.error(HINT);
    return 1;
  }
  try {
    process.kill(pid, SIGNALS[command]);
    return 0;
  } catch (err) {
    log.error(`Failed to signal PID ${pid}: ${(err as Error).message}`);
    log.error("Failed to signal the currently running daemon (if any)");
    return 1;
  }
}
