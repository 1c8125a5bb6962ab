/**
 * upsmon's notification vocabulary: the event names upsmon.conf's NOTIFYMSG/NOTIFYFLAG accept, their
 * stock messages (NUT's clients/upsmon.h, word for word) and the notify flags.
 * Data only: no parsing, no I/O.
 */

export const NOTIFY_TYPES = [
  "ONLINE",
  "ONBATT",
  "LOWBATT",
  "FSD",
  "COMMOK",
  "COMMBAD",
  "SHUTDOWN",
  "SHUTDOWN_HOSTSYNC",
  "REPLBATT",
  "NOCOMM",
  "NOPARENT",
  "CAL",
  "NOTCAL",
  "OFF",
  "NOTOFF",
  "BYPASS",
  "NOTBYPASS",
  "ECO",
  "NOTECO",
  "ALARM",
  "NOTALARM",
  "OVER",
  "NOTOVER",
  "TRIM",
  "NOTTRIM",
  "BOOST",
  "NOTBOOST",
  "OTHER",
  "NOTOTHER",
  "SUSPEND_TIMEJUMP_UNEXPECTED",
  "SUSPEND_STARTING",
  "SUSPEND_FINISHED",
] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

/** Stock texts: the first `%s` is the UPS as written in MONITOR, a second `%s` the extra text. */
export const STOCK_NOTIFY_MESSAGES: Record<NotifyType, string> = {
  ONLINE: "UPS %s on line power",
  ONBATT: "UPS %s on battery",
  LOWBATT: "UPS %s battery is low",
  FSD: "UPS %s: forced shutdown in progress",
  COMMOK: "Communications with UPS %s established",
  COMMBAD: "Communications with UPS %s lost",
  SHUTDOWN: "Auto logout and shutdown proceeding",
  SHUTDOWN_HOSTSYNC: "Shutdown initiated; primary system is waiting for secondaries to log out or time out",
  REPLBATT: "UPS %s battery needs to be replaced",
  NOCOMM: "UPS %s is unavailable",
  NOPARENT: "upsmon parent process died - shutdown impossible",
  CAL: "UPS %s: calibration in progress",
  NOTCAL: "UPS %s: calibration finished",
  OFF: "UPS %s: administratively OFF or asleep",
  NOTOFF: "UPS %s: no longer administratively OFF or asleep",
  BYPASS: "UPS %s: on bypass (powered, not protecting)",
  NOTBYPASS: "UPS %s: no longer on bypass",
  ECO: "UPS %s: in ECO mode (as defined by vendor)",
  NOTECO: "UPS %s: no longer in ECO mode",
  ALARM: "UPS %s: one or more active alarms: [%s]",
  NOTALARM: "UPS %s is no longer in an alarm state (no active alarms)",
  OVER: "UPS %s: overloaded",
  NOTOVER: "UPS %s: no longer overloaded",
  TRIM: "UPS %s: trimming incoming voltage",
  NOTTRIM: "UPS %s: no longer trimming incoming voltage",
  BOOST: "UPS %s: boosting incoming voltage",
  NOTBOOST: "UPS %s: no longer boosting incoming voltage",
  OTHER: "UPS %s: has at least one unclassified status token: [%s]",
  NOTOTHER: "UPS %s has no unclassified status tokens anymore",
  SUSPEND_TIMEJUMP_UNEXPECTED: "Unexpected clock change by %s, treating as wake up from sleep",
  SUSPEND_STARTING: "OS is entering sleep/suspend/hibernate mode",
  SUSPEND_FINISHED:
    "OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown",
};

/** What NOTIFYFLAG can ask for. `IGNORE` wins over everything else. */
export interface NotifyFlags {
  syslog: boolean;
  wall: boolean;
  exec: boolean;
  ignore: boolean;
}

/** upsmon's default for every event: SYSLOG+WALL. */
export function defaultNotifyFlags(): NotifyFlags {
  return { syslog: true, wall: true, exec: false, ignore: false };
}

/** Events that are not about one UPS: their UPSNAME is empty. */
export const UPSLESS_NOTIFY_TYPES: ReadonlySet<NotifyType> = new Set<NotifyType>([
  "SHUTDOWN",
  "SHUTDOWN_HOSTSYNC",
  "NOPARENT",
  "SUSPEND_TIMEJUMP_UNEXPECTED",
  "SUSPEND_STARTING",
  "SUSPEND_FINISHED",
]);

/** Case-insensitive lookup, as upsmon's strcasecmp on event names. */
export function findNotifyType(name: string): NotifyType | undefined {
  const upper = name.toUpperCase();
  return (NOTIFY_TYPES as readonly string[]).includes(upper) ? (upper as NotifyType) : undefined;
}

/** `flags` formatted like NOTIFYFLAG's value (`SYSLOG+WALL`), for `--check`. */
export function formatNotifyFlags(flags: NotifyFlags): string {
  const names = [
    flags.syslog && "SYSLOG",
    flags.wall && "WALL",
    flags.exec && "EXEC",
    flags.ignore && "IGNORE",
  ].filter((x): x is string => typeof x === "string");
  return names.length > 0 ? names.join("+") : "(none)";
}

/**
 * The message upsmon sends for an event: the first `%s` becomes the UPS system string (empty for
 * events not tied to a UPS), a second `%s` the extra text; `%%` becomes `%`.
 */
export function formatNotifyMessage(template: string, upsSystem: string | undefined, extra?: string): string {
  const values = [upsSystem ?? "", extra ?? ""];
  let used = 0;
  return template.replace(/%(%|s)/g, (match, what: string) => {
    if (what === "%") return "%";
    if (used >= values.length) return match;
    return values[used++]!;
  });
}
