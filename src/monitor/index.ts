/**
 * The monitor room's public API: upsmon.conf parsing, the pure decision engine, and the daemon with
 * its host contract (docs/architecture.md, "monitor/ ⇄ service/"). No work at import time.
 */
export * from "../config/upsmon-conf.js";
export * from "../config/upsmon-notify-types.js";
export { Notifier, type NotifierOptions } from "./actions.js";
export {
  type MonitorExit,
  type MonitorExitReason,
  type MonitorHandle,
  type MonitorHost,
  type StartMonitorOptions,
  startMonitor,
} from "./daemon.js";
export { describeConfig } from "./describe-config.js";
export { type EngineSettings, engineSettingsFrom, MonitorEngine } from "./engine.js";
export * from "./engine-types.js";
export { checkPowerDownFlag, POWERDOWN_MAGIC, writePowerDownFlag } from "./powerdown-flag.js";
export { type PrivilegedShutdownSettings, performPrivilegedShutdown } from "./privileged-shutdown.js";
export type { UpsLink, UpsLinkFactory } from "./ups-link.js";
export { createNutLink, type NutLinkOptions } from "./ups-link-nut.js";
