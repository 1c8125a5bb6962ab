/** The shipped alert rules are valid and behave as their unit tests say (promtool test rules). */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const DIR = fileURLToPath(new URL("../../contrib/prometheus/", import.meta.url));

it("promtool test rules contrib/prometheus/nutguard-alerts.test.yml passes", () => {
  const r = spawnSync("promtool", ["test", "rules", "nutguard-alerts.test.yml"], {
    cwd: DIR,
    encoding: "utf8",
  });
  if (r.error) throw new Error(`promtool missing (scripts/ensure-test-tools.sh): ${r.error.message}`);
  expect(r.stdout + r.stderr).toContain("SUCCESS");
  expect(r.status).toBe(0);
});

it("promtool check rules finds every shipped alert", () => {
  const r = spawnSync("promtool", ["check", "rules", "nutguard-alerts.yml"], { cwd: DIR, encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(r.stdout).toContain("SUCCESS: 6 rules found");
});
