/**
 * units/nutguard-exporter.service under a real systemd (Debian 12) beside Debian's upsd with dummy-ups:
 * it starts as an unprivileged dynamic user, reads /etc/nut/nutguard.conf (root:nut 0640), serves
 * every UPS of the server on 127.0.0.1:9399, sees a status change, and keeps its history in
 * /var/lib/nutguard-exporter across a restart; `systemctl reload` applies a changed nutguard.conf with
 * the same main process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootContainer, type Container, NUTGUARD_DIR, waitFor } from "../helpers/container.js";
import { setUpsVar, startContainerNut } from "../helpers/container-nut.js";

const UNIT = "nutguard-exporter.service";
/** GET a path of the exporter from inside the container (its node, no curl needed). */
const fetchInside = (ct: Container, path: string) =>
  ct.exec([
    "node",
    "-e",
    `fetch("http://127.0.0.1:9399${path}").then(async (r) => process.stdout.write(r.status + "\\n" + (await r.text())), (e) => { console.error(String(e)); process.exit(1); })`,
  ]);

describe("nutguard-exporter.service", () => {
  let ct: Container;
  beforeAll(async () => {
    ct = await bootContainer();
    await startContainerNut(ct);
    await ct.writeFile("/etc/nut/nutguard.conf", "[exporter]\n  target = *@127.0.0.1\n  interval = 1\n", {
      mode: "0640",
      owner: "root:nut",
    });
    await ct.run(["cp", `${NUTGUARD_DIR}/units/${UNIT}`, `/etc/systemd/system/${UNIT}`]);
    await ct.run(["systemctl", "daemon-reload"]);
    await ct.run(["systemctl", "start", UNIT]);
  });
  afterAll(async () => {
    await ct?.destroy();
  });

  it("runs unprivileged and serves every UPS of the server", async () => {
    await waitFor(
      "the exporter to serve dummy",
      async () =>
        (await fetchInside(ct, "/metrics")).stdout.includes('nut_ups_up{ups="dummy@127.0.0.1:3493"} 1'),
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    const pid = (await ct.show(UNIT, ["MainPID"])).MainPID!;
    const uid = (await ct.run(["sh", "-c", `awk '/^Uid:/ {print $2}' /proc/${pid}/status`])).trim();
    expect(Number(uid)).toBeGreaterThan(60000); // systemd's dynamic user range (61184-65519)
    const m = (await fetchInside(ct, "/metrics")).stdout;
    expect(m).toContain('nut_ups_status{ups="dummy@127.0.0.1:3493",status="OL"} 1');
    expect(m).toContain('nut_exporter_info{version="');
  });

  it("sees the UPS go on battery and keeps that in its history across a restart", async () => {
    await setUpsVar(ct, "dummy", "ups.status", "OB DISCHRG");
    await waitFor(
      "OB in the metrics",
      async () => (await fetchInside(ct, "/metrics")).stdout.includes('status="OB"} 1'),
      { timeoutMs: 20_000, intervalMs: 300 },
    );
    await ct.run(["systemctl", "restart", UNIT]);
    await waitFor(
      "the exporter after restart",
      async () => (await fetchInside(ct, "/api/v1/events")).code === 0,
      {
        timeoutMs: 20_000,
        intervalMs: 300,
      },
    );
    const events = JSON.parse(
      (await fetchInside(ct, "/api/v1/events")).stdout.split("\n").slice(1).join("\n"),
    );
    expect(
      events.events.some(
        (e: { kind: string; current?: string[] }) => e.kind === "status" && e.current?.includes("OB"),
      ),
    ).toBe(true);
    expect((await ct.run(["ls", "/var/lib/nutguard-exporter/"])).trim()).toContain("history.log");
  });

  it("systemctl reload: a token added to [http] is required at once, same main process", async () => {
    const pid = (await ct.show(UNIT, ["MainPID"])).MainPID!;
    const cursor = await ct.journalCursor();
    await ct.writeFile(
      "/etc/nut/nutguard.conf",
      "[exporter]\n  target = *@127.0.0.1\n  interval = 1\n[http]\n  token = s3cret\n",
      { mode: "0640", owner: "root:nut" },
    );
    await ct.run(["systemctl", "reload", UNIT]);
    await waitFor("the reload in the journal", async () =>
      (await ct.journalAfter(cursor, ["-u", UNIT])).includes("reloaded /etc/nut/nutguard.conf"),
    );
    expect((await fetchInside(ct, "/metrics")).stdout.split("\n")[0]).toBe("401");
    expect((await ct.show(UNIT, ["MainPID"])).MainPID).toBe(pid);
  });
});
