/**
 * Start-up benchmark (issue 3): wall time of `nutguard upsc <ups>@<host>` against C `upsc` on the same
 * UPS of a private real upsd + dummy-ups, runs interleaved, median of RUNS (default 30, at least 20)
 * each. Also measures what the shipped bundle's choices buy, by building variants into a cache dir:
 * unbundled tsc ESM output, an ESM bundle, a CJS bundle loading node:tls/node:crypto eagerly, the shipped CJS
 * bundle (node:tls and node:crypto loaded on first use); the upsc launcher that starts Node from a V8
 * start-up snapshot (dist/cli/upsc, also built by `npm run build`); plus bare `node -e 0`, the floor Node sets.
 *
 * Prints figures only; asserts nothing (the machine's load decides the absolute numbers).
 * With NUTGUARD_DEB=<path of a .deb> (npm run package), also the installed package's `nutguard upsc`: its
 * launcher, pinned Node and CLI snapshot, unpacked into the cache dir.
 * Usage: [NUTGUARD_DEB=dist/nutguard_<version>_amd64.deb] npm run bench:startup [-- RUNS]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error plain ESM build script without type declarations
import { bundleCli } from "../scripts/bundle.mjs";
import { startNutStack } from "../test/helpers/nut-stack.js";

/** The package root: npm runs scripts there (this file runs from a bundle in node_modules/.cache). */
const root = process.cwd();
const runs = Math.max(20, Number(process.argv[2] ?? 30) || 30);
const cache = join(root, "node_modules/.cache/nutguard-bench");

interface Variant {
  name: string;
  argv: (target: string) => string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** CPU time (user+sys, ms) of all waited-for children so far, from /proc/self/stat (10 ms ticks). */
function childrenCpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8")
    .replace(/^.*\) /, "")
    .split(" ");
  // after "pid (comm) ": field 3 is state, so cutime/cstime (stat fields 16/17) are at 13/14
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function timeOnce(argv: string[]): { ms: number; stdout: string; status: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: "utf8",
    env: { ...process.env, NUT_QUIET_INIT_SSL: "true" },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, stdout: r.stdout, status: r.status };
}

async function main(): Promise<void> {
  mkdirSync(cache, { recursive: true });
  const esmBundle = join(cache, "nutguard-esm.mjs");
  const eagerBundle = join(cache, "nutguard-eager-builtins.cjs");
  await bundleCli({ root, format: "esm", outfile: esmBundle });
  await bundleCli({ root, format: "cjs", lazyBuiltins: [], outfile: eagerBundle });
  const node = process.execPath;
  const shipped = join(root, "dist/cli/nutguard.cjs");
  const snapshotLauncher = join(root, "dist/cli/upsc");
  const variants: Variant[] = [
    { name: "C upsc (NUT 2.8.0)", argv: (t) => ["/usr/bin/upsc", t] },
    { name: "nutguard upsc (shipped: CJS bundle, lazy tls/crypto)", argv: (t) => [node, shipped, "upsc", t] },
    { name: "upsc launcher (shipped: V8 start-up snapshot)", argv: (t) => [snapshotLauncher, t] },
    { name: "  variant: CJS bundle, eager tls/crypto", argv: (t) => [node, eagerBundle, "upsc", t] },
    { name: "  variant: ESM bundle, lazy tls/crypto", argv: (t) => [node, esmBundle, "upsc", t] },
    {
      name: "  variant: unbundled tsc output (ESM)",
      argv: (t) => [node, join(root, "dist/cli/main.js"), "upsc", t],
    },
    { name: "node -e 0 (Node's own start-up)", argv: () => [node, "-e", "0"] },
  ];
  // the .deb (NUTGUARD_DEB=dist/nutguard_<version>_amd64.deb): its /usr/bin/nutguard launcher, pinned
  // Node and whole-CLI snapshot, unpacked here with the launcher's /usr/lib/nutguard paths pointed at it
  const deb = process.env.NUTGUARD_DEB;
  const summaries: [string, number][] = [
    ["nutguard upsc", 1],
    ["upsc launcher (snapshot)", 2],
  ];
  if (deb) {
    const unpacked = join(cache, "deb");
    rmSync(unpacked, { recursive: true, force: true });
    const x = spawnSync("dpkg-deb", ["-x", deb, unpacked], { encoding: "utf8" });
    if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb}: ${x.stderr}`);
    const launcher = join(unpacked, "nutguard");
    writeFileSync(
      launcher,
      readFileSync(join(unpacked, "usr/bin/nutguard"), "utf8").replaceAll(
        "/usr/lib/nutguard",
        join(unpacked, "usr/lib/nutguard"),
      ),
      { mode: 0o755 },
    );
    const runtime = spawnSync(join(unpacked, "usr/lib/nutguard/bin/node"), ["--version"], {
      encoding: "utf8",
    }).stdout.trim();
    variants.splice(3, 0, {
      name: `.deb: nutguard upsc (Node ${runtime}, CLI snapshot)`,
      argv: (t) => [launcher, "upsc", t],
    });
    summaries.push([".deb nutguard upsc", 3]);
  }

  const stack = await startNutStack();
  try {
    const target = `dummy@127.0.0.1:${stack.port}`;
    const reference = timeOnce(["/usr/bin/upsc", target]);
    for (const v of variants.slice(1, -1)) {
      const r = timeOnce(v.argv(target));
      if (r.status !== 0 || r.stdout !== reference.stdout)
        throw new Error(`${v.name}: output differs from C upsc`);
    }
    const times = variants.map(() => [] as number[]);
    const cpuMs = variants.map(() => 0);
    for (let i = 0; i < runs; i++) {
      variants.forEach((v, j) => {
        const cpu0 = childrenCpuMs();
        times[j]!.push(timeOnce(v.argv(target)).ms);
        cpuMs[j]! += childrenCpuMs() - cpu0;
      });
    }
    const cMedian = median(times[0]!);
    console.log(`upsc ${target} — ${runs} interleaved runs each, wall time per process (ms)`);
    console.log(
      `${"".padEnd(52)} ${"median".padStart(7)} ${"min".padStart(7)} ${"× C".padStart(6)} ${"cpu/run".padStart(8)}`,
    );
    variants.forEach((v, j) => {
      const m = median(times[j]!);
      const min = Math.min(...times[j]!);
      console.log(
        `${v.name.padEnd(52)} ${m.toFixed(1).padStart(7)} ${min.toFixed(1).padStart(7)} ${(m / cMedian).toFixed(2).padStart(6)} ${(cpuMs[j]! / runs).toFixed(1).padStart(8)}`,
      );
    });
    console.log("(cpu/run: user+sys CPU ms per process, all threads, from the kernel's 10 ms accounting)");
    if (process.env.NODE_EXTRA_CA_CERTS) {
      console.log(
        `(NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS} is set: Node parses it at every start, which the ` +
          "rows started with plain node pay; the upsc launcher unsets it, as upsc never opens TLS)",
      );
    }
    const floor = median(times[variants.length - 1]!);
    console.log("");
    for (const [label, j] of summaries) {
      const ours = median(times[j]!);
      console.log(
        `${label} / C upsc = ${(ours / cMedian).toFixed(2)} (target ≤ 1.30); above bare node: ${(ours - floor).toFixed(1)} ms`,
      );
    }
  } finally {
    await stack.stop();
  }
}

await main();
