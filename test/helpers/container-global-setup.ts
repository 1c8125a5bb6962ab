/**
 * vitest globalSetup of the container tests (vitest.container.config.ts): makes sure the cached rootfs
 * is current (building it on first use), that the checkout is built, and cleans up containers left by
 * test workers that died — before the run and again after it.
 * Must not: skip anything. A missing prerequisite is an error naming it.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, sweepStaleContainers } from "./container.js";

export default async function setup(): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0) {
    throw new Error("the container tests need root (systemd-nspawn, overlay mounts): run them as root");
  }
  const missing = ["systemd-nspawn", "nsenter", "debootstrap"].filter(
    (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0,
  );
  if (missing.length > 0) {
    throw new Error(
      `the container tests need ${missing.join(", ")} (apt-get install systemd-container debootstrap)`,
    );
  }
  if (!existsSync(join(REPO_ROOT, "dist"))) throw new Error("run 'npm run build' first");
  // every release the tests boot (Debian 11, 12, 13): each is built once and cached
  const build = spawnSync("sh", [join(REPO_ROOT, "scripts/container-rootfs.sh"), "ensure", "all"], {
    stdio: "inherit",
  });
  if (build.status !== 0) throw new Error("scripts/container-rootfs.sh failed");
  const swept = await sweepStaleContainers();
  if (swept.length > 0) console.warn(`cleaned up stale test containers: ${swept.join(", ")}`);
  return async () => {
    const left = await sweepStaleContainers();
    if (left.length > 0) console.warn(`cleaned up test containers left running: ${left.join(", ")}`);
  };
}
