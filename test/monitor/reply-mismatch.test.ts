/**
 * The monitor facing a server whose reply to a poll of `ups` names another UPS (issue 10, item 1):
 * `VAR otherups ups.status "OB LB"` must count as a failed poll (COMMBAD, upsmon's "Poll UPS [...]
 * failed - Protocol error"), never as the status of `ups`, so it never shuts the host down. The daemon
 * runs with the real NUT link (createNutLink) against the scripted fake server; a control run with a
 * right reply shows the same harness does shut down on OB LB.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import type { NotifyType } from "../../src/config/upsmon-notify-types.js";
import { Notifier } from "../../src/monitor/actions.js";
import { type MonitorHandle, startMonitor } from "../../src/monitor/daemon.js";
import { createNutLink } from "../../src/monitor/ups-link-nut.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";

class RecordingNotifier extends Notifier {
  readonly seen: string[] = [];
  override deliver(type: NotifyType): void {
    this.seen.push(type);
  }
  override wall(): void {}
}

let server: FakeServer | undefined;
let handle: MonitorHandle | undefined;
afterEach(async () => {
  await handle?.stop();
  await server?.close();
  handle = server = undefined;
});

/** upsd-like, except that GET VAR ups ups.status is answered with `statusReply`. */
function upsd(statusReply: string) {
  return (line: string): FakeAction => {
    const w = line.split(" ");
    if (line === "GET VAR ups ups.status") return statusReply;
    if (w[0] === "GET" && w[1] === "VAR") return "ERR VAR-NOT-SUPPORTED\n";
    if (w[0] === "GET" && w[1] === "NUMLOGINS") return `NUMLOGINS ${w[2]} 1\n`;
    if (w[0] === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
    if (w[0] === "VER") return "Network UPS Tools upsd 2.8.0\n";
    return "OK\n";
  };
}

async function monitor(statusReply: string) {
  server = await startFakeServer({ onLine: upsd(statusReply) });
  const system = `ups@127.0.0.1:${server.port}`;
  const config = parseUpsmonConf(
    `MONITOR ${system} 1 mon pass secondary\nPOLLFREQ 0\nPOLLFREQALERT 0\nFINALDELAY 0\nDEADTIME 1\nSHUTDOWNEXIT 0\nHOSTSYNC 1\n`,
    "t.conf",
  ).config;
  const log = createMemoryLogger();
  const notifier = new RecordingNotifier({ config, log });
  const shutdowns: string[] = [];
  handle = startMonitor({
    config,
    log,
    notifier,
    minIntervalMs: 20,
    host: {
      requestShutdown: async () => {
        shutdowns.push("shutdown");
      },
      ready: () => {},
      status: () => {},
      heartbeat: () => {},
    },
    createLink: (entry) =>
      createNutLink(entry, config, log, { requestTimeoutMs: 1000, connectTimeoutMs: 1000 }),
  });
  return { system, log, notifier, shutdowns, server, handle };
}

const polls = (s: FakeServer) => s.lines.filter((l) => l === "GET VAR ups ups.status").length;

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("monitor: a reply naming another UPS", () => {
  it('`VAR otherups ups.status "OB LB"` is a failed poll (COMMBAD), never a status, never a shutdown', async () => {
    const t = await monitor('VAR otherups ups.status "OB LB"\n');
    // many polls, and past DEADTIME (1 s)
    await until(() => polls(t.server) >= 5 || t.shutdowns.length > 0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(t.shutdowns).toEqual([]);
    // each poll on a fresh connection: a mismatch closes the one it came on
    expect(t.server.connectionCount).toBeGreaterThanOrEqual(3);
    expect(t.notifier.seen).toContain("COMMBAD");
    expect(t.notifier.seen).not.toContain("ONBATT");
    expect(t.notifier.seen).not.toContain("LOWBATT");
    expect(t.notifier.seen).not.toContain("SHUTDOWN");
    expect(t.shutdowns).toEqual([]);
    expect(t.log.lines.map((l) => l.message)).toContain(`Poll UPS [${t.system}] failed - Protocol error`);
    // and the link speaks to that server one request at a time from then on, said once
    const switched = t.log.lines.filter((l) => l.message.includes("one request at a time from now on"));
    expect(switched.map((l) => l.level)).toEqual(["warning"]);
    await t.handle.stop();
    expect(await t.handle.done).toEqual({ reason: "stopped", exitCode: 0 });
  });

  it("control: the same server answering for `ups` itself makes it shut down on OB LB", async () => {
    const t = await monitor('VAR ups ups.status "OB LB"\n');
    expect((await t.handle.done).reason).toBe("shutdown");
    expect(t.notifier.seen).toContain("ONBATT");
    expect(t.shutdowns).toEqual(["shutdown"]);
  });
});
