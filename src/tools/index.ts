/**
 * The client tools' reusable, pure parts (no I/O): NUT's getopt, `ups@host:port` parsing, upsc's text
 * and JSON output, upsrw's listing blocks, upslog's format language and strftime.
 * The tools themselves are `nutguard upsc|upscmd|upsrw|upslog` (src/cli/).
 */

export * from "../protocol/upsname.js";
export * from "./getopt.js";
export * from "./json-output.js";
export * from "./strftime.js";
export * from "./upsc-output.js";
export * from "./upslog-format.js";
export * from "./upsrw-listing.js";
