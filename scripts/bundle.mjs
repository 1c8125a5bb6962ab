// Bundles the `nutguard` CLI into one CommonJS file, dist/cli/nutguard.cjs (package.json "bin"), so a
// tool such as `nutguard upsc` starts without resolving and compiling dozens of ES modules.
// Run by `npm run build` after tsc. What it does, and why (docs/client-tools.md, "Start-up"):
//  - CommonJS, not ESM: Node 20 reaches user code several ms sooner (no ESM loader start-up).
//  - Everything reachable from src/cli/main.ts is bundled, subcommands included; each subcommand
//    stays lazy (esbuild wraps dynamically imported modules in init functions).
//  - A subcommand whose import graph uses `import.meta` anywhere (files located relative to the module,
//    e.g. unit files, a forked child entry) is left external and loaded from tsc's output next to the
//    bundle (dist/cli/<name>.js), so its relative paths stay true.
//  - imports of node:tls and node:crypto become proxies that load the module on first use: only
//    STARTTLS needs them, and loading them costs several ms at every start. node:child_process too (in
//    the shipped bundle): the monitor needs it only to run NOTIFYCMD/SHUTDOWNCMD, and it pulls in
//    dgram and net internals that would otherwise stay in its memory for good.
//  - `upsc` also gets a V8 start-up snapshot: dist/cli/upsc.blob (src/cli/upsc-snapshot.ts, bundled and
//    run with `node --build-snapshot`) and dist/cli/upsc, a launcher that starts Node from the blob and
//    falls back to the bundle when this Node cannot load it (the blob is tied to the Node binary).
// Must not: change behaviour; the tests run against this bundle.
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Rewrites value imports of the listed built-ins so that the module is required on first use:
 * `import * as x from "m"` becomes a proxy object, and `import { a, b as c } from "m"` a proxy per
 * binding that forwards calls, `new` and property reads. Type-only imports are left alone. Needs
 * `require` (CommonJS output, or the ESM banner set in bundleCli).
 * Exported for the test that runs STARTTLS through a bundle (test/cli/bundle.test.ts).
 */
export function lazyBuiltinsPlugin(lazyBuiltins, rewriteImport) {
  const loader = (mod) => `(__lazy[${JSON.stringify(mod)}] ??= require(${JSON.stringify(mod)}))`;
  const namespace = (mod, name) =>
    `const ${name} = new Proxy({} as typeof import("${mod}"), { get: (_t, k) => (${loader(mod)} as any)[k] });`;
  const binding = (mod, imported, local) =>
    `const ${local}: typeof import("${mod}").${imported} = new Proxy(function () {} as any, {` +
    ` apply: (_t, self, args) => Reflect.apply(${loader(mod)}.${imported}, self, args),` +
    ` construct: (_t, args) => Reflect.construct(${loader(mod)}.${imported}, args),` +
    ` get: (_t, k) => (${loader(mod)}.${imported} as any)[k] });`;
  return {
    name: "nutguard-lazy-builtins",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        let text = readFileSync(args.path, "utf8");
        let changed = false;
        for (const mod of lazyBuiltins) {
          const esc = mod.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          text = text.replace(new RegExp(`^import \\* as (\\w+) from "${esc}";$`, "m"), (_m, name) => {
            changed = true;
            return namespace(mod, name);
          });
          text = text.replace(new RegExp(`^import \\{([^}]*)\\} from "${esc}";$`, "m"), (_m, list) => {
            changed = true;
            const specs = list
              .split(",")
              .map((x) => x.trim())
              .filter((x) => x !== "");
            const types = specs.filter((x) => x.startsWith("type "));
            const values = specs.filter((x) => !x.startsWith("type "));
            const out = values.map((spec) => {
              const [imported, local = imported] = spec.split(/\s+as\s+/);
              return binding(mod, imported, local);
            });
            if (types.length > 0) out.unshift(`import { ${types.join(", ")} } from "${mod}";`);
            return out.join("\n");
          });
        }
        if (rewriteImport) {
          // the snapshot bundle: import() of what stays outside it goes through the require() the
          // deserialized main sets up (a snapshot has no dynamic import())
          text = text.replace(/\bimport\((["'])([^"']+)\1\)/g, (call, _q, spec) =>
            rewriteImport(spec, args.path) ? `__nutguardImport(${JSON.stringify(spec)})` : call,
          );
        }
        if (changed) text = `const __lazy: Record<string, any> = {};\n${text}`;
        return { contents: text, loader: "ts" };
      });
    },
  };
}

/**
 * Builds the CLI bundle. Options exist for bench/upsc-startup.ts, which measures the variants:
 * `format` "cjs" (shipped) or "esm", `lazyBuiltins` (shipped: node:tls and node:crypto), `outfile`.
 */
export async function bundleCli({
  root = defaultRoot,
  format = "cjs",
  lazyBuiltins = ["node:tls", "node:crypto", "node:child_process"],
  outfile = join(root, "dist/cli/nutguard.cjs"),
  entry = join(root, "src/cli/main.ts"),
  snapshot = false,
} = {}) {
  const common = {
    entryPoints: [entry],
    absWorkingDir: root, // metafile paths are relative to it
    bundle: true,
    platform: "node",
    target: "node20",
    format,
    packages: "external",
    logLevel: "warning",
    // the lazy built-ins below call require(), which an ES module must create for itself
    banner:
      format === "esm"
        ? { js: 'import { createRequire as __nutguardRequire } from "node:module"; const require = __nutguardRequire(import.meta.url);' }
        : snapshot
          ? { js: "var __nutguardImport = (id) => new Promise((ok) => ok(globalThis.__nutguardRequire(id)));" }
          : undefined,
  };

  // Pass 1: the import graph, to find subcommands that must stay external.
  const probe = await build({ ...common, write: false, metafile: true, outfile, logLevel: "silent" });
  const inputs = probe.metafile.inputs;
  const usesImportMeta = (file) => readFileSync(join(root, file), "utf8").includes("import.meta");
  const reachable = (file, seen = new Set()) => {
    if (seen.has(file) || !inputs[file]) return seen;
    seen.add(file);
    for (const imp of inputs[file].imports) {
      if (!imp.external) reachable(imp.path, seen);
    }
    return seen;
  };
  const commandsFile = relative(root, join(root, "src/cli/commands.ts"));
  const externalCommands = new Set(
    (inputs[commandsFile]?.imports ?? [])
      .filter((imp) => imp.kind === "dynamic-import" && !imp.external)
      .filter((imp) => [...reachable(imp.path)].some(usesImportMeta))
      .map((imp) => join(root, imp.path)),
  );

  const plugin = {
    name: "nutguard-cli",
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!args.importer.endsWith("commands.ts")) return undefined;
        const target = resolve(dirname(args.importer), args.path.replace(/\.js$/, ".ts"));
        if (!externalCommands.has(target)) return undefined;
        // tsc's output for this module sits next to the bundle in dist/cli/
        return { path: args.path, external: true };
      });
    },
  };

  // snapshot: bare packages (the unix-dgram addon) and the subcommands left to tsc's output
  const outside = (spec, importer) =>
    (!spec.startsWith(".") && !spec.startsWith("node:")) ||
    externalCommands.has(resolve(dirname(importer), spec.replace(/\.js$/, ".ts")));
  const plugins = snapshot
    ? [lazyBuiltinsPlugin(lazyBuiltins, outside)]
    : [plugin, lazyBuiltinsPlugin(lazyBuiltins)];
  await build({ ...common, outfile, plugins });
  return [...externalCommands].map((f) => relative(root, f));
}

/** Node's exit code when it cannot load a start-up snapshot (missing file, other Node version); upsc never uses it. */
const SNAPSHOT_FAILURE_EXIT = 14;

const shellQuote = (s) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Builds the start-up snapshot of upsc and its launcher: `dir`/upsc-snapshot.cjs (bundle of
 * src/cli/upsc-snapshot.ts), `dir`/upsc.blob (made by `node` = this Node) and `dir`/upsc, a
 * /bin/sh launcher with absolute paths (the blob only works with the Node binary that built it, so it is
 * built where it runs: `npm run build`). When `node --build-snapshot` fails, the launcher only runs the
 * bundle and the result names the failure. The launcher runs `node <bundle> upsc` instead when NODE_OPTIONS
 * is set (V8 flags there make Node refuse the blob) or Node cannot load the blob (after Node's own
 * "Failed to load the startup snapshot ..." line).
 */
export async function buildUpscSnapshot({
  root = defaultRoot,
  dir = join(root, "dist/cli"),
  bundle = join(root, "dist/cli/nutguard.cjs"),
  node = process.execPath,
} = {}) {
  const entry = join(dir, "upsc-snapshot.cjs");
  const blob = join(dir, "upsc.blob");
  const launcher = join(dir, "upsc");
  await build({
    entryPoints: [join(root, "src/cli/upsc-snapshot.ts")],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    logLevel: "warning",
    outfile: entry,
    plugins: [lazyBuiltinsPlugin(["node:tls", "node:crypto"])],
  });
  const made = spawnSync(node, ["--snapshot-blob", `${blob}.tmp`, "--build-snapshot", entry], {
    cwd: dir,
    encoding: "utf8",
  });
  // a blob Node cannot parse crashes it, so only a complete one is renamed into place
  if (made.status === 0) renameSync(`${blob}.tmp`, blob);
  else for (const f of [blob, `${blob}.tmp`]) rmSync(f, { force: true });
  const fromSnapshot = `# V8 flags in NODE_OPTIONS make Node refuse the blob, so then the bundle runs. Exit ${SNAPSHOT_FAILURE_EXIT} is
# Node failing to load the blob (upsc never uses it): the bundle runs instead.
if [ -z "\${NODE_OPTIONS:-}" ]; then
  ${shellQuote(node)} --snapshot-blob ${shellQuote(blob)} -- "$@"
  rc=$?
  [ "$rc" -eq ${SNAPSHOT_FAILURE_EXIT} ] || exit "$rc"
fi
`;
  const script = `#!/bin/sh
# nutguard upsc, started from a V8 start-up snapshot (docs/client-tools.md, "Start-up").
# Written by scripts/bundle.mjs (npm run build) for this Node binary; rebuild after upgrading Node.
# upsc never opens TLS, but Node 20 reads and parses NODE_EXTRA_CA_CERTS at every start-up (a whole
# CA bundle: ~70 ms of CPU where it names /etc/ssl/certs/ca-certificates.crt), so it is dropped here.
unset NODE_EXTRA_CA_CERTS
${made.status === 0 ? fromSnapshot : "# (no snapshot: node --build-snapshot failed at build time)\n"}exec ${shellQuote(node)} ${shellQuote(bundle)} upsc "$@"
`;
  writeFileSync(`${launcher}.tmp`, script);
  chmodSync(`${launcher}.tmp`, 0o755);
  renameSync(`${launcher}.tmp`, launcher);
  if (made.status !== 0) return { launcher, failure: `node --build-snapshot ${entry} failed:\n${made.stderr}` };
  return { blob, launcher };
}

/**
 * Builds the V8 start-up snapshot of the whole CLI (src/cli/nutguard-snapshot.ts) for the Node binary
 * `node`, which must be the one that runs it (the .deb's pinned runtime): `dir`/nutguard-snapshot.cjs
 * and `dir`/nutguard.blob, next to the bundle `dir`/nutguard.cjs the deserialized main hands argv and
 * child processes to. `runner` prefixes the command (e.g. qemu-user for another architecture's node).
 * Resolves to { blob } or { failure } (node --build-snapshot's stderr); a failed build leaves no blob.
 */
export async function buildCliSnapshot({ root = defaultRoot, dir, node, runner = [] }) {
  const entry = join(dir, "nutguard-snapshot.cjs");
  const blob = join(dir, "nutguard.blob");
  await bundleCli({
    root,
    entry: join(root, "src/cli/nutguard-snapshot.ts"),
    outfile: entry,
    snapshot: true,
  });
  const [cmd, ...pre] = [...runner, node];
  const made = spawnSync(cmd, [...pre, "--snapshot-blob", `${blob}.tmp`, "--build-snapshot", entry], {
    cwd: dir,
    encoding: "utf8",
  });
  if (made.status === 0) renameSync(`${blob}.tmp`, blob);
  else for (const f of [blob, `${blob}.tmp`]) rmSync(f, { force: true });
  return made.status === 0
    ? { blob }
    : { failure: `node --build-snapshot ${entry} failed (${made.status ?? made.signal}):\n${made.stderr}` };
}

const self = fileURLToPath(import.meta.url);
// run as a script (npm run build), not when inlined into the benchmark's bundle
if (self.endsWith(join("scripts", "bundle.mjs")) && resolve(process.argv[1] ?? "") === self) {
  const external = await bundleCli();
  if (external.length > 0) console.error(`bundle: loaded from tsc output (they use import.meta): ${external.join(", ")}`);
  const snapshot = await buildUpscSnapshot();
  // not fatal: without the blob, dist/cli/upsc runs the bundle (slower start, same behaviour)
  if (snapshot.failure) console.error(`bundle: WARNING: no upsc start-up snapshot; ${snapshot.failure}`);
}
