/**
 * Logging for daemons: one line per message on stderr, prefixed with the syslog priority in
 * sd-daemon(3) form (`<3>` error ... `<7>` debug), so journald keeps each line's level.
 * Outside systemd (stderr is a terminal) the prefixes are left out unless forced.
 * No other I/O; no buffering (a log line written before a crash must not be lost).
 */

export const LogPriority = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;
export type LogLevel = keyof typeof LogPriority;

export interface Logger {
  error(message: string): void;
  warning(message: string): void;
  notice(message: string): void;
  info(message: string): void;
  /** Debug output at NUT's -D level `level` (1 = -D, 2 = -DD ...); shown when the logger's debug level is ≥ level. */
  debug(message: string, level?: number): void;
  /** A copy of this logger with a name in front of every message ("name: message"). */
  child(name: string): Logger;
}

export interface StderrLoggerOptions {
  /** Debug verbosity (count of -D flags). */
  debugLevel?: number;
  /** Write `<N>` priority prefixes. Default: when stderr is not a TTY or JOURNAL_STREAM is set. */
  priorityPrefix?: boolean;
  /** Where lines go (default process.stderr). */
  write?: (line: string) => void;
  prefix?: string;
}

export function createStderrLogger(options: StderrLoggerOptions = {}): Logger {
  const debugLevel = options.debugLevel ?? 0;
  const withPriority =
    options.priorityPrefix ?? (process.env.JOURNAL_STREAM !== undefined || !process.stderr.isTTY);
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const prefix = options.prefix ? `${options.prefix}: ` : "";
  const emit = (level: LogLevel, message: string) => {
    const text = message.replace(/\n/g, " ");
    write(`${withPriority ? `<${LogPriority[level]}>` : ""}${prefix}${text}\n`);
  };
  return {
    error: (m) => emit("err", m),
    warning: (m) => emit("warning", m),
    notice: (m) => emit("notice", m),
    info: (m) => emit("info", m),
    debug: (m, level = 1) => {
      if (debugLevel >= level) emit("debug", m);
    },
    child: (name) =>
      createStderrLogger({
        debugLevel,
        priorityPrefix: withPriority,
        write,
        prefix: options.prefix ? `${options.prefix}: ${name}` : name,
      }),
  };
}

/** A logger that records lines in memory (for tests and for code that reports later). */
export function createMemoryLogger(
  debugLevel = 9,
): Logger & { lines: { level: LogLevel; message: string }[] } {
  const lines: { level: LogLevel; message: string }[] = [];
  const make = (prefix: string): Logger => ({
    error: (m) => lines.push({ level: "err", message: prefix + m }),
    warning: (m) => lines.push({ level: "warning", message: prefix + m }),
    notice: (m) => lines.push({ level: "notice", message: prefix + m }),
    info: (m) => lines.push({ level: "info", message: prefix + m }),
    debug: (m, level = 1) => {
      if (debugLevel >= level) lines.push({ level: "debug", message: prefix + m });
    },
    child: (name) => make(`${prefix}${name}: `),
  });
  return Object.assign(make(""), { lines });
}
