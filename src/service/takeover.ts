/**
 * `nutguard takeover [--undo]`, the I/O shell around takeover-plan.ts: reads the two units' state
 * (systemctl show), nut.conf's MODE, upsmon.conf and the record under /var/lib/nutguard, then carries
 * out the planned steps one by one, saying what each did.
 *
 * Must not: decide anything the plan did not (no step of its own), write the record half-way (temp
 * file + rename), or leave nutguard's monitor enabled when it did not become ready (NUT's monitor is
 * only stopped after nutguard's is ready, so a failure leaves NUT's running as it was).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { defaultUpsmonConfPath, loadUpsmonConfFile } from "../monitor/config-file.js";
import { parseNutMode, parseSystemctlShow } from "./doctor-facts.js";
import { runCommand, systemctl } from "./host-command.js";
import { takeoverConfigReasons } from "./takeover-config.js";
import {
  NUT_MONITOR,
  NUTGUARD_MONITOR,
  type Plan,
  parseTakeoverRecord,
  planTakeover,
  planUndo,
  type Step,
  TAKEOVER_RECORD,
  type TakeoverFacts,
  type TakeoverRecord,
  type UnitState,
  upsNotReady,
} from "./takeover-plan.js";

const NUT_CONF = "/etc/nut/nut.conf";
const UPSMON_PID_FILE = "/run/nut/upsmon.pid";

export interface TakeoverOptions {
  undo: boolean;
  /** How long to wait for nutguard's monitor to be logged in to every UPS (and NUT's on --undo). */
  timeoutMs: number;
  out: (line: string) => void;
}

async function unitState(unit: string): Promise<UnitState> {
  const r = await runCommand("systemctl", ["show", "-p", "LoadState,ActiveState,UnitFileState", "--", unit]);
  if (r.code !== 0 || !r.stdout.includes("LoadState=")) throw new Error("systemd does not answer here");
  const p = parseSystemctlShow(r.stdout);
  return {
    loadState: p.LoadState ?? "",
    activeState: p.ActiveState ?? "",
    unitFileState: p.UnitFileState ?? "",
  };
}

async function readRecord(): Promise<TakeoverRecord | undefined> {
  const text = await readFile(TAKEOVER_RECORD, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const record = parseTakeoverRecord(text);
  if (typeof record === "string")
    throw new Error(`${TAKEOVER_RECORD}: ${record}; move it away to start afresh`);
  return record;
}

async function gatherFacts(): Promise<TakeoverFacts> {
  return {
    nut: await unitState(NUT_MONITOR),
    nutguard: await unitState(NUTGUARD_MONITOR),
    nutMode: parseNutMode((await readFile(NUT_CONF, "utf8").catch(() => "")) ?? ""),
    record: await readRecord(),
  };
}

function accountExists(name: string): boolean {
  try {
    return readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .some((l) => l.split(":")[0] === name);
  } catch {
    return false;
  }
}

/** upsmon.conf as the monitor will read it; the reasons to refuse, and the MONITOR systems. */
async function checkConfig(): Promise<{ reasons: string[]; systems: string[] }> {
  const path = defaultUpsmonConfPath({});
  const parsed = await loadUpsmonConfFile(path);
  const certPath = parsed.config.certPath;
  const reasons = takeoverConfigReasons(parsed, {
    certPathIsDirectory: certPath !== undefined && existsSync(certPath) && statSync(certPath).isDirectory(),
    runAsUserExists: accountExists(parsed.config.runAsUser ?? "nut"),
  });
  return { reasons, systems: parsed.config.monitors.map((m) => m.system) };
}

async function writeRecord(record: TakeoverRecord): Promise<void> {
  await mkdir(dirname(TAKEOVER_RECORD), { recursive: true, mode: 0o755 });
  const tmp = `${TAKEOVER_RECORD}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, TAKEOVER_RECORD);
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitNutguardReady(systems: string[], timeoutMs: number): Promise<string> {
  let pending = systems;
  let last = "";
  try {
    return await poll("nutguard's monitor", timeoutMs, async () => {
      const r = await runCommand("systemctl", [
        "show",
        "-p",
        "ActiveState,SubState,StatusText,Type",
        "--",
        NUTGUARD_MONITOR,
      ]);
      const p = parseSystemctlShow(r.stdout);
      last = `${p.ActiveState}/${p.SubState}${p.StatusText ? `, status: ${p.StatusText}` : ""}`;
      if (p.ActiveState === "failed")
        throw new Error(`${NUTGUARD_MONITOR} failed (see 'journalctl -u ${NUTGUARD_MONITOR}')`);
      if (p.ActiveState !== "active" || p.SubState !== "running") return undefined;
      if (p.Type !== "notify" && p.Type !== "notify-reload")
        return `active (Type=${p.Type}: no status to check the logins with)`;
      pending = upsNotReady(p.StatusText ?? "", systems);
      return pending.length === 0 ? p.StatusText : undefined;
    });
  } catch (err) {
    const why = (err as Error).message;
    throw new Error(`${why}; not logged in to ${pending.join(", ") || "?"} (${last})`);
  }
}

async function runStep(
  step: Step,
  ctx: { systems: string[]; timeoutMs: number },
): Promise<string | undefined> {
  switch (step.kind) {
    case "write-record":
      await writeRecord(step.record);
      return `Recorded NUT's monitor as it was (${step.record.nutMonitor.unitFileState}, ${step.record.nutMonitor.wasActive ? "running" : "not running"}) in ${TAKEOVER_RECORD}`;
    case "remove-record":
      await rm(TAKEOVER_RECORD, { force: true });
      await rmdir(dirname(TAKEOVER_RECORD)).catch(() => undefined); // only when empty
      return `Removed ${TAKEOVER_RECORD}`;
    case "install-unit": {
      const { installService } = await import("./install.js");
      const report = installService({ type: "notify", root: "/" });
      return `Installed ${NUTGUARD_MONITOR} (${report.written.join(", ")})`;
    }
    case "systemctl":
      await systemctl(step.args);
      return step.says;
    case "wait-nutguard-ready":
      return `${NUTGUARD_MONITOR} is ready: ${await waitNutguardReady(ctx.systems, ctx.timeoutMs)}`;
    case "wait-nut-active":
      await poll(`${NUT_MONITOR} to run`, ctx.timeoutMs, async () =>
        (await runCommand("systemctl", ["is-active", "--quiet", NUT_MONITOR])).code === 0 ? true : undefined,
      );
      return `${NUT_MONITOR} is active`;
    case "remove-stale-upsmon-pid": {
      const { removeStaleUpsmonPid } = await import("./nut-unit-repair-apply.js");
      return (await removeStaleUpsmonPid())
        ? `Removed the stale ${UPSMON_PID_FILE} (NUT's 'upsmon -K' in the shutdown hook probes it)`
        : undefined;
    }
  }
}

/** Runs `nutguard takeover` or `--undo`; resolves to the exit status. */
export async function runTakeover(opts: TakeoverOptions): Promise<number> {
  const { out } = opts;
  let facts: TakeoverFacts;
  try {
    facts = await gatherFacts();
  } catch (err) {
    out(`nutguard takeover: ${(err as Error).message}`);
    return 1;
  }
  const config = opts.undo ? { reasons: [], systems: [] } : await checkConfig();
  const plan: Plan = opts.undo ? planUndo(facts) : planTakeover(facts, facts.record ? [] : config.reasons);
  if (!plan.ok) {
    out("nutguard takeover: refusing to take over from NUT's upsmon:");
    for (const r of plan.reasons) out(`  - ${r}`);
    out("Nothing was changed.");
    return 1;
  }
  for (const n of plan.notes) out(`nutguard takeover: ${n}`);
  let nutTouched = false;
  for (const step of plan.steps) {
    try {
      if (step.kind === "systemctl" && step.args.includes(NUT_MONITOR)) nutTouched = true;
      const said = await runStep(step, { systems: config.systems, timeoutMs: opts.timeoutMs });
      if (said) out(said);
    } catch (err) {
      out(`nutguard takeover: ${(err as Error).message}`);
      if (opts.undo) out("Run 'nutguard takeover --undo' again once the cause is fixed.");
      else if (!nutTouched && !facts.record) await backOut(out);
      else out("Run 'nutguard takeover' again once the cause is fixed, or 'nutguard takeover --undo'.");
      return 1;
    }
  }
  out(
    opts.undo
      ? `Done: NUT's monitor is back as it was; ${NUTGUARD_MONITOR} is stopped and disabled.`
      : `Done: ${NUTGUARD_MONITOR} monitors this host on ${defaultUpsmonConfPath({})}; undo with 'nutguard takeover --undo'.`,
  );
  return 0;
}

/**
 * A first takeover that failed before NUT's monitor was touched (nutguard's did not become ready):
 * stop and disable nutguard's again and forget the record, so the host is as it was.
 */
async function backOut(out: (line: string) => void): Promise<void> {
  for (const args of [
    ["stop", NUTGUARD_MONITOR],
    ["disable", NUTGUARD_MONITOR],
  ]) {
    await systemctl(args).catch(() => undefined);
  }
  await rm(TAKEOVER_RECORD, { force: true });
  out(`Backed out: ${NUTGUARD_MONITOR} stopped and disabled again; ${NUT_MONITOR} was not touched.`);
}
