/**
 * A power failure while every notification channel hangs: the shutdown's timing must not change.
 * Two nutguard primaries against one real upsd (dummy-ups), each the primary of its own UPS, the same
 * timers; one has no channels, the other one channel of every type, each pointed at a receiver that
 * accepts and never answers (HTTP for webhook/ntfy/Slack/Discord and apprise's json://, a TCP server
 * that never greets for e-mail). Both UPSes go OB LB at the same moment. Compared: when each host's
 * SHUTDOWNCMD ran (relative to each other, never to the wall clock: both poll once a second, so they
 * may differ by up to one poll interval plus scheduling), and that the hung channels were handed FSD
 * and SHUTDOWN (sent beside their queues) before the shutdown went ahead regardless.
 */

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
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
  stack = await startNutStack({ devices: { calm: { dev: OL_DEV }, hung: { dev: OL_DEV } } });
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
  it("shuts down on the same schedule as a host without channels; FSD and SHUTDOWN were handed to every channel", async () => {
    const timers = { pollFreqSec: 1, finalDelaySec: 3, hostsyncSec: 5 };
    const calm = await startNutguardMonitor(stack, {
      role: "primary",
      system: `calm@127.0.0.1:${stack.port}`,
      ...timers,
    });
    monitors.push(calm);
    const hung = await startNutguardMonitor(stack, {
      role: "primary",
      system: `hung@127.0.0.1:${stack.port}`,
      ...timers,
      files: { "nutguard.conf": channels(receiver.url, (silentSmtp.address() as AddressInfo).port) },
    });
    monitors.push(hung);
    for (const ups of ["calm", "hung"]) {
      await stack.waitFor(async () => (await stack.query(`GET NUMLOGINS ${ups}`)) === `NUMLOGINS ${ups} 1`);
    }
    await setUpsStatus(stack, "calm", "OB LB DISCHRG");
    await setUpsStatus(stack, "hung", "OB LB DISCHRG");
    expect(await calm.exited).toBe(0);
    expect(await hung.exited).toBe(0);
    const [tCalm] = calm.shutdowns();
    const [tHung] = hung.shutdowns();
    expect(tCalm).toBeDefined();
    expect(tHung).toBeDefined();
    expect(Math.abs(tHung! - tCalm!)).toBeLessThan(1.5);

    const hook = receiver.requests.filter((r) => r.path === "/hook").map((r) => JSON.parse(r.body).event);
    expect(hook).toContain("FSD");
    expect(hook).toContain("SHUTDOWN");
    const ntfyTags = receiver.requests.filter((r) => r.path === "/ups").map((r) => r.headers.tags);
    expect(ntfyTags).toContain("rotating_light,shutdown");
    expect(receiver.requests.filter((r) => r.path === "/apprise").length).toBeGreaterThanOrEqual(2);
    expect(smtpConnections).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
