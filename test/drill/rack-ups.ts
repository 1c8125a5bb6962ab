import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { createMemoryLogger } from "../../src/util/log.js";

/** The drill tests' "real" UPS: 1320 s of runtime at 100 %, LB at 10 % charge (19m48s into an outage). */
export const RACK_UPS_DEV = `device.mfr: Acme
ups.mfr: Acme
ups.model: Rack 1500
ups.status: OL
ups.load: 40
battery.charge: 100
battery.runtime: 1320
battery.charge.low: 10
battery.runtime.low: 120
`;

/**
 * The "real" upsd of the drill tests: nutguard server in `dir` on a free loopback port, serving each
 * UPS of `devs` (name → .dev text) and the user `mon` (password `pw`, upsmon primary).
 */
export async function startRackServer(
  dir: string,
  devs: Record<string, string> = { u: RACK_UPS_DEV },
): Promise<{ server: RunningServer; port: number }> {
  const sections: string[] = [];
  for (const [name, text] of Object.entries(devs)) {
    await writeFile(join(dir, `${name}.dev`), text);
    sections.push(`[${name}]\n\tdriver = dummy-ups\n\tport = ${join(dir, `${name}.dev`)}\n`);
  }
  await writeFile(join(dir, "ups.conf"), sections.join(""));
  await writeFile(join(dir, "upsd.conf"), "");
  await writeFile(join(dir, "upsd.users"), "[mon]\n\tpassword = pw\n\tupsmon primary\n");
  const server = await startServer({
    confPath: dir,
    log: createMemoryLogger(),
    listen: [{ host: "127.0.0.1", port: 0 }],
  });
  return { server, port: server.addresses[0]!.port };
}
