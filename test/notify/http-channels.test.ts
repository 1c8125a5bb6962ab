import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadChannels } from "../../src/notify/load.js";
import { ChannelNotifier } from "../../src/notify/notifier.js";
import { headerText } from "../../src/notify/requests.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { type HttpReceiver, startHttpReceiver } from "../helpers/http-receiver.js";
import { channelsFrom, notification, snapshotOf, UPS, upsSnapshot } from "./notify-fixtures.js";

let receiver: HttpReceiver | undefined;
let notifier: ChannelNotifier | undefined;
afterEach(async () => {
  notifier?.stop();
  notifier = undefined;
  await receiver?.close();
  receiver = undefined;
});

async function setUp(conf: (url: string) => string, load = channelsFrom) {
  receiver = await startHttpReceiver();
  const log = createMemoryLogger(9);
  const snapshot = snapshotOf(upsSnapshot(UPS, "OB DISCHRG", 93, 1260));
  notifier = new ChannelNotifier({
    channels: load(conf(receiver.url)),
    snapshot: () => snapshot,
    hostName: "nas",
    log,
  });
  return { receiver, notifier, log };
}

const warnings = (log: ReturnType<typeof createMemoryLogger>) =>
  log.lines.filter((l) => l.level !== "debug").map((l) => `${l.level}: ${l.message}`);

describe("HTTP channels send the exact requests the services document", () => {
  it("webhook: JSON POST with every field, bearer token", async () => {
    const { receiver, notifier } = await setUp(
      (url) => `[ops]\ntype = webhook\nurl = "${url}/hook?x=1"\ntoken = t0k\n`,
    );
    notifier.onEvent(notification("ONBATT"));
    const [req] = await receiver.waitFor(1);
    expect(req).toMatchObject({ method: "POST", path: "/hook?x=1" });
    expect(req!.headers).toMatchObject({
      "content-type": "application/json",
      authorization: "Bearer t0k",
      "user-agent": "nutguard/0.1.0",
    });
    expect(JSON.parse(req!.body)).toEqual({
      event: "ONBATT",
      ups: UPS,
      message: `UPS ${UPS} on battery (status OB DISCHRG, charge 93 %, runtime 1260 s) on nas`,
      status: "OB DISCHRG",
      charge: 93,
      runtime: 1260,
      host: "nas",
      time: "2026-12-05T16:00:00.000Z",
    });
  });

  it("webhook: a UTF-8 template in nutguard.conf on disk reaches the JSON body whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ng-utf8-hook-"));
    try {
      const file = join(dir, "nutguard.conf");
      const fromFile = (text: string) => {
        writeFileSync(file, text, "utf8");
        return loadChannels(file);
      };
      const { receiver, notifier } = await setUp(
        (url) =>
          `[ops]\ntype = webhook\nurl = ${url}/h\ntemplate = "Stromausfall – Batterie bei {charge} % ⚡🔋"\n`,
        fromFile,
      );
      notifier.onEvent(notification("ONBATT"));
      const [req] = await receiver.waitFor(1);
      expect(req!.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(req!.body).message).toBe("Stromausfall – Batterie bei 93 % ⚡🔋");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("webhook: a host-wide event has null UPS fields", async () => {
    const { receiver, notifier } = await setUp((url) => `[ops]\ntype = webhook\nurl = ${url}/h\n`);
    notifier.onEvent(notification("SHUTDOWN"));
    const [req] = await receiver.waitFor(1);
    expect(req!.headers.authorization).toBeUndefined();
    expect(JSON.parse(req!.body)).toMatchObject({
      event: "SHUTDOWN",
      ups: null,
      status: null,
      charge: null,
      runtime: null,
      message: "Auto logout and shutdown proceeding on nas",
    });
  });

  it("ntfy: POST <server>/<topic>, message body, Title/Priority/Tags headers, bearer token", async () => {
    const { receiver, notifier } = await setUp(
      (url) =>
        `[phone]\ntype = ntfy\nserver = ${url}\ntopic = "ups alerts"\ntoken = tk_1\ntemplate = "{upsname}: {status}, {charge} %"\n`,
    );
    notifier.onEvent(notification("LOWBATT"));
    const [req] = await receiver.waitFor(1);
    expect(req).toMatchObject({ method: "POST", path: "/ups%20alerts", body: "rack: OB DISCHRG, 93 %" });
    expect(req!.headers).toMatchObject({
      title: `nutguard on nas: LOWBATT ${UPS}`,
      priority: "5",
      tags: "rotating_light,lowbatt",
      authorization: "Bearer tk_1",
    });
  });

  it("ntfy: a configured priority and title win", async () => {
    const { receiver, notifier } = await setUp(
      (url) => `[p]\ntype = ntfy\nserver = ${url}\ntopic = t\npriority = low\ntitle = "Power: {upsname}"\n`,
    );
    notifier.onEvent(notification("ONBATT"));
    const [req] = await receiver.waitFor(1);
    expect(req!.headers).toMatchObject({ priority: "2", title: "Power: rack", tags: "battery,onbatt" });
  });

  it("ntfy: a header value outside printable ASCII is sent RFC 2047 encoded", () => {
    expect(headerText("Power: rack")).toBe("Power: rack");
    expect(headerText("Strom weg – rack")).toBe(
      `=?UTF-8?B?${Buffer.from("Strom weg – rack").toString("base64")}?=`,
    );
  });

  it('slack: {"text": ...} with &, <, > escaped; discord: {"content": ...}', async () => {
    const { receiver, notifier } = await setUp(
      (url) =>
        `[s]\ntype = slack\nurl = ${url}/services/T/B/x\ntemplate = "<{ups}> & {event}"\n[d]\ntype = discord\nurl = ${url}/api/webhooks/1/y\ntemplate = "{ups} {event}"\n`,
    );
    notifier.onEvent(notification("ONLINE"));
    const reqs = await receiver.waitFor(2);
    const byPath = Object.fromEntries(reqs.map((r) => [r.path, r]));
    expect(JSON.parse(byPath["/services/T/B/x"]!.body)).toEqual({ text: `&lt;${UPS}&gt; &amp; ONLINE` });
    expect(JSON.parse(byPath["/api/webhooks/1/y"]!.body)).toEqual({ content: `${UPS} ONLINE` });
    for (const r of reqs) expect(r.headers["content-type"]).toBe("application/json");
  });

  it("only the channel's events and UPSes go out; delay drops a flicker", async () => {
    const { receiver, notifier } = await setUp(
      (url) =>
        `[a]\ntype = webhook\nurl = ${url}/a\nevents = ONBATT ONLINE\nups = rack\ndelay = 5\n` +
        `[b]\ntype = webhook\nurl = ${url}/b\nevents = ONLINE COMMBAD\nups = other@127.0.0.1\n`,
    );
    notifier.onEvent(notification("ONBATT")); // held by [a]'s delay, not [b]'s event
    notifier.onEvent(notification("ONLINE")); // [a]: drops both; [b]: other UPS
    notifier.onEvent(notification("COMMBAD", "other@127.0.0.1")); // [b] only
    notifier.onEvent(notification("LOWBATT")); // neither
    const [req] = await receiver.waitFor(1);
    await notifier.idle();
    expect(
      receiver.requests.map((r) => `${r.path} ${JSON.parse(r.body).event} ${JSON.parse(r.body).ups}`),
    ).toEqual(["/b COMMBAD other@127.0.0.1"]);
    expect(req!.path).toBe("/b");
  });
});

describe("delivery failures", () => {
  it("500 then 200: retried, delivered; one line when the episode starts, one when it ends", async () => {
    const { receiver, notifier, log } = await setUp((url) => `[ops]\ntype = webhook\nurl = ${url}/h\n`);
    receiver.script([500, 503]);
    notifier.onEvent(notification("ONBATT"));
    const reqs = await receiver.waitFor(3);
    await notifier.idle();
    expect(reqs.map((r) => r.body)).toEqual([reqs[0]!.body, reqs[0]!.body, reqs[0]!.body]);
    expect(warnings(log)).toEqual([
      `warning: notify [ops]: cannot deliver ONBATT for ${UPS}: HTTP 500 Internal Server Error; retrying for up to 600 s`,
      "notice: notify [ops]: delivering again after 2 failed tries",
    ]);
  });

  it("4xx: not retried; the next notification goes out", async () => {
    const { receiver, notifier, log } = await setUp((url) => `[ops]\ntype = webhook\nurl = ${url}/h\n`);
    receiver.script([404]);
    notifier.onEvent(notification("ONBATT"));
    notifier.onEvent(notification("ONLINE"));
    const reqs = await receiver.waitFor(2);
    await notifier.idle();
    expect(reqs.map((r) => JSON.parse(r.body).event)).toEqual(["ONBATT", "ONLINE"]);
    expect(receiver.requests).toHaveLength(2);
    expect(warnings(log)).toEqual([
      `warning: notify [ops]: cannot deliver ONBATT for ${UPS}: HTTP 404 Not Found; not retried`,
      "notice: notify [ops]: delivering again after 1 failed try; 1 notification lost",
    ]);
  });

  it("slow beyond the timeout: the try is abandoned and retried", async () => {
    const { receiver, notifier, log } = await setUp(
      (url) => `[ops]\ntype = webhook\nurl = ${url}/h\ntimeout = 1\n`,
    );
    receiver.script(["hang"]);
    notifier.onEvent(notification("FSD"));
    await receiver.waitFor(2);
    await notifier.idle();
    expect(warnings(log)).toEqual([
      `warning: notify [ops]: cannot deliver FSD for ${UPS}: no answer within 1 s; retrying for up to 600 s`,
      "notice: notify [ops]: delivering again after 1 failed try",
    ]);
  });

  it("receiver down: connection refused is transient, logged once however many tries fail", async () => {
    const { receiver, notifier, log } = await setUp((url) => `[ops]\ntype = webhook\nurl = ${url}/h\n`);
    await receiver.close();
    notifier.onEvent(notification("ONBATT"));
    notifier.onEvent(notification("ONLINE"));
    await new Promise((r) => setTimeout(r, 3500)); // tries at 0, 1 s and 3 s
    expect(
      log.lines.filter((l) => l.message.includes("try ") && l.level === "debug").length,
    ).toBeGreaterThanOrEqual(1);
    expect(warnings(log)).toEqual([
      `warning: notify [ops]: cannot deliver ONBATT for ${UPS}: connect ECONNREFUSED 127.0.0.1:${receiver.port}; retrying for up to 600 s`,
    ]);
    expect(notifier.pending).toBe(2);
  });

  it("FSD and SHUTDOWN do not wait behind a hung notification; settle() is bounded", async () => {
    const { receiver, notifier } = await setUp(
      (url) => `[ops]\ntype = webhook\nurl = ${url}/h\ntimeout = 30\n`,
    );
    receiver.script(["hang"], 200);
    notifier.onEvent(notification("ONBATT")); // hangs for 30 s
    notifier.onEvent(notification("LOWBATT")); // queued behind it
    notifier.onEvent(notification("FSD"));
    notifier.onEvent(notification("SHUTDOWN"));
    const reqs = await receiver.waitFor(3);
    expect(reqs.map((r) => JSON.parse(r.body).event).sort()).toEqual(["FSD", "ONBATT", "SHUTDOWN"]);
    expect(await notifier.settle(5000)).toBe(true);
    expect(notifier.pending).toBe(2);
    receiver.script([], "hang");
    notifier.onEvent(notification("SHUTDOWN"));
    expect(await notifier.settle(200)).toBe(false);
  });

  it("stop() abandons tries in flight (the monitor exits without waiting for a hung receiver)", async () => {
    const { receiver, notifier } = await setUp(
      (url) => `[ops]\ntype = webhook\nurl = ${url}/h\ntimeout = 60\n`,
    );
    receiver.script([], "hang");
    notifier.onEvent(notification("ONBATT"));
    notifier.onEvent(notification("FSD"));
    await receiver.waitFor(2);
    notifier.stop();
    await notifier.idle();
    while (receiver.abandoned < 2) await new Promise((r) => setTimeout(r, 10));
    expect(notifier.pending).toBe(0);
  });
});
