/**
 * nutguard's library entry: `import { ... } from "nutguard"`. Every public name is listed here (no
 * `export *`), so nothing internal becomes public by accident; test/public-api.test.ts pins the list.
 * Nothing here does work at import time.
 */

export type {
  CommandAccepted,
  RangeEntry,
  TrackingStatus,
  UpsEntry,
  VarEntry,
  VarType,
} from "./client/client.js";
export { NutClient } from "./client/client.js";
export type { RequestOptions } from "./client/connection.js";
export type { ConnectOptions } from "./client/open-socket.js";
export {
  NutSession,
  type NutSessionOptions,
  type SessionState,
  type SessionStateChange,
  type SessionTimers,
} from "./client/session.js";
export { type NutTlsOptions, type StartTlsOutcome, startTlsOnSocket } from "./client/tls.js";
export { ConfigError } from "./config/reader.js";
export { parseUpsConf } from "./config/ups-conf.js";
export { parseUpsdConf } from "./config/upsd-conf.js";
export { parseUpsdUsers } from "./config/upsd-users.js";
export {
  type MonitorEntry,
  type MonitorRole,
  type ParseResult as UpsmonParseResult,
  parseUpsmonConf,
  type UpsmonConfig,
} from "./config/upsmon-conf.js";
export { NOTIFY_TYPES, type NotifyType } from "./config/upsmon-notify-types.js";
export { DrillConfigError, type DrillOptions, runDrill } from "./drill/drill.js";
export {
  DRILL_SCENARIOS,
  type DrillReport,
  type DrillScenario,
  type Finding as DrillFinding,
  type ScenarioRun as DrillScenarioRun,
  type TimelineEntry as DrillTimelineEntry,
} from "./drill/drill-types.js";
export { renderReport as renderDrillReport } from "./drill/timeline.js";
export { loadUpsmonConfFile } from "./monitor/config-file.js";
export { CRITICAL_RULES } from "./monitor/critical-rules.js";
export type {
  CriticalReason,
  LinkState,
  MonitorEvent,
  MonitorEventKind,
  MonitorListener,
  MonitorSettingsSnapshot,
  MonitorSnapshot,
  ShutdownPhase,
  UpsIdentity,
  UpsReadings,
  UpsSnapshot,
} from "./monitor/events.js";
export type {
  MonitorExit,
  MonitorExitReason,
  MonitorHandle,
  MonitorHost,
} from "./monitor/monitor-handle.js";
export {
  DASHBOARD_DEMAND,
  demandOf,
  type PollDemand,
  type PollDemandSource,
  STATUS_ONLY,
} from "./monitor/poll-demand.js";
export type { NutLinkOptions } from "./monitor/ups-link-nut.js";
export { NUT_DEFAULT_PORT } from "./protocol/defaults.js";
export {
  encodeCommand,
  encodeWord,
  escapeValue,
  quoteValue,
  UnencodableValueError,
} from "./protocol/encoder.js";
export {
  AccessDeniedError,
  AlreadyLoggedInError,
  AlreadySetPasswordError,
  AlreadySetUsernameError,
  AlreadySslModeError,
  CmdNotSupportedError,
  DataStaleError,
  DriverNotConnectedError,
  ERR_MESSAGES,
  FeatureNotConfiguredError,
  FeatureNotSupportedError,
  InstcmdFailedError,
  InvalidArgumentError,
  InvalidPasswordError,
  InvalidUsernameError,
  InvalidValueError,
  type KnownErrCode,
  MissingArgumentError,
  NutAbortError,
  NutConnectionError,
  NutError,
  NutProtocolError,
  NutReplyMismatchError,
  NutServerError,
  NutTimeoutError,
  NutTlsError,
  PasswordIncorrectError,
  PasswordRequiredError,
  ReadonlyError,
  ServerDisconnectedError,
  SetFailedError,
  TooLongError,
  TrackingFailedError,
  TrackingUnknownError,
  UnknownCommandError,
  UnknownInstcmdError,
  UnknownTypeError,
  UnknownUpsError,
  UnknownVarError,
  UsernameRequiredError,
  VarNotSupportedError,
  VarUnknownError,
} from "./protocol/errors.js";
export { type TokenizedLine, Tokenizer, tokenizeText } from "./protocol/tokenizer.js";
export { splitAddr, splitName, type UpsAddress, type UpsTarget } from "./protocol/upsname.js";
export { type RunningServer, type StartServerOptions, startServer } from "./server/server.js";
export {
  type ComposeMonitorOptions,
  composeMonitor,
  type MonitorExtension,
  type MonitorExtensionContext,
} from "./service/compose-monitor.js";
export { getopt } from "./tools/getopt.js";
export { strftime } from "./tools/strftime.js";
export { formatClients, formatUpsList, formatValue, formatVariables } from "./tools/upsc-output.js";
export { compileLogFormat, DEFAULT_LOG_FORMAT, renderLogLine } from "./tools/upslog-format.js";
export { formatRwEntry, planRwType } from "./tools/upsrw-listing.js";
export { type Clock, type ClockTimer, realClock, VirtualClock } from "./util/clock.js";
export { createMemoryLogger, createStderrLogger, type Logger } from "./util/log.js";
