/**
 * The I/O shell of `nutguard doctor --fix --units` / `--undo-units`: reads which NUT release is
 * installed, writes (temp file + rename) or removes the drop-in nut-unit-repair.ts chose, reloads
 * systemd and restarts nut-monitor.service when it is running, so the repair (or the stock unit) is
 * what runs afterwards.
 *
 * Must not: edit the packaged unit, touch any other drop-in, or start a unit that was not running.
 */
import { mkdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { gatherUnit } from "./doctor-gather.js";
import { runCommand, systemctl } from "./host-command.js";
import {
  NUT_UNIT,
  type NutVersion,
  parseNutVersion,
  planNutUnitRepair,
  REPAIR_DROP_IN,
  type RepairPlan,
} from "./nut-unit-repair.js";

const UPSMON_BINARIES = ["/lib/nut/upsmon", "/usr/lib/nut/upsmon", "/usr/sbin/upsmon", "/sbin/upsmon"];
const UPSMON_PID_FILE = "/run/nut/upsmon.pid";

async function isElf(path: string): Promise<boolean> {
  const bytes = await readFile(path).catch(() => undefined);
  return bytes !== undefined && bytes.subarray(0, 4).toString("latin1") === "\x7fELF";
}

/** The installed NUT release: upsmon's own banner (`upsmon -h`), else the nut-client package's version. */
export async function installedNutVersion(): Promise<NutVersion | undefined> {
  for (const path of UPSMON_BINARIES) {
    if (!(await isElf(path))) continue; // Debian's /sbin/upsmon is a shell wrapper honouring MODE=
    const r = await runCommand(path, ["-h"]);
    const v = /Network UPS Tools upsmon (\S+)/.exec(`${r.stdout}\n${r.stderr}`);
    const parsed = v ? parseNutVersion(v[1]!) : undefined;
    if (parsed) return parsed;
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const dpkg = await runCommand("dpkg-query", ["-W", "-f=${Version}", "nut-client"]);
  return dpkg.code === 0 ? parseNutVersion(dpkg.stdout) : undefined;
}

export async function planForThisHost(): Promise<RepairPlan> {
  const unit = await gatherUnit(NUT_UNIT);
  if (!unit) return { ok: false, reason: "systemd does not answer here" };
  return planNutUnitRepair({
    version: await installedNutVersion(),
    loaded: unit.loaded,
    type: unit.type,
    execStart: unit.execStart,
  });
}

/** Restarts the unit if it is running now; says what it did. */
async function restartIfRunning(): Promise<string | undefined> {
  const active = await runCommand("systemctl", ["is-active", "--quiet", NUT_UNIT]);
  if (active.code !== 0) return undefined;
  await systemctl(["restart", NUT_UNIT]);
  return `restarted ${NUT_UNIT}`;
}

/** Writes the drop-in (unless it is there already with the same text); returns what was done. */
export async function applyNutUnitRepair(plan: RepairPlan & { ok: true }): Promise<string[]> {
  const existing = await readFile(plan.path, "utf8").catch(() => undefined);
  if (existing === plan.content) return [`${plan.path} is in place already (NUT ${plan.release} units)`];
  await mkdir(dirname(plan.path), { recursive: true });
  const tmp = `${plan.path}.nutguard-${process.pid}.tmp`;
  await writeFile(tmp, plan.content, { mode: 0o644 });
  await rename(tmp, plan.path);
  const done = [`wrote ${plan.path} for NUT ${plan.release} units:`, ...plan.changes.map((c) => `  ${c}`)];
  await systemctl(["daemon-reload"]);
  done.push("ran systemctl daemon-reload");
  const restarted = await restartIfRunning();
  if (restarted) done.push(restarted);
  return done;
}

/**
 * Removes /run/nut/upsmon.pid unless it names a running upsmon (a placeholder, or a dead child's PID
 * that NUT's start-up probe and `upsmon -K` would trip over); resolves to whether it removed it.
 */
export async function removeStaleUpsmonPid(): Promise<boolean> {
  const content = await readFile(UPSMON_PID_FILE, "utf8").catch(() => undefined);
  if (content === undefined) return false;
  const pid = Number(content.trim());
  const comm = pid > 1 ? await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "") : "";
  if (comm.trim() === "upsmon") return false;
  await rm(UPSMON_PID_FILE, { force: true });
  return true;
}

/** Removes the drop-in and the placeholder PID file it leaves; returns what was done. */
export async function undoNutUnitRepair(): Promise<string[]> {
  const existing = await readFile(REPAIR_DROP_IN, "utf8").catch(() => undefined);
  if (existing === undefined) return [`no ${REPAIR_DROP_IN}: nothing to undo`];
  await rm(REPAIR_DROP_IN);
  const done = [`removed ${REPAIR_DROP_IN}`];
  await rmdir(dirname(REPAIR_DROP_IN)).catch(() => undefined); // only when empty: other drop-ins stay
  await systemctl(["daemon-reload"]);
  done.push("ran systemctl daemon-reload");
  const restarted = await restartIfRunning();
  if (restarted) done.push(restarted);
  // stopped: the stock unit would otherwise find our "-1" placeholder (or a dead child's PID) at its next start
  else if (await removeStaleUpsmonPid()) done.push(`removed ${UPSMON_PID_FILE} (named no running upsmon)`);
  return done;
}
