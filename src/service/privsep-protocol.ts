/**
 * The whole privileged surface between the unprivileged monitor and the root supervisor, in one file.
 *
 * The monitor (running as RUN_AS_USER) writes one line per message to its end of a socketpair; the
 * supervisor (root) reads them. Exactly one message asks for privileged work: `SHUTDOWN` (write
 * POWERDOWNFLAG, run SHUTDOWNCMD). It carries no arguments: the supervisor takes SHUTDOWNCMD and
 * POWERDOWNFLAG from the config it read as root, never from the message. The other three only
 * relay state to systemd through the supervisor (which is the unit's main process, so
 * NotifyAccess=main suffices); they carry at most a length-limited, single-line status text that
 * the supervisor sends as `STATUS=` and nothing else.
 *
 * Policy, for both process models: SHUTDOWNCMD runs at most once per monitor process lifetime. The
 * first shutdown request runs it (POWERDOWNFLAG first); any later one, while it runs or after, is
 * refused and logged. `ShutdownOnce` below is the one place that enforces it: the split-mode
 * supervisor (on the `SHUTDOWN` message) and the `-p` in-process host (service/in-process-host.ts)
 * both go through it.
 *
 * Pure: no I/O. Anything that does not parse is returned as `{ kind: "invalid" }` so the caller can
 * log and refuse it.
 */

/**
 * How the supervisor starts the monitor process: `node <nutguard entry> monitor --privsep-child '<json>'`
 * with fd 3 its end of the socketpair (internal; not for users).
 */
export const PRIVSEP_CHILD_FLAG = "--privsep-child";

export type MonitorMessage =
  /** Run the power-fail shutdown: write POWERDOWNFLAG, run SHUTDOWNCMD. The only privileged request. */
  | { kind: "shutdown" }
  /** The first poll round is done (or a reload finished): the supervisor may signal READY=1. */
  | { kind: "ready" }
  /** A one-line summary of the monitored UPSes, for STATUS=. */
  | { kind: "status"; text: string }
  /** A healthy poll round happened (feeds the systemd watchdog). */
  | { kind: "heartbeat" };

export type ParsedMessage = MonitorMessage | { kind: "invalid"; line: string; reason: string };

/** Longest status text relayed; longer texts are cut (systemd shows one line anyway). */
export const MAX_STATUS_CHARS = 200;
/** Longest line the supervisor buffers before declaring the stream bogus. */
export const MAX_LINE_BYTES = 512;

/** Keeps only printable single-line text: control characters (newlines included) become spaces. */
export function sanitizeStatus(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  return flat.length > MAX_STATUS_CHARS ? flat.slice(0, MAX_STATUS_CHARS) : flat;
}

export function encodeMessage(message: MonitorMessage): string {
  switch (message.kind) {
    case "shutdown":
      return "SHUTDOWN\n";
    case "ready":
      return "READY\n";
    case "heartbeat":
      return "HEARTBEAT\n";
    case "status":
      return `STATUS ${sanitizeStatus(message.text)}\n`;
  }
}

/** Parses one line (without its newline). */
export function parseMessage(line: string): ParsedMessage {
  if (line === "SHUTDOWN") return { kind: "shutdown" };
  if (line === "READY") return { kind: "ready" };
  if (line === "HEARTBEAT") return { kind: "heartbeat" };
  if (line.startsWith("STATUS ")) return { kind: "status", text: sanitizeStatus(line.slice(7)) };
  return { kind: "invalid", line: sanitizeStatus(line), reason: "unknown message" };
}

/**
 * Splits a byte stream into messages. Feed chunks as they arrive; returns the complete messages.
 * A line longer than MAX_LINE_BYTES yields one `invalid` message and the rest of that line is dropped.
 */
export class MessageReader {
  private pending = "";
  private discarding = false;

  push(chunk: Buffer | string): ParsedMessage[] {
    this.pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    const out: ParsedMessage[] = [];
    for (;;) {
      const nl = this.pending.indexOf("\n");
      if (nl < 0) {
        if (this.pending.length > MAX_LINE_BYTES && !this.discarding) {
          out.push({
            kind: "invalid",
            line: sanitizeStatus(this.pending.slice(0, 40)),
            reason: "line too long",
          });
          this.discarding = true;
        }
        if (this.discarding) this.pending = "";
        return out;
      }
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      out.push(
        line.length > MAX_LINE_BYTES
          ? { kind: "invalid", line: line.slice(0, 40), reason: "line too long" }
          : parseMessage(line),
      );
    }
  }
}

export type ShutdownOnceState = "none" | "running" | "done";

/**
 * The "SHUTDOWNCMD runs once" policy (see the top of this file). `run` does the privileged work
 * (write POWERDOWNFLAG, run SHUTDOWNCMD); it is started by the first `request()` only.
 */
export class ShutdownOnce {
  private current: ShutdownOnceState = "none";
  private finished: Promise<void> = Promise.resolve();

  constructor(
    private readonly run: () => Promise<void>,
    private readonly refused: () => void,
  ) {}

  get state(): ShutdownOnceState {
    return this.current;
  }

  /** Starts the privileged shutdown the first time; later calls are refused. Resolves when the first run ends. */
  request(): Promise<void> {
    if (this.current !== "none") {
      this.refused();
      return this.finished;
    }
    this.current = "running";
    this.finished = this.run().finally(() => {
      this.current = "done";
    });
    return this.finished;
  }
}
