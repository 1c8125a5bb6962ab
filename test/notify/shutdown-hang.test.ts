/**
 * A power failure while every notification channel hangs: the shutdown's timing must not change.
 * Two nutguard secondaries of the same UPS on one real upsd (dummy-ups), the same timers; one has no
 * channels, the other one channel of every type, each pointed at a receiver that accepts and never
 * answers (HTTP for webhook/ntfy/Slack/Discord and apprise's json://, a TCP server that never greets
 * for e-mail). The UPS goes OB LB; with no primary to set FSD both give up after HOSTSYNC and shut down.
 * Compared: when each host's SHUTDOWNCMD ran (relative to each other, never to the wall clock: each
 * polls once a second at its own phase, so they may differ by up to one poll interval plus
 * scheduling; a channel that held the shutdown back would add its 60 s timeout, or the 3 s window of
 * FSD/SHUTDOWN; on virtual time, exactly: shutdown-window.test.ts),
 * and that the hung channels were handed FSD-free SHUTDOWN (sent beside their queues) before the
 * shutdown went ahead regardless.
 */

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpReceiver, startHttpReceiver } from "../helpers/http-receiver.js";
import { type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type NutguardMonitor, setUpsStatus, startNutguardMonitor } from "../helpers/nutguard-monitor.js";

const OL_DEV = "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 3600\n";

let stack: NutStack;
let receiver: HttpReceiver;
let silentSmtp: Server;
const sockets = new Set<Socket>();
let smtpConnections = 0;
const monitors: NutguardMonitor[] = [];

beforeAll(async () => {
  stack = await startNutStack({ devices: { ups: { dev: OL_DEV } } });
  receiver = await startHttpReceiver();
  receiver.script([], "hang");
  silentSmtp = createServer((s) => {
    smtpConnections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => silentSmtp.listen(0, "127.0.0.1", r));
}, 60_000);

afterAll(async () => {
  for (const m of monitors) await m.stop();
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => silentSmtp?.close(() => r()));
  await receiver?.close();
  await stack?.stop();
});

function channels(url: string, smtpPort: number): string {
  const common = "timeout = 60\nevents = ONBATT LOWBATT FSD SHUTDOWN\n";
  return [
    `[hook]\ntype = webhook\nurl = ${url}/hook\n${common}`,
    `[phone]\ntype = ntfy\nserver = ${url}\ntopic = ups\n${common}`,
    `[team]\ntype = slack\nurl = ${url}/slack\n${common}`,
    `[chat]\ntype = discord\nurl = ${url}/discord\n${common}`,
    `[all]\ntype = apprise\nurls = json://127.0.0.1:${new URL(url).port}/apprise\n${common}`,
    `[mail]\ntype = email\nsmtp_host = 127.0.0.1\nsmtp_port = ${smtpPort}\nfrom = ups@test.example\nto = ops@test.example\n${common}`,
  ].join("");
}

describe("a power failure while every channel hangs", () => {
  it("shuts down on the same schedule as a host without channels; SHUTDOWN was handed to every channel", async () => {
    const timers = { pollFreqSec: 1, finalDelaySec: 3, hostsyncSec: 3 };
    const system = `ups@127.0.0.1:${stack.port}`;
    const calm = await startNutguardMonitor(stack, { role: "secondary", system, ...timers });
    monitors.push(calm);
    const hung = await startNutguardMonitor(stack, {
      role: "secondary",
      system,
      ...timers,
      files: { "nutguard.conf": channels(receiver.url, (silentSmtp.address() as AddressInfo).port) },
    });
    monitors.push(hung);
    await stack.waitFor(async () => (await stack.query("GET NUMLOGINS ups")) === "NUMLOGINS ups 2");
    await setUpsStatus(stack, "ups", "OB LB DISCHRG");
    expect(await calm.exited).toBe(0);
    expect(await hung.exited).toBe(0);
    const [tCalm] = calm.shutdowns();
    const [tHung] = hung.shutdowns();
    expect(tCalm).toBeDefined();
    expect(tHung).toBeDefined();
    expect(Math.abs(tHung! - tCalm!)).toBeLessThan(1.5);

    // ONBATT hangs at the head of each queue (LOWBATT waits behind it); SHUTDOWN went beside it
    const hook = receiver.requests.filter((r) => r.path === "/hook").map((r) => JSON.parse(r.body).event);
    expect(hook.sort()).toEqual(["ONBATT", "SHUTDOWN"]);
    const ntfyTags = receiver.requests.filter((r) => r.path === "/ups").map((r) => r.headers.tags);
    expect(ntfyTags.sort()).toEqual(["battery,onbatt", "rotating_light,shutdown"]);
    // apprise gives up on the hung target after its own timeout and is tried again: ONBATT may repeat
    const apprise = receiver.requests
      .filter((r) => r.path === "/apprise")
      .map((r) => JSON.parse(r.body).title);
    expect(apprise).toContain(`nutguard on ${hostname()}: SHUTDOWN`);
    expect(smtpConnections).toBe(2);
  }, 120_000);
});
