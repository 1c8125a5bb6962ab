import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createNotifier, watchdogUsecFromEnv } from "../../src/service/sd-notify.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { listenNotify, type NotifyListener } from "../helpers/notify-listener.js";
import { waitUntil } from "../helpers/processes.js";

let dir: string;
let listener: NotifyListener;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-notify-"));
  listener = listenNotify(dir);
});
afterEach(() => {
  listener.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sd_notify", () => {
  it("sends each message as one datagram to $NOTIFY_SOCKET", async () => {
    const n = createNotifier(createMemoryLogger(), { NOTIFY_SOCKET: listener.path });
    n.ready("1 UPS: ups OL");
    n.reloading();
    n.stopping();
    n.extendTimeout(90_000_000);
    await listener.waitFor("EXTEND_TIMEOUT_USEC=90000000");
    n.close();
    expect(listener.messages[0]).toBe("READY=1\nSTATUS=1 UPS: ups OL");
    expect(listener.messages[1]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
    expect(listener.messages[2]).toBe("STOPPING=1");
  });

  it("without NOTIFY_SOCKET does nothing and logs nothing", () => {
    const log = createMemoryLogger();
    const n = createNotifier(log, {});
    n.ready("x");
    n.watchdog();
    n.close();
    expect(n.active).toBe(false);
    expect(log.lines).toEqual([]);
  });

  it("an abstract socket address gives one warning, then silence", () => {
    const log = createMemoryLogger();
    const n = createNotifier(log, { NOTIFY_SOCKET: "@/org/freedesktop/systemd1/notify" });
    n.ready();
    n.status("x");
    expect(log.lines).toEqual([
      {
        level: "warning",
        message:
          "NOTIFY_SOCKET @/org/freedesktop/systemd1/notify is an abstract socket, which nutguard cannot reach: not notifying systemd",
      },
    ]);
  });

  it("a send error is not fatal and is logged at debug level only", async () => {
    const log = createMemoryLogger();
    const n = createNotifier(log, { NOTIFY_SOCKET: join(dir, "nobody-listens") });
    n.ready();
    await waitUntil("the failed send to be logged", () => log.lines.length > 0);
    n.status("still sending");
    n.close();
    expect(log.lines[0]).toMatchObject({
      level: "debug",
      message: expect.stringMatching(/^sd_notify READY=1: /),
    });
    expect(log.lines.filter((l) => l.level !== "debug")).toEqual([]);
  });

  it("takes the watchdog interval only when it is meant for this process", () => {
    expect(watchdogUsecFromEnv({ WATCHDOG_USEC: "4000000" }, 10)).toBe(4_000_000);
    expect(watchdogUsecFromEnv({ WATCHDOG_USEC: "4000000", WATCHDOG_PID: "10" }, 10)).toBe(4_000_000);
    expect(watchdogUsecFromEnv({ WATCHDOG_USEC: "4000000", WATCHDOG_PID: "11" }, 10)).toBe(0);
    expect(watchdogUsecFromEnv({}, 10)).toBe(0);
  });
});
