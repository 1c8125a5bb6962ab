/**
 * The apprise channel with Debian's real `apprise` command (scripts/ensure-notify-tools.sh installs
 * it) sending to a loopback json:// target: the local HTTP receiver. Shell metacharacters in the
 * message reach the receiver untouched (argv, never a shell).
 */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ChannelNotifier } from "../../src/notify/notifier.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { type HttpReceiver, startHttpReceiver } from "../helpers/http-receiver.js";
import { channelsFrom, notification, snapshotOf, UPS, upsSnapshot } from "./notify-fixtures.js";

let receiver: HttpReceiver | undefined;
let notifier: ChannelNotifier | undefined;
afterEach(async () => {
  notifier?.stop();
  await receiver?.close();
});

function start(conf: string) {
  const log = createMemoryLogger(9);
  const snapshot = snapshotOf(upsSnapshot(UPS, "OB DISCHRG", 80, 600));
  notifier = new ChannelNotifier({
    channels: channelsFrom(conf),
    snapshot: () => snapshot,
    hostName: "nas",
    log,
  });
  return { n: notifier, log };
}

describe("apprise channel (Debian's apprise, json:// to a loopback receiver)", () => {
  it("apprise is installed (scripts/ensure-notify-tools.sh)", () => {
    expect(existsSync("/usr/bin/apprise")).toBe(true);
  });

  it("delivers title, body and type; shell metacharacters stay text", async () => {
    receiver = await startHttpReceiver();
    const { n, log } = start(
      `[a]\ntype = apprise\nurls = json://127.0.0.1:${receiver.port}/apprise\ntemplate = "{upsname} $(touch /tmp/nutguard-pwned) \\"q\\" \`id\` {status}"\n`,
    );
    n.onEvent(notification("ONBATT"));
    const [req] = await receiver.waitFor(1);
    await n.idle();
    expect(req!.path).toBe("/apprise");
    expect(JSON.parse(req!.body)).toMatchObject({
      title: `nutguard on nas: ONBATT ${UPS}`,
      message: 'rack $(touch /tmp/nutguard-pwned) "q" `id` OB DISCHRG',
      type: "warning",
    });
    expect(existsSync("/tmp/nutguard-pwned")).toBe(false);
    expect(log.lines.filter((l) => l.level !== "debug")).toEqual([]);
  });

  it("a failing target makes apprise exit 1: retried, then delivered", async () => {
    receiver = await startHttpReceiver();
    receiver.script([500]);
    const { n, log } = start(`[a]\ntype = apprise\nurls = json://127.0.0.1:${receiver.port}/x\n`);
    n.onEvent(notification("ONLINE"));
    await receiver.waitFor(2);
    await n.idle();
    expect(JSON.parse(receiver.requests[1]!.body)).toMatchObject({ type: "success" });
    const lines = log.lines.filter((l) => l.level !== "debug").map((l) => l.message);
    expect(lines[0]).toMatch(
      /^notify \[a\]: cannot deliver ONLINE for .*: apprise: exit status 1.*; retrying for up to 600 s$/,
    );
    expect(lines[1]).toBe("notify [a]: delivering again after 1 failed try");
  });

  it("a command that does not exist is a permanent failure naming it", async () => {
    const { n, log } = start(
      "[a]\ntype = apprise\nurls = json://127.0.0.1:1/x\ncommand = /nonexistent/apprise\n",
    );
    n.onEvent(notification("FSD"));
    await n.idle();
    expect(log.lines.filter((l) => l.level !== "debug").map((l) => l.message)).toEqual([
      `notify [a]: cannot deliver FSD for ${UPS}: cannot run /nonexistent/apprise: spawn /nonexistent/apprise ENOENT; not retried`,
    ]);
  });
});
