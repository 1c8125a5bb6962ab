/**
 * The last drill's result for the status page: `nutguard drill` writes last-drill.json to the state
 * directory (temp + rename), the HTTP surface (here the real `nutguard exporter`, whose state directory
 * is $STATE_DIRECTORY) shows it on the page and at /api/v1/drill; a corrupt file is reported, never
 * fatal; a state directory the drill cannot write never fails the drill.
 */
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LastDrill, lastDrillText, readLastDrill } from "../../src/drill/last-drill.js";
import type { RunningServer } from "../../src/server/server.js";
import { runOurs } from "../cli/run-tool.js";
import { request, startExporter } from "../helpers/nutguard-exporter.js";
import { startRackServer } from "./rack-ups.js";

let dir: string;
let server: RunningServer;
let conf: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-last-drill-"));
  ({ server } = await startRackServer(dir));
  conf = join(dir, "upsmon.conf");
  const port = server.addresses[0]!.port;
  await writeFile(conf, `MONITOR u@127.0.0.1:${port} 1 mon pw primary\nSHUTDOWNCMD "/bin/true"\n`);
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The status page once it shows `text` (it is rendered at most once a second: http/render-cache.ts), at most 5 s. */
async function pageShowing(url: string, text: string) {
  const deadline = Date.now() + 5000;
  let page = await request(url);
  while (!page.body.includes(text) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 200));
    page = await request(url);
  }
  return page;
}

describe("last-drill.json", () => {
  it("the drill writes it; the status page and /api/v1/drill show it; a corrupt file is reported, not fatal", async () => {
    const state = await mkdtemp(join(tmpdir(), "nutguard-state-"));
    const exporter = await startExporter({
      args: ["-i", "1", `u@127.0.0.1:${server.addresses[0]!.port}`],
      stateDir: state,
    });
    try {
      // no drill yet: nothing on the page, null in the API
      expect((await request(exporter.url)).body).not.toContain("Last drill");
      expect(JSON.parse((await request(`${exporter.url}api/v1/drill`)).body)).toEqual({ lastDrill: null });

      const ok = await runOurs("drill", ["-f", conf, "--shutdown-takes", "60", "--state-dir", state], {
        timeoutMs: 60_000,
      });
      expect(ok.code).toBe(0);
      expect(ok.stderr).toBe("");
      expect((await readdir(state)).filter((n) => n.startsWith("last-drill"))).toEqual(["last-drill.json"]);
      const record = JSON.parse(await readFile(join(state, "last-drill.json"), "utf8")) as LastDrill;
      expect(record).toMatchObject({
        scenarios: ["outage"],
        configFiles: [conf],
        exitStatus: 0,
        findings: 0,
        findingTitles: [],
      });
      const when = `${record.time.slice(0, 16).replace("T", " ")} UTC`;
      expect((await pageShowing(exporter.url, `Last drill: ${when}, outage: passed`)).body).toContain(
        `Last drill: ${when}, outage: passed`,
      );
      expect(JSON.parse((await request(`${exporter.url}api/v1/drill`)).body)).toEqual({ lastDrill: record });

      const bad = await runOurs("drill", ["-f", conf, "--shutdown-takes", "600", "--state-dir", state], {
        timeoutMs: 60_000,
      });
      expect(bad.code).toBe(1);
      const after = JSON.parse((await request(`${exporter.url}api/v1/drill`)).body) as {
        lastDrill: LastDrill;
      };
      expect(after.lastDrill.findingTitles).toEqual([
        `[runtime-too-short] u@127.0.0.1:${server.addresses[0]!.port}`,
      ]);
      expect((await pageShowing(exporter.url, "outage: 1 finding<")).body).toMatch(
        /Last drill: [\d-]+ [\d:]+ UTC, outage: 1 finding</,
      );

      await writeFile(join(state, "last-drill.json"), "{ half a rec");
      const page = await pageShowing(exporter.url, "Last drill: unreadable");
      expect(page.status).toBe(200);
      expect(page.body).toContain(
        `Last drill: unreadable (${join(state, "last-drill.json")}: not valid JSON)`,
      );
      const api = await request(`${exporter.url}api/v1/drill`);
      expect([api.status, JSON.parse(api.body)]).toEqual([
        200,
        { lastDrill: null, error: `${join(state, "last-drill.json")}: not valid JSON` },
      ]);
    } finally {
      await exporter.stop();
      await rm(state, { recursive: true, force: true });
    }
  }, 120_000);

  it("a state directory the drill cannot write: same exit status, said once on stderr", async () => {
    const r = await runOurs(
      "drill",
      ["-f", conf, "--shutdown-takes", "60", "--state-dir", "/nonexistent-state"],
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Findings: none.");
    expect(r.stderr).toBe(
      "nutguard drill: note: cannot write /nonexistent-state/last-drill.json: no such directory (the status page will not show this drill)\n",
    );
  }, 60_000);

  it("the reader: no file, a device behind a link, a JSON that is no drill result; the page's wording", async () => {
    const d = await mkdtemp(join(tmpdir(), "nutguard-state-"));
    try {
      expect(readLastDrill(d)).toBeUndefined();
      await symlink("/dev/zero", join(d, "last-drill.json"));
      expect(readLastDrill(d)).toEqual({
        error: `Can't use ${join(d, "last-drill.json")}: it is a character device, not a regular file`,
      });
      await rm(join(d, "last-drill.json"));
      await writeFile(join(d, "last-drill.json"), '{"time": "yesterday", "findings": 0}');
      expect(readLastDrill(d)).toEqual({ error: `${join(d, "last-drill.json")}: not a drill result` });
    } finally {
      await rm(d, { recursive: true, force: true });
    }
    const rec: LastDrill = {
      time: "2026-12-05T19:40:12.000Z",
      scenarios: ["outage", "comm-loss"],
      configFiles: ["/etc/nut/upsmon.conf"],
      exitStatus: 1,
      findings: 2,
      findingTitles: ["[nobody-told] ONBATT", "[runtime-too-short] ups@localhost"],
    };
    expect(lastDrillText({ record: rec })).toBe("2026-12-05 19:40 UTC, outage, comm-loss: 2 findings");
    expect(lastDrillText({ record: { ...rec, findings: 0, exitStatus: 0, findingTitles: [] } })).toBe(
      "2026-12-05 19:40 UTC, outage, comm-loss: passed",
    );
  });
});
