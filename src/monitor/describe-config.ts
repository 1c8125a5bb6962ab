/**
 * `nutguard monitor --check`: the configuration as understood, as text (UPSes with roles and power
 * values, the power budget, every effective setting, notification handling per event).
 * Pure: config in, lines out.
 */
import { totalPowerValue, type UpsmonConfig } from "../config/upsmon-conf.js";
import { formatNotifyFlags, NOTIFY_TYPES, STOCK_NOTIFY_MESSAGES } from "../config/upsmon-notify-types.js";

const secs = (n: number) => `${n} s`;

export function describeConfig(config: UpsmonConfig): string[] {
  const lines: string[] = [`Configuration file: ${config.file}`, "", "UPSes:"];
  if (config.monitors.length === 0) lines.push("  (none)");
  for (const m of config.monitors) {
    lines.push(
      `  ${m.system}: ups ${m.upsName} on ${m.host.includes(":") ? `[${m.host}]` : m.host} port ${m.port}, ${m.role}, ` +
        `${m.powerValue > 0 ? `power value ${m.powerValue}` : "monitoring only"}, user ${m.username}`,
    );
  }
  const total = totalPowerValue(config);
  lines.push(
    "",
    `Power: sum of power values ${total}, MINSUPPLIES ${config.minSupplies}` +
      (config.minSupplies === 0
        ? " (notifications only, never a shutdown)"
        : total < config.minSupplies
          ? " (IMPOSSIBLE: insufficient power configured)"
          : ` (shut down when the healthy power falls below ${config.minSupplies})`),
    "",
    "Settings:",
    `  SHUTDOWNCMD ${config.shutdownCmd === undefined ? "(none: no shutdown command defined!)" : JSON.stringify(config.shutdownCmd)}`,
    `  SHUTDOWNEXIT ${config.shutdownExitSec === 0 ? "yes" : config.shutdownExitSec < 0 ? "no (never exit)" : secs(config.shutdownExitSec)}`,
    `  POWERDOWNFLAG ${config.powerDownFlag ?? "(none)"}`,
    `  NOTIFYCMD ${config.notifyCmd === undefined ? "(none)" : JSON.stringify(config.notifyCmd)} (started without a shell; the message is the last argument)`,
    `  POLLFREQ ${secs(config.pollFreqSec)}`,
    `  POLLFREQALERT ${secs(config.pollFreqAlertSec)}`,
    `  HOSTSYNC ${secs(config.hostSyncSec)}`,
    `  DEADTIME ${secs(config.deadTimeSec)}`,
    `  FINALDELAY ${secs(config.finalDelaySec)}`,
    `  RBWARNTIME ${secs(config.rbWarnTimeSec)}`,
    `  NOCOMMWARNTIME ${secs(config.noCommWarnTimeSec)}`,
    `  OFFDURATION ${config.offDurationSec < 0 ? "never critical" : secs(config.offDurationSec)}`,
    `  OVERDURATION ${config.overDurationSec < 0 ? "never critical" : secs(config.overDurationSec)}`,
    `  OBLBDURATION ${secs(config.oblbDurationSec)}`,
    `  ALARMCRITICAL ${config.alarmCritical ? 1 : 0}`,
    `  NUTGUARD_CALCOMMLOST_CRITICAL ${config.calCommLostCritical ? 1 : 0}`,
    `  POLLFAIL_LOG_THROTTLE_MAX ${config.pollFailLogThrottleMax}`,
    `  RUN_AS_USER ${config.runAsUser ?? "(default)"}`,
    `  DEBUG_MIN ${config.debugMin ?? "(unset)"}`,
    `  CERTPATH ${config.certPath ?? "(unset)"}, CERTFILE ${config.certFile ?? "(unset)"}, CERTVERIFY ${config.certVerify ? 1 : 0}, FORCESSL ${config.forceSsl ? 1 : 0}`,
  );
  for (const h of config.certHosts) {
    lines.push(`  CERTHOST ${h.host} "${h.certName}" ${h.certVerify ? 1 : 0} ${h.forceSsl ? 1 : 0}`);
  }
  lines.push("", "Notifications (event: flags, message):");
  for (const t of NOTIFY_TYPES) {
    const custom = config.notifyMessages[t];
    lines.push(
      `  ${t}: ${formatNotifyFlags(config.notifyFlags[t])}, ${JSON.stringify(custom ?? STOCK_NOTIFY_MESSAGES[t])}${custom ? "" : " (stock)"}`,
    );
  }
  return lines;
}
