/**
 * A MonitorHost for daemon tests: records when the daemon asked for the shutdown (its own clock's
 * time) and ignores readiness, status lines and heartbeats.
 */
import type { MonitorHost } from "../../src/monitor/daemon.js";

export function recordingHost(now: () => number): { host: MonitorHost; shutdowns: number[] } {
  const shutdowns: number[] = [];
  const host: MonitorHost = {
    requestShutdown: async () => void shutdowns.push(now()),
    ready: () => {},
    status: () => {},
    heartbeat: () => {},
  };
  return { host, shutdowns };
}
