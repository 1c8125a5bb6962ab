/**
 * sd_notify(3) for the main process: READY=1, STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1,
 * EXTEND_TIMEOUT_USEC= as datagrams to $NOTIFY_SOCKET.
 *
 * Without NOTIFY_SOCKET every call is a no-op and nothing is logged. Node has no AF_UNIX datagram
 * sockets, so this loads the `unix-dgram` addon, lazily (dynamic import, so this module also works
 * inside the CommonJS bundle), on the first message; messages wait for it in order. If the addon cannot
 * load (no build for this platform), or NOTIFY_SOCKET is an abstract address (which the addon
 * cannot reach), ONE warning is logged and later calls are dropped: the daemon keeps monitoring;
 * under Type=notify systemd will then time the start out, so use Type=simple or Type=forking there.
 * Send errors are logged at debug level only.
 */
import type { Logger } from "../util/log.js";

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  close(): void;
  on(event: "error", listener: (err: Error) => void): void;
}

export interface Notifier {
  /** True when a NOTIFY_SOCKET was given (a service manager listens). */
  readonly active: boolean;
  /** Sends "KEY=value" lines as one datagram. */
  send(...assignments: string[]): void;
  ready(status?: string): void;
  status(text: string): void;
  reloading(): void;
  stopping(status?: string): void;
  watchdog(): void;
  extendTimeout(usec: number): void;
  /** Watchdog interval in µs from WATCHDOG_USEC when it is meant for this process, else 0. */
  readonly watchdogUsec: number;
  close(): void;
}

/** CLOCK_MONOTONIC in µs, as RELOADING=1 wants it in MONOTONIC_USEC. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

export function watchdogUsecFromEnv(env: NodeJS.ProcessEnv, pid = process.pid): number {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return 0;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return 0;
  return usec;
}

export function createNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const path = env.NOTIFY_SOCKET;
  const watchdogUsec = watchdogUsecFromEnv(env);
  let socket: Promise<DgramSocket | undefined> | undefined;
  let closed = false;
  let disabled = !path;

  const open = (): Promise<DgramSocket | undefined> | undefined => {
    if (disabled || !path) return undefined;
    if (socket) return socket;
    if (path.startsWith("@")) {
      disabled = true;
      log.warning(
        `NOTIFY_SOCKET ${path} is an abstract socket, which nutguard cannot reach: not notifying systemd`,
      );
      return undefined;
    }
    socket = import("unix-dgram").then(
      (mod) => {
        // a CommonJS package: its exports are the namespace's default (ESM) or the module itself (bundle)
        const dgram = mod.default ?? mod;
        const s: DgramSocket = dgram.createSocket("unix_dgram");
        s.on("error", (err) => log.debug(`sd_notify: ${err.message}`));
        if (closed) {
          s.close();
          return undefined;
        }
        return s;
      },
      (err: Error) => {
        disabled = true;
        log.warning(
          `Cannot load the unix-dgram addon (${err.message}): not notifying systemd; use Type=simple or Type=forking`,
        );
        return undefined;
      },
    );
    return socket;
  };

  const send = (...assignments: string[]) => {
    const pending = open();
    if (!pending || !path) return;
    const buf = Buffer.from(assignments.join("\n"));
    void pending.then((s) =>
      s?.send(buf, 0, buf.length, path, (err) => {
        if (err) log.debug(`sd_notify ${assignments[0]}: ${err.message}`);
      }),
    );
  };

  return {
    active: Boolean(path),
    watchdogUsec,
    send,
    ready: (status) => send("READY=1", ...(status ? [`STATUS=${status}`] : [])),
    status: (text) => send(`STATUS=${text}`),
    reloading: () => send("RELOADING=1", `MONOTONIC_USEC=${monotonicUsec()}`),
    stopping: (status) => send("STOPPING=1", ...(status ? [`STATUS=${status}`] : [])),
    watchdog: () => send("WATCHDOG=1"),
    extendTimeout: (usec) => send(`EXTEND_TIMEOUT_USEC=${Math.round(usec)}`),
    close() {
      disabled = true;
      closed = true;
      void socket?.then((s) => {
        try {
          s?.close();
        } catch {
          // already closed
        }
      });
      socket = undefined;
    },
  };
}
