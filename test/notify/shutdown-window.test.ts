/**
 * The window FSD and SHUTDOWN notifications get at a power-fail shutdown, on virtual time, through the
 * monitor's real composition (composeMonitor reading nutguard.conf beside upsmon.conf) against nutguard
 * server simulating the UPS: a primary sees OB LB, sets FSD, announces SHUTDOWN, waits FINALDELAY, runs
 * SHUTDOWNCMD and exits. Channels are simulated at the transport (the only way to put a network on
 * virtual time): `fast` delivers 200 ms after it is handed a notification, `hang` never answers until
 * the monitor abandons it. (The same with real receivers and real time: shutdown-hang.test.ts.)
 *
 * The rule (docs/notifications.md): SHUTDOWNCMD runs when FINALDELAY ends, whatever the channels do;
 * FSD/SHUTDOWN get a window of 3 s from when they were sent, so the monitor's exit waits only for what
 * is left of it: nothing after a FINALDELAY of 3 s or more, at most 3 s after FINALDELAY 0.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import type { ReadyChannel } from "../../src/notify/secrets.js";
import type { Transport } from "../../src/notify/transports.js";
import { composeMonitor } from "../../src/service/compose-monitor.js";
import { VirtualClock } from "../../src/util/clock.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { DEFAULT_USERS } from "../helpers/nut-stack.js";
import { startSequenceServer } from "../helpers/sequence-server.js";

const SEQUENCE =
  "ups.status: OL\nbattery.charge: 100\nTIMER 2\nups.status: OB LB DISCHRG\nbattery.charge: 5\nTIMER 3600\n";
const FAST_MS = 200;
const EVERYTHING = ["ONBATT 200", "FSD 200", "SHUTDOWN 200", "LOWBATT 400"];

type Channels = "none" | "fast" | "hang" | "fast+hang";

interface Timeline {
  /** SHUTDOWNCMD, in ms after the SHUTDOWN notification (the start of FINALDELAY). */
  shutdownCmdMs: number;
  /** The monitor's exit (its `done`), in ms after SHUTDOWNCMD. */
  exitMs: number;
  /** What the fast channel delivered, with when (ms after the SHUTDOWN notification). */
  delivered: string[];
  /** Absolute virtual time of SHUTDOWNCMD since the start. */
  shutdownCmdAt: number;
}

async function powerFail(finalDelaySec: number, channels: Channels): Promise<Timeline> {
  const clock = new VirtualClock();
  const dir = await mkdtemp(join(tmpdir(), "ng-shutdown-window-"));
  const log = createMemoryLogger(9);
  try {
    const { server, port } = await startSequenceServer(dir, SEQUENCE, clock, log.child("server"));
    const startMs = clock.now();
    const { user, pass } = DEFAULT_USERS.primary;
    const upsmonConf = join(dir, "upsmon.conf");
    const text = [
      `MONITOR ups@127.0.0.1:${port} 1 ${user} ${pass} primary`,
      "POLLFREQ 1",
      "POLLFREQALERT 1",
      "HOSTSYNC 15",
      `FINALDELAY ${finalDelaySec}`,
      "",
    ].join("\n");
    await writeFile(upsmonConf, text);
    const sections = channels === "none" ? [] : channels.split("+");
    await writeFile(
      join(dir, "nutguard.conf"),
      sections
        .map(
          (name) =>
            `[${name}]\ntype = webhook\nurl = http://${name}.invalid/\nevents = ONBATT LOWBATT FSD SHUTDOWN\n`,
        )
        .join(""),
    );

    let shutdownAt: number | undefined;
    let shutdownCmdAt: number | undefined;
    const delivered: { event: string; at: number }[] = [];
    const transport =
      (ch: ReadyChannel): Transport =>
      (n, signal) =>
        new Promise((resolve) => {
          const stopped = () => resolve({ ok: false, transient: false, reason: "stopped" });
          if (signal?.aborted) return stopped();
          signal?.addEventListener("abort", stopped);
          if (ch.name !== "fast") return; // hang: answers nothing until abandoned
          void clock.sleep(FAST_MS).then(() => {
            delivered.push({ event: n.payload.event, at: clock.now() });
            resolve({ ok: true });
          });
        });
    const monitor = composeMonitor({
      config: parseUpsmonConf(text, upsmonConf).config,
      configPath: upsmonConf,
      log: log.child("monitor"),
      clock,
      notifier: null,
      notifyTransport: transport,
      listeners: [
        (e) => {
          if (e.kind === "notification" && e.type === "SHUTDOWN") shutdownAt = clock.now();
        },
      ],
      host: {
        requestShutdown: async () => {
          shutdownCmdAt = clock.now();
        },
        ready: () => {},
        status: () => {},
        heartbeat: () => {},
      },
    });
    const exit = await clock.runUntil(monitor.done);
    const exitAt = clock.now();
    await server.close();
    expect(exit.reason).toBe("shutdown");
    expect(shutdownAt).toBeDefined();
    expect(shutdownCmdAt).toBeDefined();
    return {
      shutdownCmdMs: shutdownCmdAt! - shutdownAt!,
      exitMs: exitAt - shutdownCmdAt!,
      delivered: delivered.map((d) => `${d.event} ${d.at - shutdownAt!}`),
      shutdownCmdAt: shutdownCmdAt! - startMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("FSD/SHUTDOWN notifications at a power-fail shutdown (virtual time)", () => {
  // [FINALDELAY, channels, SHUTDOWNCMD after SHUTDOWN, exit after SHUTDOWNCMD, fast channel's deliveries]
  const TABLE: [number, Channels, number, number, string[]][] = [
    [0, "none", 0, 0, []],
    // ONBATT heads the fast channel's queue (LOWBATT behind it); FSD and SHUTDOWN go beside it.
    // FINALDELAY 0: the monitor exits once the urgent ones are in, abandoning the queued LOWBATT
    [0, "fast", 0, FAST_MS, ["ONBATT 200", "FSD 200", "SHUTDOWN 200"]],
    [0, "hang", 0, 3000, []],
    [0, "fast+hang", 0, 3000, ["ONBATT 200", "FSD 200", "SHUTDOWN 200", "LOWBATT 400"]],
    [5, "none", 5000, 0, []],
    [5, "fast", 5000, 0, EVERYTHING],
    [5, "hang", 5000, 0, []],
    [5, "fast+hang", 5000, 0, EVERYTHING],
    [30, "hang", 30_000, 0, []],
    [30, "fast+hang", 30_000, 0, EVERYTHING],
  ];

  it.each(TABLE)(
    "FINALDELAY %i, channels %s: SHUTDOWNCMD %i ms after SHUTDOWN, exit %i ms after it",
    async (finalDelay, channels, cmdMs, exitMs, delivered) => {
      const t = await powerFail(finalDelay, channels);
      expect(t.shutdownCmdMs).toBe(cmdMs);
      expect(t.exitMs).toBe(exitMs);
      expect(t.delivered).toEqual(delivered);
    },
    30_000,
  );

  it("a hanging channel does not move SHUTDOWNCMD by a millisecond", async () => {
    for (const finalDelay of [0, 5]) {
      const none = await powerFail(finalDelay, "none");
      const hang = await powerFail(finalDelay, "fast+hang");
      expect(hang.shutdownCmdAt).toBe(none.shutdownCmdAt);
    }
  }, 60_000);
});
