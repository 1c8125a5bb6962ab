/**
 * Plumbing shared by the drop-in client tools (upsc, upscmd, upsrw, upslog): how a fatal error ends
 * a tool (message on stderr, exit 1, never a stack trace), the libupsclient wording of client errors,
 * the connect timeout (-W / NUT_DEFAULT_CONNECT_TIMEOUT), `-V`, and connecting to `ups@host:port`.
 *
 * Must not: print to stdout, or hold state between calls.
 */
import { NutClient } from "../client/client.js";
import { NutConnectionError, NutProtocolError, NutServerError } from "../protocol/errors.js";
import type { UpsAddress } from "../protocol/upsname.js";
import { NUTGUARD_VERSION } from "../util/version.js";

export { NUTGUARD_VERSION };
export const DEFAULT_CONNECT_TIMEOUT_SEC = 10;

/** Ends a tool: `stderr` is printed as is (include the newlines), then the process exits with `code`. */
export class ToolExit extends Error {
  constructor(
    readonly code: number,
    readonly stderr: string,
  ) {
    super(stderr.trimEnd());
    this.name = "ToolExit";
  }
}

/** NUT's fatalx(): the message and a newline on stderr, exit 1. */
export function fatal(message: string): ToolExit {
  return new ToolExit(1, `${message}\n`);
}

/**
 * What libupsclient's upscli_strerror() would say for this failure. A request that failed because an
 * earlier reply on the connection did not answer its request reports that: "Protocol error".
 */
export function describeError(err: unknown): string {
  if (err instanceof NutConnectionError && err.cause instanceof NutProtocolError) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** True for `ERR UNKNOWN-COMMAND` (a pre-1.x upsd), which the tools explain specially. */
export function isUnknownCommand(err: unknown): boolean {
  return err instanceof NutServerError && err.code === "UNKNOWN-COMMAND";
}

/** `-W <secs>`, else NUT_DEFAULT_CONNECT_TIMEOUT, else 10 s; rejects what is not a positive number. */
export function connectTimeoutMs(option: string | undefined, env: NodeJS.ProcessEnv): number {
  const text = option ?? env.NUT_DEFAULT_CONNECT_TIMEOUT;
  if (text === undefined || text === "") return DEFAULT_CONNECT_TIMEOUT_SEC * 1000;
  const sec = Number(text);
  if (!Number.isFinite(sec) || sec < 0) throw fatal(`Error: invalid network timeout: ${text}`);
  return Math.round(sec * 1000);
}

/** `-V`: the version line (stdout in NUT). */
export function versionBanner(prog: string): string {
  return `Network UPS Tools ${prog} (nutguard ${NUTGUARD_VERSION})\n`;
}

/**
 * Connects without TLS (see docs/client-tools.md: the tools do not try STARTTLS). The timeout applies to the
 * connection and to each reply (NUT applies -W to the connection only). Errors are NutConnectionError.
 */
export function connectTo(addr: UpsAddress, timeoutMs: number): Promise<NutClient> {
  return NutClient.connect({
    host: addr.host,
    port: addr.port,
    connectTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
  });
}

/** A LIST request that failed ends the tool: `Error: <message>` (old upsd explained as NUT does). */
export function listFailure(err: unknown): ToolExit {
  if (isUnknownCommand(err)) return fatal("Error: upsd is too old to support this query");
  return fatal(`Error: ${describeError(err)}`);
}

/**
 * For lookups NUT tolerates failing (a description, a type): an `ERR` reply becomes undefined, but a
 * broken connection or a nonsense reply ends the tool, so it never prints made-up data.
 */
export function unlessServerError<T>(promise: Promise<T>): Promise<T | undefined> {
  return promise.catch((err: unknown) => {
    if (err instanceof NutServerError) return undefined;
    throw fatal(`Error: ${describeError(err)}`);
  });
}

/** Exit status a shell shows for a process killed by SIGPIPE (128 + 13), which is how NUT's tools end. */
export const BROKEN_PIPE_EXIT = 141;

/**
 * `upsc ... | head -1`: when the reader of stdout goes away, end quietly as NUT's tools do (they die of
 * SIGPIPE) instead of crashing with an EPIPE stack trace. `onBrokenPipe` defaults to exiting at once.
 */
export function guardStdout(onBrokenPipe: () => void = () => process.exit(BROKEN_PIPE_EXIT)): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") onBrokenPipe();
    else throw err;
  });
}
