/** The client room: one NUT connection with typed, pipelinable commands, and a long-lived session. */
export * from "./client.js";
export * from "./connection.js";
export * from "./list-framing.js";
export { type ConnectOptions, NUT_PORT, openSocket } from "./open-socket.js";
export * from "./request-queue.js";
export * from "./session.js";
export * from "./tls.js";
