// WatchdogSec= under a real systemd: the supervisor pings while the monitor's poll loop reports in,
// and stops pinging when it does not, so systemd restarts a hung monitor.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Container, waitFor } from "../helpers/container.js";
import { bootWithNutguard, UNIT, unitProcesses, waitActive } from "./unit-scenarios.js";

describe("WatchdogSec= with Type=notify", () => {
  let ct: Container;
  beforeAll(async () => {
    ct = await bootWithNutguard("notify", ["dummy"]);
    await ct.writeFile(`/etc/systemd/system/${UNIT}.d/watchdog.conf`, "[Service]\nWatchdogSec=2s\n");
    await ct.run(["systemctl", "daemon-reload"]);
  });
  afterAll(async () => {
    await ct?.destroy();
  });

  it("a healthy monitor keeps the service alive across several watchdog intervals", async () => {
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "start", UNIT]);
    const pid = await waitActive(ct);
    await new Promise((r) => setTimeout(r, 6000)); // three WatchdogSec= intervals
    expect(await ct.show(UNIT, ["ActiveState", "MainPID", "NRestarts"])).toEqual({
      ActiveState: "active",
      MainPID: String(pid),
      NRestarts: "0",
    });
    expect(await ct.journalAfter(cursor, ["-u", UNIT])).not.toMatch(/[Ww]atchdog timeout/);
  });

  it("a hung monitor (SIGSTOP) stops the pings: systemd's watchdog fires and restarts the service", async () => {
    const pid = await waitActive(ct);
    const monitor = (await unitProcesses(ct)).find((p) => p.user === "nut");
    expect(monitor).toBeDefined();
    const cursor = await ct.journalCursor();
    await ct.run(["kill", "-STOP", String(monitor?.pid)]);
    await waitActive(ct, pid);
    await waitFor("the watchdog line", async () =>
      /Watchdog timeout/.test(await ct.journalAfter(cursor, ["-u", UNIT])),
    );
    expect(Number((await ct.show(UNIT, ["NRestarts"])).NRestarts)).toBe(1);
  });
});
