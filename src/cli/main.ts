#!/usr/bin/env node
/**
 * `nutguard` entry point: dispatches to a subcommand. Also runs as `upsc`, `upscmd`, `upsrw`,
 * `upslog` when invoked under that name (symlink), so it can stand in for NUT's tools.
 * Thin on purpose: argv in, exit code out.
 */
import { basename } from "node:path";
import { main } from "./dispatch.js";

const invokedAs = basename(process.argv[1] ?? "nutguard").replace(/\.(js|mjs|cjs)$/, "");
main(process.argv.slice(2), invokedAs).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`nutguard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
