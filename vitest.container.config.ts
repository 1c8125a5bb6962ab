import { defineConfig } from "vitest/config";

// The systemd container tests (test/**/*.container.test.ts): each boots a real systemd in
// systemd-nspawn (test/helpers/container.ts). Run as root from scripts/test.sh after the other tests.
// Two forks at most (CI has 2 cores); timeouts are generous because a boot can wait on a busy machine.
export default defineConfig({
  test: {
    include: ["test/**/*.container.test.ts"],
    exclude: ["node_modules/**"],
    globalSetup: ["test/helpers/container-global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
  },
});
