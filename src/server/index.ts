/**
 * The server room's public API: the embedded upsd-compatible server (also a test double for NUT
 * clients), its pure session and simulation, and the readers of upsd's config files.
 */
export { parseCmdvartab } from "../config/cmdvartab.js";
export { ConfigError } from "../config/reader.js";
export { parseUpsConf } from "../config/ups-conf.js";
export { parseUpsdConf } from "../config/upsd-conf.js";
export { parseUpsdUsers, userMay } from "../config/upsd-users.js";
export { NutListener } from "./listener.js";
export {
  ServerModel,
  type SessionState as ServerSessionState,
  type UpsEntry as ServerUpsEntry,
} from "./model.js";
export { type RunningServer, type StartServerOptions, startServer } from "./server.js";
export { handleRequest, type SessionOutput } from "./session.js";
export { DummyUpsSimulation, type SimulationMode } from "./simulation.js";
