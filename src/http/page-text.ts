/**
 * The status page's words: durations, event lines, critical reasons and shutdown phases in English.
 * Pure.
 */
import type { CriticalReason, MonitorEvent, ShutdownPhase } from "../monitor/events.js";
import { describeStatus } from "./status-words.js";

export const CRITICAL_REASON_TEXT: Record<CriticalReason, string> = {
  fsd: "the UPS (or its primary) set forced shutdown (FSD)",
  "over-dead": "it was overloaded past OVERDURATION and stopped answering",
  "alarm-dead": "it was in ALARM when it stopped answering (ALARMCRITICAL)",
  "cal-dead": "it was calibrating when it stopped answering",
  "bypass-dead": "it was on bypass when it stopped answering",
  "off-dead": "it was OFF when it stopped answering",
  "off-long": "it has been OFF longer than OFFDURATION",
  "dead-on-battery": "it was on battery and has not answered for DEADTIME",
  "oblb-primary": "on battery with a low battery, and this host is its primary",
  "hostsync-expired": "on battery with a low battery, and its primary did not act within HOSTSYNC",
  "charge-threshold": "its charge fell to the threshold set in nutguard.conf",
  "runtime-threshold": "its runtime fell to the threshold set in nutguard.conf",
  "onbattery-threshold": "it has been on battery longer than the threshold set in nutguard.conf",
};

export const SHUTDOWN_PHASE_TEXT: Record<ShutdownPhase, string> = {
  none: "no shutdown",
  "fsd-set": "forced shutdown (FSD) set on the primary UPSes",
  "waiting-secondaries": "waiting for secondary hosts to log out (HOSTSYNC)",
  "final-delay": "SHUTDOWN notified, waiting FINALDELAY",
  "shutdowncmd-requested": "SHUTDOWNCMD requested",
  done: "shutdown command run",
};

/** 3725 → "1 h 2 min 5 s"; 42 → "42 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts: string[] = [];
  if (h > 0) parts.push(`${h} h`);
  if (m > 0) parts.push(`${m} min`);
  if (s % 60 > 0 || parts.length === 0) parts.push(`${s % 60} s`);
  return parts.join(" ");
}

/** "2026-12-05 16:40:12 UTC". */
export function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** One line for the event list. */
export function describeEvent(e: MonitorEvent): string {
  switch (e.kind) {
    case "notification":
      return `${e.type}: ${e.message}`;
    case "status":
      return `${e.ups}: ${describeStatus(e.current)}${e.previous.length > 0 ? ` (was ${describeStatus(e.previous).toLowerCase()})` : ""}`;
    case "link":
      if (e.state === "lost") return `${e.ups}: connection lost${e.error ? ` (${e.error})` : ""}`;
      return `${e.ups}: ${e.state}`;
    case "round":
      if (e.critical.length === 0)
        return `All UPSes healthy: power ${e.healthyPowerValue} of MINSUPPLIES ${e.minSupplies}`;
      return `Critical: ${e.critical.map((c) => `${c.ups} (${c.reason})`).join(", ")}; power ${e.healthyPowerValue} of MINSUPPLIES ${e.minSupplies}${e.shutdown ? ": shutting down" : ""}`;
    case "shutdown":
      return `Shutdown: ${SHUTDOWN_PHASE_TEXT[e.phase]}${e.cause === "user" ? " (requested by the administrator)" : ""}`;
    case "reload":
      return e.ok ? "Configuration reloaded" : `Reload failed: ${e.error ?? "unknown error"}`;
  }
}
