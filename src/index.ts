/**
 * nutguard's library entry: `import { ... } from "nutguard"`.
 * Re-exports the public API of each room; nothing here does work at import time.
 */

export * from "./client/index.js";
export * from "./protocol/index.js";
export * from "./server/index.js";
export * from "./tools/index.js";
