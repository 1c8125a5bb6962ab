// Bundles the `nutguard` CLI into one CommonJS file, dist/cli/nutguard.cjs (package.json "bin"), so a
// tool such as `nutguard upsc` starts without resolving and compiling dozens of ES modules.
// Run by `npm run build` after tsc. What it does, and why (README, "Client tools": start-up):
//  - CommonJS, not ESM: Node 20 reaches user code several ms sooner (no ESM loader start-up).
//  - Everything reachable from src/cli/main.ts is bundled, subcommands included; each subcommand
//    stays lazy (esbuild wraps dynamically imported modules in init functions).
//  - A subcommand whose static import graph uses `import.meta` (files located relative to the module,
//    e.g. unit files, a forked child entry) is left external and loaded from tsc's output next to the
//    bundle (dist/cli/<name>.js), so its relative paths stay true.
//  - `import * as x from "node:tls"` becomes a proxy that loads node:tls on first use: only STARTTLS
//    needs it, and loading it costs several ms at every start.
// Must not: change behaviour; the tests run against this bundle.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Rewrites `import * as x from "<builtin>"` (for the listed built-ins) into a proxy that requires the
 * module on first property access. Needs `require` (CommonJS output, or the ESM banner set in bundleCli).
 * Exported for the test that runs STARTTLS through a bundle (test/cli/bundle.test.ts).
 */
export function lazyBuiltinsPlugin(lazyBuiltins) {
  return {
    name: "nutguard-lazy-builtins",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        let text = readFileSync(args.path, "utf8");
        for (const mod of lazyBuiltins) {
          const re = new RegExp(`import \\* as (\\w+) from "${mod}";`);
          text = text.replace(
            re,
            (_m, name) =>
              `let ${name}Loaded: typeof import("${mod}") | undefined;\n` +
              `const ${name} = new Proxy({} as typeof import("${mod}"), { get: (_t, k) => ((${name}Loaded ??= require("${mod}")) as any)[k] });`,
          );
        }
        return { contents: text, loader: "ts" };
      });
    },
  };
}

/**
 * Builds the CLI bundle. Options exist for bench/upsc-startup.ts, which measures the variants:
 * `format` "cjs" (shipped) or "esm", `lazyBuiltins` (shipped: ["node:tls"]), `outfile`.
 */
export async function bundleCli({
  root = defaultRoot,
  format = "cjs",
  lazyBuiltins = ["node:tls"],
  outfile = join(root, "dist/cli/nutguard.cjs"),
} = {}) {
  const entry = join(root, "src/cli/main.ts");
  const common = {
    entryPoints: [entry],
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
        : undefined,
  };

  // Pass 1: the import graph, to find subcommands that must stay external.
  const probe = await build({ ...common, write: false, metafile: true, outfile });
  const inputs = probe.metafile.inputs;
  const usesImportMeta = (file) => readFileSync(join(root, file), "utf8").includes("import.meta");
  const staticClosure = (file, seen = new Set()) => {
    if (seen.has(file) || !inputs[file]) return seen;
    seen.add(file);
    for (const imp of inputs[file].imports) {
      if (imp.kind !== "dynamic-import" && !imp.external) staticClosure(imp.path, seen);
    }
    return seen;
  };
  const commandsFile = relative(root, join(root, "src/cli/commands.ts"));
  const externalCommands = new Set(
    (inputs[commandsFile]?.imports ?? [])
      .filter((imp) => imp.kind === "dynamic-import" && !imp.external)
      .filter((imp) => [...staticClosure(imp.path)].some(usesImportMeta))
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

  await build({ ...common, outfile, plugins: [plugin, lazyBuiltinsPlugin(lazyBuiltins)] });
  return [...externalCommands].map((f) => relative(root, f));
}

const self = fileURLToPath(import.meta.url);
// run as a script (npm run build), not when inlined into the benchmark's bundle
if (self.endsWith(join("scripts", "bundle.mjs")) && resolve(process.argv[1] ?? "") === self) {
  const external = await bundleCli();
  if (external.length > 0) console.error(`bundle: loaded from tsc output (they use import.meta): ${external.join(", ")}`);
}
