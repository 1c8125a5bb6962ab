/** Notification delivery: NOTIFYMSG/NOTIFYFLAG, NOTIFYCMD as argv (no shell), wall, failures. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { Notifier } from "../../src/monitor/actions.js";
import { createMemoryLogger } from "../../src/util/log.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nutguard-actions-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return text;
    } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} never written`);
}

function notifierFor(conf: string, childTimeoutMs?: number) {
  const log = createMemoryLogger();
  const config = parseUpsmonConf(conf, "t.conf").config;
  const notifier = new Notifier({
    config,
    log,
    wallCommand: script("wall", `cat > ${dir}/wall.out`),
    ...(childTimeoutMs ? { childTimeoutMs } : {}),
  });
  return { notifier, log };
}

describe("notifications", () => {
  it("EXEC runs NOTIFYCMD without a shell: its words, then the message as the last argument, with UPSNAME and NOTIFYTYPE", async () => {
    const cmd = script("notify", `printf '%s|' "$@" > ${dir}/out; echo "$UPSNAME|$NOTIFYTYPE" >> ${dir}/out`);
    const { notifier } = notifierFor(
      `NOTIFYCMD ${cmd} --tag "two words"\nNOTIFYFLAG ONBATT EXEC\nNOTIFYMSG ONBATT "UPS %s on \\"battery\\" $HOME \`id\`"\n`,
    );
    notifier.notify({ type: "ONBATT", system: "ups@127.0.0.1:3493" });
    expect(await waitForFile(join(dir, "out"))).toBe(
      '--tag|two words|UPS ups@127.0.0.1:3493 on "battery" $HOME `id`|ups@127.0.0.1:3493|ONBATT\n',
    );
  });

  it("events without a UPS get an empty UPSNAME", async () => {
    const cmd = script("notify", `echo "[$UPSNAME] $NOTIFYTYPE $1" > ${dir}/out`);
    const { notifier } = notifierFor(`NOTIFYCMD ${cmd}\nNOTIFYFLAG SHUTDOWN EXEC\n`);
    notifier.notify({ type: "SHUTDOWN", system: undefined });
    expect(await waitForFile(join(dir, "out"))).toBe("[] SHUTDOWN Auto logout and shutdown proceeding\n");
  });

  it("SYSLOG writes the message at notice priority; the ALARM text fills the second %s", () => {
    const { notifier, log } = notifierFor("NOTIFYFLAG ALARM SYSLOG\n");
    notifier.notify({ type: "ALARM", system: "u", extra: "Fan failure" });
    expect(log.lines).toEqual([
      { level: "notice", message: "UPS u: one or more active alarms: [Fan failure]" },
    ]);
  });

  it("IGNORE wins over every other flag", async () => {
    const cmd = script("notify", `echo x > ${dir}/out`);
    const { notifier, log } = notifierFor(`NOTIFYCMD ${cmd}\nNOTIFYFLAG ONLINE SYSLOG+EXEC+IGNORE\n`);
    notifier.notify({ type: "ONLINE", system: "u" });
    await notifier.drain(1000);
    expect(log.lines).toEqual([]);
    expect(() => readFileSync(join(dir, "out"))).toThrow();
  });

  it("WALL sends the message to wall on its stdin", async () => {
    const { notifier } = notifierFor("NOTIFYFLAG LOWBATT WALL\n");
    notifier.notify({ type: "LOWBATT", system: "u" });
    await notifier.drain(2000);
    expect(readFileSync(join(dir, "wall.out"), "utf8")).toBe("UPS u battery is low\n");
  });

  it("a failing or missing NOTIFYCMD is logged and does not throw", async () => {
    const failing = script("fail", "exit 3");
    const a = notifierFor(`NOTIFYCMD ${failing}\nNOTIFYFLAG ONBATT EXEC\n`);
    a.notifier.notify({ type: "ONBATT", system: "u" });
    await a.notifier.drain(2000);
    expect(a.log.lines.map((l) => l.message)).toEqual([`NOTIFYCMD (${failing}) exited with status 3`]);

    const b = notifierFor(`NOTIFYCMD ${dir}/does-not-exist\nNOTIFYFLAG ONBATT EXEC\n`);
    b.notifier.notify({ type: "ONBATT", system: "u" });
    await b.notifier.drain(2000);
    expect(b.log.lines[0]?.message).toContain(`execvp(${dir}/does-not-exist) failed`);
  });

  it("a hanging NOTIFYCMD does not block the caller, and is killed and logged after the timeout", async () => {
    const hanging = script("hang", "sleep 30");
    const { notifier, log } = notifierFor(`NOTIFYCMD ${hanging}\nNOTIFYFLAG ONBATT EXEC\n`, 200);
    notifier.notify({ type: "ONBATT", system: "u" }); // returns at once
    await notifier.drain(5000);
    expect(log.lines.map((l) => l.message)).toEqual([
      `NOTIFYCMD (${hanging}) still running after 200 ms, killing it`,
      `NOTIFYCMD (${hanging}) was killed by signal SIGKILL`,
    ]);
  });
});
