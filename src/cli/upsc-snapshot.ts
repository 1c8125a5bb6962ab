/**
 * Entry point of the V8 start-up snapshot of `upsc` (dist/cli/upsc.blob, built by scripts/bundle.mjs
 * with `node --build-snapshot`; run by the dist/cli/upsc launcher as `node --snapshot-blob upsc.blob -- ARGS`).
 * At build time upsc's code and the built-ins it needs (net, stream) are loaded and initialised, and its
 * request and output paths are run once against an in-memory server so V8 has compiled them (the blob
 * keeps the bytecode); a run from the blob skips all that. The deserialized main runs upsc with the real argv.
 * Must not: open sockets or touch stdio, argv or the environment at build time (whatever it touches is
 * frozen into the blob); do anything when it is not building a snapshot.
 */
import { startupSnapshot } from "node:v8";
import { run } from "./upsc.js";
import { warmUpUpsc } from "./upsc-warm-up.js";

if (startupSnapshot.isBuildingSnapshot()) {
  // the snapshot is taken once the event loop is empty, so after the warm-up; a failure fails the build
  void warmUpUpsc();
  startupSnapshot.setDeserializeMainFunction(() => {
    // from a snapshot, argv is [node, ...the arguments after `--`]
    run(process.argv.slice(1)).then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(`nutguard: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      },
    );
  });
}
