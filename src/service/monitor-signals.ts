/**
 * The monitor's signals, as upsmon handles them, in one table, and the one way to wire them: TERM,
 * INT and QUIT stop, HUP reloads, USR1 forces a shutdown (`-c fsd`), PIPE is ignored. Every process
 * that runs or fronts a monitor (the `-p` process, the split-mode supervisor and its monitor child,
 * `nutguard demo`) wires its actions through `wireSignals()`; what an action does is the caller's.
 */
import type { Logger } from "../util/log.js";

export type SignalAction = "stop" | "reload" | "fsd" | "ignore";

export const MONITOR_SIGNALS: readonly { signal: NodeJS.Signals; number: number; action: SignalAction }[] = [
  { signal: "SIGTERM", number: 15, action: "stop" },
  { signal: "SIGINT", number: 2, action: "stop" },
  { signal: "SIGQUIT", number: 3, action: "stop" },
  { signal: "SIGHUP", number: 1, action: "reload" },
  { signal: "SIGUSR1", number: 10, action: "fsd" },
  { signal: "SIGPIPE", number: 13, action: "ignore" },
];

/** What to do per action; a missing action leaves its signals alone. */
export type SignalActions = Partial<Record<SignalAction, (signal: NodeJS.Signals, number: number) => void>>;

/** Installs the handlers; returns the function that removes them. */
export function wireSignals(actions: SignalActions): () => void {
  const installed: [NodeJS.Signals, () => void][] = [];
  for (const { signal, number, action } of MONITOR_SIGNALS) {
    const act = actions[action];
    if (act === undefined) continue;
    const handler = () => act(signal, number);
    process.on(signal, handler);
    installed.push([signal, handler]);
  }
  return () => {
    for (const [s, h] of installed) process.off(s, h);
  };
}

/** The monitor handle's side of the table, as far as the signal handlers need it. */
interface SignalledMonitor {
  stop(): Promise<void>;
  reload(): Promise<void>;
  forceShutdown(): void;
}

/**
 * The actions of a process that runs the monitor itself (`-p`, the split-mode child): stop, reload,
 * forced shutdown, with upsmon's log lines. `monitor()` is undefined while it starts: a stop then
 * calls `hooks.stopBeforeStart`; a reload or fsd is dropped (the configuration is being read anyway).
 */
export function monitorSignalActions(
  monitor: () => SignalledMonitor | undefined,
  log: Logger,
  hooks: { stopping?(): void; reloading?(): void; reloaded?(): void; stopBeforeStart?(): void } = {},
): SignalActions {
  return {
    stop: (_signal, number) => {
      log.info(`Signal ${number}: exiting`);
      hooks.stopping?.();
      const m = monitor();
      if (m !== undefined) void m.stop();
      else hooks.stopBeforeStart?.();
    },
    reload: () => {
      hooks.reloading?.();
      void monitor()
        ?.reload()
        .then(() => hooks.reloaded?.());
    },
    fsd: (_signal, number) => {
      log.info(`Signal ${number}: User requested FSD`);
      monitor()?.forceShutdown();
    },
    ignore: () => log.debug("SIGPIPE: dazed and confused, but continuing", 1),
  };
}
