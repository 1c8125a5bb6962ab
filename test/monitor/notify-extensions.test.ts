/**
 * The monitor's notification extensions built from files on disk: nutguard.conf beside upsmon.conf,
 * upssched.conf beside it; what is logged for mistakes (file:line, only that feature off), reloads.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { type NotifyExtensions, startNotifyExtensions } from "../../src/monitor/notify-extensions.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { type HttpReceiver, startHttpReceiver } from "../helpers/http-receiver.js";
import { notification, snapshotOf, upsSnapshot } from "../notify/notify-fixtures.js";

let dir: string;
let receiver: HttpReceiver;
let ext: NotifyExtensions | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nutguard-ext-"));
  receiver = await startHttpReceiver();
});
afterEach(async () => {
  ext?.stop();
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const UPS = "rack@127.0.0.1";
const upsmon = (extra = "") =>
  parseUpsmonConf(`MONITOR ${UPS} 1 u p primary\n${extra}`, join(dir, "upsmon.conf")).config;
const lines = (log: ReturnType<typeof createMemoryLogger>) =>
  log.lines.filter((l) => l.level !== "debug").map((l) => `${l.level}: ${l.message}`);

function start(extra = "") {
  const log = createMemoryLogger(9);
  const snapshot = snapshotOf(upsSnapshot(UPS, "OB DISCHRG", 50, undefined));
  ext = startNotifyExtensions({
    upsmonConfPath: join(dir, "upsmon.conf"),
    config: upsmon(extra),
    log,
    snapshot: () => snapshot,
    runtimeDir: dir,
  });
  return { ext, log };
}

describe("notification extensions from nutguard.conf and upssched.conf", () => {
  it("channels receive the monitor's notification events; thresholds per UPS; the missing variable is named once", async () => {
    await writeFile(
      join(dir, "nutguard.conf"),
      `[ops]\ntype = webhook\nurl = ${receiver.url}/h\n[thresholds]\nruntime = 300\n[thresholds:${UPS}]\ncharge = 40\n`,
    );
    const { ext, log } = start();
    ext.onEvent(notification("ONBATT", UPS));
    const [req] = await receiver.waitFor(1);
    expect(JSON.parse(req!.body)).toMatchObject({
      event: "ONBATT",
      ups: UPS,
      status: "OB DISCHRG",
      charge: 50,
      runtime: null,
    });
    expect(ext.thresholdsFor(UPS)).toEqual({ runtime: 300, charge: 40 });
    const first = {
      kind: "status",
      timeMs: 0,
      ups: UPS,
      previous: [],
      current: ["OB"],
      charge: 50,
      runtime: undefined,
    } as const;
    ext.onEvent(first);
    ext.onEvent(first);
    expect(ext.notifyCmdHandler).toBeUndefined();
    expect(lines(log)).toEqual([
      "info: Notification channels: [ops] (webhook)",
      `info: UPS [${UPS}]: battery thresholds runtime = 300, charge = 40`,
      `warning: UPS [${UPS}] does not report battery.runtime: the runtime threshold (runtime = 300) from nutguard.conf cannot apply to it`,
    ]);
  });

  it("no nutguard.conf: nothing extra, nothing logged", () => {
    const { ext, log } = start();
    expect(ext.thresholdsFor(UPS)).toEqual({});
    expect(lines(log)).toEqual([]);
  });

  it("a mistake is logged with file:line and only that feature is off; a reload that fails keeps the previous settings", async () => {
    await writeFile(
      join(dir, "nutguard.conf"),
      `[ops]\ntype = webhook\nurl = ${receiver.url}/h\ntoken_file = ${dir}/missing\n[thresholds]\nruntime = 300\n`,
    );
    const { ext, log } = start();
    expect(lines(log)).toEqual([
      `err: ${join(dir, "nutguard.conf")}:4: cannot read token_file: Can't open ${dir}/missing: No such file or directory (notification channels are off)`,
      `info: UPS [${UPS}]: battery thresholds runtime = 300`,
    ]);
    await writeFile(join(dir, "nutguard.conf"), "[thresholds]\nruntime = soon\n");
    log.lines.length = 0;
    ext.reload(upsmon());
    expect(lines(log)).toEqual([
      `err: ${join(dir, "nutguard.conf")}:2: runtime must be a whole number from 0 to 86400, not "soon" (keeping the previous thresholds)`,
    ]);
    expect(ext.thresholdsFor(UPS)).toEqual({ runtime: 300 });
  });

  it("NOTIFYCMD naming upssched: the timers run in the monitor, unless [upssched] builtin = no", async () => {
    await writeFile(
      join(dir, "upssched.conf"),
      `CMDSCRIPT /bin/true\nPIPEFN /run/nut/p\nLOCKFN /run/nut/l\nAT ONBATT * START-TIMER t 30\n`,
    );
    const { ext, log } = start("NOTIFYCMD /usr/sbin/upssched\n");
    expect(ext.notifyCmdHandler).toBeDefined();
    expect(lines(log)).toEqual([
      `info: NOTIFYCMD names upssched: running the timers of ${join(dir, "upssched.conf")} in the monitor (no upssched process)`,
    ]);
    await writeFile(join(dir, "nutguard.conf"), "[upssched]\nbuiltin = no\n");
    ext.reload(upsmon("NOTIFYCMD /usr/sbin/upssched\n"));
    expect(ext.notifyCmdHandler).toBeUndefined();
  });

  it("NOTIFYCMD naming upssched without a readable upssched.conf: logged, the timers are off", () => {
    const { ext, log } = start("NOTIFYCMD /sbin/upssched\n");
    expect(ext.notifyCmdHandler).toBeUndefined();
    expect(lines(log)[0]).toMatch(
      /^err: Can't open .*upssched\.conf: No such file or directory \(NOTIFYCMD names upssched: its timers are off\)$/,
    );
  });
});
