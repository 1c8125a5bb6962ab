/**
 * Entry point of the V8 start-up snapshot of the whole `nutguard` CLI (nutguard.blob, built by
 * scripts/bundle.mjs buildCliSnapshot() with the Node binary that will run it: the .deb's pinned runtime;
 * /usr/bin/nutguard runs `node --snapshot-blob <dir>/nutguard.blob -- ARGS`).
 * At build time every subcommand that is part of the bundle is loaded and initialised, and upsc's request
 * and output paths run once against an in-memory server, so a run from the blob starts with that code
 * compiled. The deserialized main then:
 *  - makes process.argv look like a run of the bundle next to the blob ([node, <dir>/nutguard.cjs, ...ARGS])
 *    and empties process.execArgv, so the processes nutguard starts itself (the monitor's unprivileged
 *    child, `monitor -B`'s daemon, upslog in the background) run that bundle with the same Node;
 *  - loads what cannot be in a snapshot (subcommands left to tsc's output, the unix-dgram addon) through a
 *    require() rooted at the bundle: the snapshot bundle's `import()` of those goes through
 *    globalThis.__nutguardRequire (scripts/bundle.mjs, rewriteExternalImports), as a snapshot has no
 *    dynamic import().
 * Must not: open sockets or touch stdio, argv or the environment at build time; do anything when it is
 * not building a snapshot.
 */
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { startupSnapshot } from "node:v8";
import { SUBCOMMANDS } from "./commands.js";
import { main } from "./dispatch.js";
import { warmUpUpsc } from "./upsc-warm-up.js";

declare global {
  // set by the deserialized main below; read by the snapshot bundle's rewritten import() calls
  var __nutguardRequire: NodeJS.Require | undefined;
}

async function warmUp(): Promise<void> {
  for (const command of SUBCOMMANDS) {
    // subcommands outside the bundle cannot load yet (no __nutguardRequire): they load at run time
    await command.load().catch(() => undefined);
  }
  await warmUpUpsc();
}

if (startupSnapshot.isBuildingSnapshot()) {
  // the snapshot is taken once the event loop is empty, so after the warm-up
  void warmUp();
  startupSnapshot.setDeserializeMainFunction(() => {
    const blobAt = process.execArgv.indexOf("--snapshot-blob");
    const blob = blobAt >= 0 ? process.execArgv[blobAt + 1] : undefined;
    const bundle = join(dirname(resolve(blob ?? "nutguard.blob")), "nutguard.cjs");
    globalThis.__nutguardRequire = createRequire(bundle);
    // from a snapshot, argv is [node, ...the arguments after `--`]
    const args = process.argv.slice(1);
    process.argv = [process.execPath, bundle, ...args];
    process.execArgv = [];
    main(args, "nutguard").then(
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
