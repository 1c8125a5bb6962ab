/**
 * `nutguard notify --test` as a user runs it (the built bin): one test notification per channel,
 * exit 0 only when every channel delivered, each failure named with its reason.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpReceiver, startHttpReceiver } from "../helpers/http-receiver.js";
import { runOurs } from "./run-tool.js";

let dir: string;
let receiver: HttpReceiver;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-notify-"));
  receiver = await startHttpReceiver();
  await writeFile(join(dir, "upsmon.conf"), "MONITOR rack@127.0.0.1:3493 1 u p primary\n");
  await writeFile(join(dir, "token"), "t0k\n", { mode: 0o600 });
});
afterAll(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

async function conf(text: string): Promise<string> {
  const path = join(dir, "nutguard.conf");
  await writeFile(path, text);
  return path;
}

describe("nutguard notify --test", () => {
  it("sends through every channel and exits 0 when all delivered (nutguard.conf beside upsmon.conf)", async () => {
    await conf(
      `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\ntoken_file = ${join(dir, "token")}\n` +
        `[phone]\ntype = ntfy\nserver = ${receiver.url}\ntopic = ups\nevents = FSD\n`,
    );
    receiver.script([]);
    const before = receiver.requests.length;
    const r = await runOurs("notify", ["--test", "-f", join(dir, "upsmon.conf")]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "2 of 2 channels delivered the test ONBATT",
      "[ops] (webhook): delivered",
      "[phone] (ntfy): delivered",
    ]);
    expect(r.code).toBe(0);
    const got = receiver.requests.slice(before);
    const hook = got.find((q) => q.path === "/hook")!;
    expect(hook.headers.authorization).toBe("Bearer t0k");
    expect(JSON.parse(hook.body)).toMatchObject({
      event: "ONBATT",
      ups: "rack@127.0.0.1:3493",
      status: null,
    });
    expect(JSON.parse(hook.body).message).toMatch(/^TEST: UPS rack@127\.0\.0\.1:3493 on battery on /);
    expect(got.find((q) => q.path === "/ups")!.body).toMatch(
      /^TEST: UPS rack@127\.0\.0\.1:3493 on battery on /,
    );
  });

  it("names each failure and why, exits 1; --channel picks channels; EVENT picks the type", async () => {
    const path = await conf(
      `[ops]\ntype = webhook\nurl = ${receiver.url}/hook\n[gone]\ntype = slack\nurl = http://127.0.0.1:1/x\n[refuses]\ntype = discord\nurl = ${receiver.url}/d\n`,
    );
    receiver.script([404]);
    const r = await runOurs("notify", [
      "--test",
      "LOWBATT",
      "--channel",
      "refuses",
      "--channel=gone",
      "-C",
      path,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").filter(Boolean).sort()).toEqual([
      "[gone] (slack): NOT delivered: connect ECONNREFUSED 127.0.0.1:1 (a transient failure: the monitor would retry)",
      "[refuses] (discord): NOT delivered: HTTP 404 Not Found",
    ]);
    expect(r.stdout).toBe("0 of 2 channels delivered the test LOWBATT\n");
  });

  it.each([
    [["--test", "POWEROUT"], 'nutguard notify: unknown notify type "POWEROUT"'],
    [["--test", "--channel", "nope"], "nutguard notify: no channel [nope] in"],
    [[], "nutguard notify: nothing to do (--test sends a test notification)"],
  ])("usage and config errors exit 2: %j", async (args, error) => {
    const path = await conf(`[ops]\ntype = webhook\nurl = ${receiver.url}/hook\n`);
    const r = await runOurs("notify", [...args, "-C", path]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toContain(error);
  });

  it("a config error names file:line; no channels is an error", async () => {
    const bad = await conf("[ops]\ntype = webhook\nurl = gopher://x/\n");
    const r = await runOurs("notify", ["--test", "-C", bad]);
    expect(r).toMatchObject({
      code: 2,
      stderr: `nutguard notify: ${bad}:3: "gopher://x/" is not an http:// or https:// URL\n`,
    });
    const none = await conf("[http]\nlisten = 127.0.0.1:9399\n");
    const r2 = await runOurs("notify", ["--test", "-C", none]);
    expect(r2).toMatchObject({
      code: 2,
      stderr: `nutguard notify: no notification channels in ${none} (a section with "type = ...")\n`,
    });
  });
});
