/**
 * Figures for the systemd container harness (test/helpers/container.ts): how long a test pays for a
 * container, and what the real NUT peer inside costs. Prints a table; asserts nothing. Run as root:
 *   npx esbuild bench/container-boot.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=node_modules/.cache/nutguard-bench/container-boot.mjs && node node_modules/.cache/nutguard-bench/container-boot.mjs
 * RUNS=n sets the number of runs (default 5).
 */
import { readFileSync } from "node:fs";
import { bootContainer, Container } from "../test/helpers/container.js";
import { startContainerNut } from "../test/helpers/container-nut.js";

const runs = Number(process.env.RUNS ?? 5);
const samples: Record<string, number[]> = {};

async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  const result = await f();
  (samples[name] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e6);
  return result;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

for (let i = 0; i < runs; i++) {
  for (const copyRootfs of [false, true]) {
    const how = copyRootfs ? "cp -a copy" : "overlay";
    const ct = await timed(`create (${how})`, () => Container.create({ copyRootfs }));
    await timed(`boot to running (${how})`, () => ct.boot());
    if (!copyRootfs) {
      await timed("peer: Debian's units start dummy-ups + upsd until upsc answers", () =>
        startContainerNut(ct),
      );
      await timed("nutguard doctor (one process)", () => ct.exec(["nutguard", "doctor"]));
      await timed("peer: upsc dummy@127.0.0.1 (one process)", () => ct.exec(["upsc", "dummy@127.0.0.1"]));
    }
    await timed(`clean poweroff (${how})`, () => ct.stop());
    await timed(`destroy (${how})`, () => ct.destroy());
  }
  await timed("two containers booted in parallel", async () => {
    const both = await Promise.all([bootContainer(), bootContainer()]);
    await Promise.all(both.map((c) => c.destroy()));
  });
}

const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`${runs} runs each; load average at the end: ${load}\n`);
console.log("| step | median | p90 |\n|---|---|---|");
for (const [name, values] of Object.entries(samples)) {
  console.log(
    `| ${name} | ${quantile(values, 0.5).toFixed(0)} ms | ${quantile(values, 0.9).toFixed(0)} ms |`,
  );
}
