// Under a real systemd: the monitor installed as a service (Type=notify, root supervisor + monitor as
// nut), nutguard server simulating the UPS, a webhook channel to a receiver on the container's loopback
// and the built-in upssched with a CMDSCRIPT. When the UPS goes on battery the receiver gets the
// webhook and the CMDSCRIPT runs as nut: the unit's sandboxing blocks neither the channel's socket nor
// the spawn. And `nutguard doctor` warns while nutguard.conf holds a secret others can read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootContainer, type Container, waitFor } from "../helpers/container.js";
import { CONTAINER_NUT_USERS } from "../helpers/container-nut.js";
import { expectNoBadLines, UNIT, unitProcesses, upsmonConf, waitActive } from "./unit-scenarios.js";

const SIM = "/etc/nutguard-sim";
const HOOKS = "/root/hooks.jsonl";
const CMDLOG = "/var/lib/ng-cmdscript/calls.log";

// One JSON line per request the receiver gets: method, path, Authorization, body.
const RECEIVER = `
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    appendFileSync(${JSON.stringify(HOOKS)}, JSON.stringify({ method: req.method, path: req.url, auth: req.headers.authorization, body }) + "\\n");
    res.end("ok");
  });
}).listen(8099, "127.0.0.1");
`;

/** A file's content once it has some. */
function fileContent(ct: Container, what: string, path: string): Promise<string> {
  return waitFor(
    what,
    async () => {
      const r = await ct.exec(["cat", path]);
      return r.code === 0 && r.stdout.trim() !== "" ? r.stdout : false;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
}

const PROBE = `require("node:net").connect(8099, "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))`;

describe("notification channels and the built-in upssched under systemd's hardened unit", () => {
  let ct: Container;
  beforeAll(async () => {
    ct = await bootContainer();
    // nutguard server is the UPS here: Debian's upsd and upsmon stay off port 3493 and this upsmon.conf
    await ct.run(["systemctl", "mask", "--now", "nut-monitor.service", "nut-server.service"]);
    const { admin, primary } = CONTAINER_NUT_USERS;
    await ct.writeFile(`${SIM}/upsd.conf`, "LISTEN 127.0.0.1 3493\n");
    await ct.writeFile(`${SIM}/ups.conf`, `[ups]\n\tdriver = dummy-ups\n\tport = ${SIM}/ups.dev\n`);
    await ct.writeFile(`${SIM}/ups.dev`, "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 1800\n");
    await ct.writeFile(
      `${SIM}/upsd.users`,
      `[${admin.user}]\n\tpassword = ${admin.password}\n\tactions = SET\n` +
        `[${primary.user}]\n\tpassword = ${primary.password}\n\tupsmon primary\n`,
    );
    await ct.writeFile("/root/receiver.mjs", RECEIVER);
    await ct.run(["systemd-run", "--unit=ng-sim", `--setenv=NUT_CONFPATH=${SIM}`, "nutguard", "server"]);
    await ct.run(["systemd-run", "--unit=ng-receiver", "/usr/local/bin/node", "/root/receiver.mjs"]);

    await ct.writeFile(
      "/etc/nut/upsmon.conf",
      upsmonConf("ups", ["NOTIFYCMD /usr/sbin/upssched", "NOTIFYFLAG ONBATT SYSLOG+EXEC"]),
      { mode: "0640", owner: "root:nut" },
    );
    await ct.writeFile(
      "/etc/nut/upssched.conf",
      "CMDSCRIPT /usr/local/bin/ng-cmdscript\nPIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\n" +
        "AT ONBATT * START-TIMER onbatt-timer 1\n",
      { mode: "0640", owner: "root:nut" },
    );
    await ct.writeFile(
      "/usr/local/bin/ng-cmdscript",
      `#!/bin/sh\necho "$1 user=$(id -un) UPSNAME=$UPSNAME NOTIFYTYPE=$NOTIFYTYPE" >> ${CMDLOG}\n`,
      { mode: "0755" },
    );
    await ct.run(["install", "-d", "-o", "nut", "-g", "nut", "-m", "0750", "/var/lib/ng-cmdscript"]);
    // an inline token, in a file every local user can read (doctor must say so)
    await ct.writeFile(
      "/etc/nut/nutguard.conf",
      "[ops]\n  type = webhook\n  url = http://127.0.0.1:8099/hook\n  token = t0k-inline\n  events = ONBATT ONLINE\n",
      { mode: "0644" },
    );
    await ct.run(["nutguard", "install-service", "--type", "notify"]);
    await waitFor("nutguard server and the receiver", async () => {
      const ups = await ct.exec(["upsc", "ups@127.0.0.1", "ups.status"]);
      const receiver = await ct.exec(["node", "-e", PROBE]);
      return ups.stdout.trim() === "OL" && receiver.code === 0;
    });
  });
  afterAll(async () => {
    await ct?.destroy();
  });

  it("ONBATT: the webhook arrives from the monitor's process and the upssched timer's CMDSCRIPT runs as nut", async () => {
    const cursor = await ct.journalCursor();
    await ct.run(["systemctl", "start", UNIT]);
    await waitActive(ct);
    expect((await unitProcesses(ct)).map((p) => p.user).sort()).toEqual(["nut", "root"]);

    const { admin } = CONTAINER_NUT_USERS;
    await ct.run([
      "upsrw",
      "-s",
      "ups.status=OB DISCHRG",
      "-u",
      admin.user,
      "-p",
      admin.password,
      "ups@127.0.0.1",
    ]);
    const hooks = await fileContent(ct, "the webhook", HOOKS);
    const [hook] = hooks
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(hook).toMatchObject({ method: "POST", path: "/hook", auth: "Bearer t0k-inline" });
    expect(JSON.parse(hook.body)).toMatchObject({
      event: "ONBATT",
      ups: "ups@127.0.0.1",
      status: "OB DISCHRG",
      charge: 100,
      runtime: 1800,
      host: (await ct.run(["hostname"])).trim(),
    });
    const calls = await fileContent(ct, "the CMDSCRIPT", CMDLOG);
    expect(calls).toBe("onbatt-timer user=nut UPSNAME=ups@127.0.0.1 NOTIFYTYPE=ONBATT\n");
    expect((await ct.exec(["test", "-e", "/run/nut/upssched.pipe"])).code).toBe(1);

    const journal = await ct.journalAfter(cursor, ["-u", UNIT]);
    expect(journal).toContain("Notification channels: [ops] (webhook)");
    expect(journal).not.toMatch(/notify \[ops\]: cannot deliver|Operation not permitted|EPERM|EACCES/);
    expectNoBadLines(journal);
    await ct.run(["systemctl", "stop", UNIT]);
  });

  it("doctor warns while nutguard.conf holds a secret and others can read it; quiet once it is root:nut 0640", async () => {
    const warned = await ct.exec(["nutguard", "doctor"]);
    expect(warned.stdout).toContain(
      "warning [nutguard-conf-secrets-readable] nutguard-monitor.service: /etc/nut/nutguard.conf has mode 0644 and holds secrets ([ops] token (line 4))",
    );
    await ct.run(["chown", "root:nut", "/etc/nut/nutguard.conf"]);
    await ct.run(["chmod", "0640", "/etc/nut/nutguard.conf"]);
    const quiet = await ct.exec(["nutguard", "doctor"]);
    expect(quiet.stdout).not.toContain("nutguard-conf-secrets-readable");
  });
});
