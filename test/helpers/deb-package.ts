/**
 * The .deb for tests: builds dist-like packages with scripts/package.mjs (`--fast`: gzip -1 instead of xz,
 * the same contents) into node_modules/.cache/nutguard-package/test-debs/, once per set of inputs: a .deb
 * newer than the built CLI, packaging/, units/ and the packaging scripts is reused, so the test files that
 * install the package (amd64 container tests, the arm64 smoke test, takeover scenarios) build it once
 * per run. Builds are serialised with a lock file (two test workers may ask at once).
 * Must not: write into dist/ (the user's own `npm run package` output).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT } from "./container.js";

export const DEB_CACHE = join(REPO_ROOT, "node_modules/.cache/nutguard-package");
const OUT = join(DEB_CACHE, "test-debs");

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((e) => newestMtime(join(path, e))));
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(OUT, ".lock");
  for (;;) {
    try {
      const fh = await open(lock, "wx");
      try {
        return await fn();
      } finally {
        await fh.close();
        await rm(lock, { force: true });
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // a lock older than 20 minutes belongs to a build that died
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 20 * 60_000)
        await rm(lock, { force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Path of nutguard_<version>_<arch>.deb built from this checkout (run `npm run build` first). */
export async function testDeb(arch: "amd64" | "arm64" = "amd64", version?: string): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const pkgVersion = version ?? (await import(join(REPO_ROOT, "dist/util/version.js"))).NUTGUARD_VERSION;
  const deb = join(OUT, `nutguard_${pkgVersion}_${arch}.deb`);
  const inputs = [
    "dist/cli/nutguard.cjs",
    "packaging",
    "units",
    "scripts/package.mjs",
    "scripts/man.mjs",
    "scripts/bundle.mjs",
  ];
  const fresh = () =>
    existsSync(deb) &&
    statSync(deb).mtimeMs > Math.max(...inputs.map((i) => newestMtime(join(REPO_ROOT, i))));
  if (fresh()) return deb;
  return withLock(async () => {
    if (fresh()) return deb;
    const args = ["scripts/package.mjs", "--fast", "--arch", arch, "--out", OUT];
    if (version) args.push("--version", version);
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("close", (c) => resolve({ code: c, output }));
    });
    if (code !== 0 || !existsSync(deb))
      throw new Error(`scripts/package.mjs ${args.slice(1).join(" ")} failed:\n${output}`);
    return deb;
  });
}
