import { defineConfig } from "vitest/config";

// Unit tests live beside nothing: everything is under test/, mirroring src/.
// Tests that need real NUT (test/**/*.nut.test.ts) or a real systemd container
// (test/**/*.container.test.ts) run in separate vitest projects from scripts/test.sh.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.container.test.ts", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
