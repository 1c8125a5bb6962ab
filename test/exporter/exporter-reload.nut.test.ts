/**
 * `nutguard exporter` re-reads nutguard.conf on SIGHUP (systemctl reload), against Debian's real upsd
 * with dummy-ups: new targets are watched and old ones forgotten, a new token is required at once, and
 * a mistake is logged with file:line while the previous settings go on.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type ExporterProcess, request, startExporter } from "../helpers/nutguard-exporter.js";

let stack: NutStack;
let exporter: ExporterProcess;
let conf: string;

const names = async (headers: Record<string, string> = {}) => {
  const r = await request(`${exporter.url}api/v1/ups`, { headers });
  if (r.status !== 200) return `HTTP ${r.status}`;
  return (JSON.parse(r.body) as { ups: { name: string; up: boolean }[] }).ups
    .map((u) => `${u.name.split("@")[0]}${u.up ? "" : " (down)"}`)
    .join(" ");
};

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  await stack.waitFor(f).catch(() => {
    throw new Error(`timed out waiting for ${what}; stderr:\n${exporter.stderr()}`);
  });
}

beforeAll(async () => {
  stack = await startNutStack({
    devices: { dummy: DEFAULT_DEVICES.dummy!, quirky: DEFAULT_DEVICES.quirky! },
  });
});

afterAll(async () => {
  await exporter?.stop();
  await stack?.stop();
});

describe("nutguard exporter: SIGHUP re-reads nutguard.conf", () => {
  it("targets, interval and [http] authentication change without a restart; a mistake keeps them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nutguard-exporter-reload-"));
    conf = join(dir, "nutguard.conf");
    await writeFile(conf, `[exporter]\n  target = dummy@127.0.0.1:${stack.port}\n  interval = 1\n`);
    // no targets on the command line: they come from the file (NUT_CONFPATH is the state directory)
    exporter = await startExporter({ args: [], stateDir: dir });
    await until("dummy polled", async () => (await names()) === "dummy");

    await writeFile(
      conf,
      `[exporter]\n  target = quirky@127.0.0.1:${stack.port}\n  interval = 1\n[http]\n  token = s3cret\n`,
    );
    exporter.child.kill("SIGHUP");
    const auth = { authorization: "Bearer s3cret" };
    await until("quirky alone, behind the token", async () => (await names(auth)) === "quirky");
    expect(await names()).toBe("HTTP 401");
    expect(exporter.stderr()).toContain(
      `reloaded ${conf}: watching quirky@127.0.0.1:${stack.port} every 1 s; HTTP settings applied`,
    );

    await writeFile(conf, "[exporter]\n  target = nonsense\n");
    exporter.child.kill("SIGHUP");
    await until("the mistake logged", async () =>
      exporter.stderr().includes("keeping the previous settings"),
    );
    expect(exporter.stderr()).toContain(`reload: ${conf}:2: target "nonsense": a target is ups@host[:port]`);
    expect(await names(auth)).toBe("quirky");
    expect(exporter.child.exitCode).toBe(null);
  });
});
