/**
 * One error hierarchy for everything that can go wrong talking NUT.
 *
 * - `NutServerError`: the server answered `ERR <CODE>`. Every code upsd defines has its own subclass,
 *   with a stable `code` (the ERR token) and the message NUT's tools print for it
 *   (libupsclient's `upscli_strerror()`, e.g. "Variable not supported by UPS"). Unknown codes are
 *   preserved in `code` with the message "Unknown error", as libupsclient does.
 * - `NutConnectionError`: the TCP/TLS connection could not be made or broke (distinct from protocol errors).
 * - `NutTimeoutError`, `NutAbortError`: a request did not complete in time / was cancelled.
 * - `NutProtocolError`: the server's reply did not make sense ("Protocol error"); its subclass
 *   `NutReplyMismatchError` (code `REPLY-MISMATCH`): the reply does not answer the request.
 *
 * Pure: no I/O. Callers branch on `code`, never on message text.
 */

export abstract class NutError extends Error {
  abstract readonly code: string;
}

/** ERR codes and the strings libupsclient prints for them (protocol.md §6). */
export const ERR_MESSAGES = {
  "ACCESS-DENIED": "Access denied",
  "UNKNOWN-UPS": "Unknown UPS",
  "VAR-NOT-SUPPORTED": "Variable not supported by UPS",
  "CMD-NOT-SUPPORTED": "Instant command not supported",
  "INVALID-ARGUMENT": "Unknown error",
  "INSTCMD-FAILED": "Instant command failed",
  "SET-FAILED": "Set command failed",
  READONLY: "Read-only variable",
  "TOO-LONG": "New value is too long",
  "FEATURE-NOT-SUPPORTED": "Unknown error",
  "FEATURE-NOT-CONFIGURED": "Unknown error",
  "ALREADY-SSL-MODE": "Unknown error",
  "DRIVER-NOT-CONNECTED": "Driver not connected",
  "DATA-STALE": "Data stale",
  "ALREADY-LOGGED-IN": "Already logged in",
  "INVALID-PASSWORD": "Invalid password",
  "ALREADY-SET-PASSWORD": "Already set password",
  "INVALID-USERNAME": "Invalid username",
  "ALREADY-SET-USERNAME": "Already set username",
  "USERNAME-REQUIRED": "Username required",
  "PASSWORD-REQUIRED": "Password required",
  "UNKNOWN-COMMAND": "Unknown command",
  "INVALID-VALUE": "Invalid value for variable",
  UNKNOWN: "Unknown error",
  FAILED: "Unknown error",
  "VAR-UNKNOWN": "Variable unknown",
  "UNKNOWN-TYPE": "Unknown variable type",
  "UNKNOWN-INSTCMD": "Unknown instant command",
  "MISSING-ARGUMENT": "Missing argument",
  "PASSWORD-INCORRECT": "Password incorrect",
  "UNKNOWN-VAR": "Unknown variable",
} as const;

export type KnownErrCode = keyof typeof ERR_MESSAGES;

/** The server replied `ERR <code>[ <extra>]`. */
export class NutServerError extends NutError {
  readonly code: string;
  /** Text after the code, e.g. `SSL handshake failed` in `ERR ACCESS-DENIED "SSL handshake failed"`. */
  readonly detail: string | undefined;
  /** The raw reply line, as NUT's upscmd/upsrw print it ("Unexpected response from upsd: ERR ..."). */
  readonly replyLine: string;

  constructor(code: string, detail?: string, replyLine?: string) {
    super((ERR_MESSAGES as Record<string, string>)[code] ?? "Unknown error");
    this.name = "NutServerError";
    this.code = code;
    this.detail = detail;
    this.replyLine = replyLine ?? (detail === undefined ? `ERR ${code}` : `ERR ${code} ${detail}`);
  }
}

function defineServerError<C extends KnownErrCode>(code: C, name: string) {
  const cls = class extends NutServerError {
    declare readonly code: C;
    constructor(detail?: string, replyLine?: string) {
      super(code, detail, replyLine);
      this.name = name;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

export const AccessDeniedError = defineServerError("ACCESS-DENIED", "AccessDeniedError");
export const UnknownUpsError = defineServerError("UNKNOWN-UPS", "UnknownUpsError");
export const VarNotSupportedError = defineServerError("VAR-NOT-SUPPORTED", "VarNotSupportedError");
export const CmdNotSupportedError = defineServerError("CMD-NOT-SUPPORTED", "CmdNotSupportedError");
export const InvalidArgumentError = defineServerError("INVALID-ARGUMENT", "InvalidArgumentError");
export const InstcmdFailedError = defineServerError("INSTCMD-FAILED", "InstcmdFailedError");
export const SetFailedError = defineServerError("SET-FAILED", "SetFailedError");
export const ReadonlyError = defineServerError("READONLY", "ReadonlyError");
export const TooLongError = defineServerError("TOO-LONG", "TooLongError");
export const FeatureNotSupportedError = defineServerError(
  "FEATURE-NOT-SUPPORTED",
  "FeatureNotSupportedError",
);
export const FeatureNotConfiguredError = defineServerError(
  "FEATURE-NOT-CONFIGURED",
  "FeatureNotConfiguredError",
);
export const AlreadySslModeError = defineServerError("ALREADY-SSL-MODE", "AlreadySslModeError");
export const DriverNotConnectedError = defineServerError("DRIVER-NOT-CONNECTED", "DriverNotConnectedError");
export const DataStaleError = defineServerError("DATA-STALE", "DataStaleError");
export const AlreadyLoggedInError = defineServerError("ALREADY-LOGGED-IN", "AlreadyLoggedInError");
export const InvalidPasswordError = defineServerError("INVALID-PASSWORD", "InvalidPasswordError");
export const AlreadySetPasswordError = defineServerError("ALREADY-SET-PASSWORD", "AlreadySetPasswordError");
export const InvalidUsernameError = defineServerError("INVALID-USERNAME", "InvalidUsernameError");
export const AlreadySetUsernameError = defineServerError("ALREADY-SET-USERNAME", "AlreadySetUsernameError");
export const UsernameRequiredError = defineServerError("USERNAME-REQUIRED", "UsernameRequiredError");
export const PasswordRequiredError = defineServerError("PASSWORD-REQUIRED", "PasswordRequiredError");
export const UnknownCommandError = defineServerError("UNKNOWN-COMMAND", "UnknownCommandError");
export const InvalidValueError = defineServerError("INVALID-VALUE", "InvalidValueError");
export const TrackingUnknownError = defineServerError("UNKNOWN", "TrackingUnknownError");
export const TrackingFailedError = defineServerError("FAILED", "TrackingFailedError");
export const VarUnknownError = defineServerError("VAR-UNKNOWN", "VarUnknownError");
export const UnknownTypeError = defineServerError("UNKNOWN-TYPE", "UnknownTypeError");
export const UnknownInstcmdError = defineServerError("UNKNOWN-INSTCMD", "UnknownInstcmdError");
export const MissingArgumentError = defineServerError("MISSING-ARGUMENT", "MissingArgumentError");
export const PasswordIncorrectError = defineServerError("PASSWORD-INCORRECT", "PasswordIncorrectError");
export const UnknownVarError = defineServerError("UNKNOWN-VAR", "UnknownVarError");

const SERVER_ERROR_CLASSES: Record<string, new (detail?: string, replyLine?: string) => NutServerError> = {
  "ACCESS-DENIED": AccessDeniedError,
  "UNKNOWN-UPS": UnknownUpsError,
  "VAR-NOT-SUPPORTED": VarNotSupportedError,
  "CMD-NOT-SUPPORTED": CmdNotSupportedError,
  "INVALID-ARGUMENT": InvalidArgumentError,
  "INSTCMD-FAILED": InstcmdFailedError,
  "SET-FAILED": SetFailedError,
  READONLY: ReadonlyError,
  "TOO-LONG": TooLongError,
  "FEATURE-NOT-SUPPORTED": FeatureNotSupportedError,
  "FEATURE-NOT-CONFIGURED": FeatureNotConfiguredError,
  "ALREADY-SSL-MODE": AlreadySslModeError,
  "DRIVER-NOT-CONNECTED": DriverNotConnectedError,
  "DATA-STALE": DataStaleError,
  "ALREADY-LOGGED-IN": AlreadyLoggedInError,
  "INVALID-PASSWORD": InvalidPasswordError,
  "ALREADY-SET-PASSWORD": AlreadySetPasswordError,
  "INVALID-USERNAME": InvalidUsernameError,
  "ALREADY-SET-USERNAME": AlreadySetUsernameError,
  "USERNAME-REQUIRED": UsernameRequiredError,
  "PASSWORD-REQUIRED": PasswordRequiredError,
  "UNKNOWN-COMMAND": UnknownCommandError,
  "INVALID-VALUE": InvalidValueError,
  UNKNOWN: TrackingUnknownError,
  FAILED: TrackingFailedError,
  "VAR-UNKNOWN": VarUnknownError,
  "UNKNOWN-TYPE": UnknownTypeError,
  "UNKNOWN-INSTCMD": UnknownInstcmdError,
  "MISSING-ARGUMENT": MissingArgumentError,
  "PASSWORD-INCORRECT": PasswordIncorrectError,
  "UNKNOWN-VAR": UnknownVarError,
};

/** Build the typed error for an `ERR` reply; `words` are the tokenized reply (`["ERR", code, ...extra]`). */
export function serverErrorFromReply(words: readonly string[], replyLine?: string): NutServerError {
  const code = words[1] ?? "";
  const extra = words.length > 2 ? words.slice(2).join(" ") : undefined;
  const cls = SERVER_ERROR_CLASSES[code];
  return cls ? new cls(extra, replyLine) : new NutServerError(code, extra, replyLine);
}

/** Could not connect, or the connection broke. `code` is the system error code (ECONNREFUSED...) or a NUT one. */
export class NutConnectionError extends NutError {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NutConnectionError";
    this.code = code;
  }
}

/** The server closed the connection while requests were outstanding ("Server disconnected"). */
export class ServerDisconnectedError extends NutConnectionError {
  constructor() {
    super("SERVER-DISCONNECTED", "Server disconnected");
    this.name = "ServerDisconnectedError";
  }
}

/** TLS could not be set up or verified ("SSL error: ..."). */
export class NutTlsError extends NutConnectionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TLS-ERROR", `SSL error: ${message}`, options);
    this.name = "NutTlsError";
  }
}

/** A request got no complete reply in time. */
export class NutTimeoutError extends NutError {
  readonly code = "TIMEOUT";
  constructor(message = "Request timed out") {
    super(message);
    this.name = "NutTimeoutError";
  }
}

/** A request was cancelled through its AbortSignal. */
export class NutAbortError extends NutError {
  readonly code = "ABORTED";
  constructor(options?: { cause?: unknown }) {
    super("Request aborted", options);
    this.name = "NutAbortError";
  }
}

/** The server's reply did not make sense (garbage, a parse error, a missing value): "Protocol error". */
export class NutProtocolError extends NutError {
  readonly code: string = "PROTOCOL-ERROR";
  constructor(
    readonly detail: string,
    readonly replyLine?: string,
  ) {
    super("Protocol error");
    this.name = "NutProtocolError";
  }
}

/**
 * The reply does not answer the request: it names another UPS, variable or command than the request
 * did (`VAR otherups ups.status "OB LB"` for `GET VAR ups ups.status`), is another command's reply
 * (wrong keyword, a `TRACKING` answer the connection did not ask for), or breaks the framing of a LIST
 * (BEGIN/END or an item that does not echo the query). libupsclient calls this "Protocol error". Later
 * replies on that connection can no longer be matched to their requests, so the client closes it:
 * every other pending request fails with a `NutConnectionError` `REPLY-MISMATCH-CLOSED` whose `cause`
 * is this error. Code `REPLY-MISMATCH`.
 */
export class NutReplyMismatchError extends NutProtocolError {
  override readonly code = "REPLY-MISMATCH";
  constructor(
    /** The request as sent, minus credentials (e.g. `GET VAR ups ups.status`). */
    readonly request: string,
    detail: string,
    replyLine: string,
  ) {
    super(detail, replyLine);
    this.name = "NutReplyMismatchError";
  }
}

/** libupsclient's message for a system error code, e.g. "Connection failure: Connection refused". */
export function describeSystemError(err: NodeJS.ErrnoException): string {
  const text: Record<string, string> = {
    ECONNREFUSED: "Connection refused",
    ECONNRESET: "Connection reset by peer",
    ETIMEDOUT: "Connection timed out",
    EHOSTUNREACH: "No route to host",
    ENETUNREACH: "Network is unreachable",
    EPIPE: "Broken pipe",
    EADDRNOTAVAIL: "Cannot assign requested address",
  };
  return text[err.code ?? ""] ?? err.message;
}
