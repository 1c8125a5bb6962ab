/**
 * The table of `nutguard` subcommands. Each entry is loaded lazily (dynamic import), so a command
 * pays only for its own code at start-up. Add one line per subcommand; keep logic out of here.
 */

export interface SubcommandModule {
  /** Runs the subcommand with its arguments (argv after the subcommand name); resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export interface Subcommand {
  name: string;
  summary: string;
  load(): Promise<SubcommandModule>;
}

export const SUBCOMMANDS: Subcommand[] = [
  { name: "upsc", summary: "show UPS variables (drop-in for NUT's upsc)", load: () => import("./upsc.js") },
  {
    name: "upscmd",
    summary: "run instant commands (drop-in for NUT's upscmd)",
    load: () => import("./upscmd.js"),
  },
  {
    name: "upsrw",
    summary: "list or set writable variables (drop-in for NUT's upsrw)",
    load: () => import("./upsrw.js"),
  },
  {
    name: "upslog",
    summary: "log UPS status lines (drop-in for NUT's upslog)",
    load: () => import("./upslog.js"),
  },
  {
    name: "demo",
    summary: "watch a simulated UPS go through a power failure (no root, no NUT needed)",
    load: () => import("./demo.js"),
  },
  {
    name: "drill",
    summary: "rehearse a power failure with your real upsmon.conf, safely (nothing is shut down)",
    load: () => import("./drill.js"),
  },
  {
    name: "monitor",
    summary: "upsmon-compatible monitor and shutdown daemon",
    load: () => import("./monitor.js"),
  },
  {
    name: "exporter",
    summary: "serve Prometheus metrics, a JSON API and a status page for UPSes on upsd servers",
    load: () => import("./exporter.js"),
  },
  {
    name: "doctor",
    summary: "check the monitor's service setup and fix what is safe",
    load: () => import("./doctor.js"),
  },
  {
    name: "notify",
    summary: "send a test notification through nutguard.conf's channels",
    load: () => import("./notify.js"),
  },
  {
    name: "upssched",
    summary: "list the timers of the monitor's built-in upssched (-l)",
    load: () => import("./upssched.js"),
  },
  {
    name: "server",
    summary: "upsd-compatible server with simulated UPSes",
    load: () => import("./server.js"),
  },
  {
    name: "takeover",
    summary: "switch this host from NUT's upsmon (nut-monitor.service) to nutguard's monitor, or back",
    load: () => import("./takeover.js"),
  },
  {
    name: "install-service",
    summary: "install the systemd unit, tmpfiles.d and sysusers.d files",
    load: () => import("./install-service.js"),
  },
];
