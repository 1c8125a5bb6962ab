/**
 * `nutguard takeover` / `takeover --undo`, the pure core: from the state of the two units (and the
 * record of what NUT's monitor was like before), the steps that take over — or give back — the
 * monitoring of this host. takeover.ts carries the steps out; takeover-config.ts judges upsmon.conf.
 *
 * The order keeps the host protected throughout: nutguard's monitor is started (and must be ready and
 * logged in to every UPS) before NUT's is stopped, and on --undo NUT's is started again before
 * nutguard's stops. Every step is skipped when its effect is already there, so both commands can run
 * twice (or again after an interruption) and the record is written once, before the first change.
 *
 * Pure: facts in, steps out. No I/O, no clock.
 */

export const NUT_MONITOR = "nut-monitor.service";
export const NUTGUARD_MONITOR = "nutguard-monitor.service";
export const TAKEOVER_RECORD = "/var/lib/nutguard/takeover.json";

/** A unit as `systemctl show -p LoadState,ActiveState,UnitFileState` sees it. */
export interface UnitState {
  /** loaded, not-found, masked, ... */
  loadState: string;
  /** active, inactive, failed, activating, ... */
  activeState: string;
  /** enabled, enabled-runtime, disabled, static, masked, masked-runtime, "" (unknown) ... */
  unitFileState: string;
}

/** What NUT's monitor was like before the takeover: what --undo restores. Stored as JSON. */
export interface TakeoverRecord {
  version: 1;
  nutMonitor: { unitFileState: string; wasActive: boolean };
  /** Whether the takeover installed nutguard-monitor.service itself (no unit was there). */
  installedNutguardUnit: boolean;
}

export interface TakeoverFacts {
  nut: UnitState;
  nutguard: UnitState;
  /** MODE= of /etc/nut/nut.conf (undefined: not set, or no file). */
  nutMode: string | undefined;
  /** The record left by an earlier takeover, if any. */
  record: TakeoverRecord | undefined;
}

export type Step =
  | { kind: "write-record"; record: TakeoverRecord }
  | { kind: "remove-record" }
  | { kind: "install-unit" }
  | { kind: "systemctl"; args: string[]; says: string }
  /** Wait until nutguard's monitor is active and logged in to every UPS. */
  | { kind: "wait-nutguard-ready" }
  /** Wait until NUT's monitor is active again. */
  | { kind: "wait-nut-active" }
  /** Remove /run/nut/upsmon.pid unless it names a running upsmon (NUT's -K probes it). */
  | { kind: "remove-stale-upsmon-pid" };

export type Plan = { ok: true; steps: Step[]; notes: string[] } | { ok: false; reasons: string[] };

const isActive = (u: UnitState) => u.activeState === "active" || u.activeState === "activating";
const isMasked = (u: UnitState) => u.loadState === "masked" || u.unitFileState.startsWith("masked");
const isEnabled = (u: UnitState) => u.unitFileState === "enabled" || u.unitFileState === "enabled-runtime";

function sys(args: string[], says: string): Step {
  return { kind: "systemctl", args, says };
}

/** The takeover steps still to do on this host (none but the readiness check when it is done). */
export function planTakeover(facts: TakeoverFacts, configReasons: string[]): Plan {
  const { nut, nutguard, record } = facts;
  const reasons = [...configReasons];
  if (!record) {
    if (nut.loadState === "not-found" || nut.loadState === "") {
      reasons.push(
        `${NUT_MONITOR} is not installed here: nothing to take over (use 'nutguard install-service')`,
      );
    } else if (isMasked(nut)) {
      reasons.push(
        `${NUT_MONITOR} is masked already: run 'systemctl unmask ${NUT_MONITOR}' first, or use 'nutguard install-service'`,
      );
    }
    if (facts.nutMode === "none" || facts.nutMode === undefined) {
      reasons.push(
        `/etc/nut/nut.conf says MODE=${facts.nutMode ?? "(unset)"}: NUT's monitor is switched off, so nutguard's would not behave like it (set MODE=standalone, netserver or netclient first)`,
      );
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const steps: Step[] = [];
  const notes: string[] = [];
  if (!record) {
    steps.push({
      kind: "write-record",
      record: {
        version: 1,
        nutMonitor: { unitFileState: nut.unitFileState, wasActive: isActive(nut) },
        installedNutguardUnit: nutguard.loadState !== "loaded",
      },
    });
  } else notes.push(`an earlier takeover is recorded in ${TAKEOVER_RECORD}: finishing it`);
  if (nutguard.loadState !== "loaded") steps.push({ kind: "install-unit" });
  if (!isEnabled(nutguard)) steps.push(sys(["enable", NUTGUARD_MONITOR], `Enabled ${NUTGUARD_MONITOR}`));
  if (!isActive(nutguard)) steps.push(sys(["start", NUTGUARD_MONITOR], `Started ${NUTGUARD_MONITOR}`));
  steps.push({ kind: "wait-nutguard-ready" });
  if (isActive(nut)) steps.push(sys(["stop", NUT_MONITOR], `Stopped ${NUT_MONITOR}`));
  if (!isMasked(nut)) {
    if (nut.unitFileState !== "disabled" && nut.unitFileState !== "static") {
      steps.push(sys(["disable", NUT_MONITOR], `Disabled ${NUT_MONITOR}`));
    }
    steps.push(sys(["mask", NUT_MONITOR], `Masked ${NUT_MONITOR} (NUT's upsd and drivers keep running)`));
  }
  steps.push({ kind: "remove-stale-upsmon-pid" });
  if (
    steps.filter((s) => s.kind !== "wait-nutguard-ready" && s.kind !== "remove-stale-upsmon-pid").length === 0
  ) {
    notes.push(`already taken over: ${NUTGUARD_MONITOR} runs, ${NUT_MONITOR} is masked`);
  }
  return { ok: true, steps, notes };
}

/** The steps that give the host back to NUT's monitor, as it was before the takeover. */
export function planUndo(facts: TakeoverFacts): Plan {
  const { nut, nutguard, record } = facts;
  if (!record) {
    return {
      ok: true,
      steps: [],
      notes: [`no takeover is recorded (${TAKEOVER_RECORD}): nothing to undo`],
    };
  }
  const steps: Step[] = [];
  const before = record.nutMonitor;
  if (isMasked(nut) && !before.unitFileState.startsWith("masked")) {
    steps.push(sys(["unmask", NUT_MONITOR], `Unmasked ${NUT_MONITOR}`));
  }
  if (before.unitFileState === "enabled" && nut.unitFileState !== "enabled") {
    steps.push(sys(["enable", NUT_MONITOR], `Enabled ${NUT_MONITOR}`));
  } else if (before.unitFileState === "enabled-runtime" && nut.unitFileState !== "enabled-runtime") {
    steps.push(sys(["enable", "--runtime", NUT_MONITOR], `Enabled ${NUT_MONITOR} (until reboot)`));
  }
  if (before.wasActive && !isActive(nut)) {
    steps.push(sys(["start", NUT_MONITOR], `Started ${NUT_MONITOR}`));
    steps.push({ kind: "wait-nut-active" });
  }
  if (isActive(nutguard)) steps.push(sys(["stop", NUTGUARD_MONITOR], `Stopped ${NUTGUARD_MONITOR}`));
  if (isEnabled(nutguard)) steps.push(sys(["disable", NUTGUARD_MONITOR], `Disabled ${NUTGUARD_MONITOR}`));
  steps.push({ kind: "remove-record" });
  return { ok: true, steps, notes: [] };
}

/** The record file's text → a record, or why it cannot be used. */
export function parseTakeoverRecord(text: string): TakeoverRecord | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  const r = data as Partial<TakeoverRecord>;
  if (
    r?.version !== 1 ||
    typeof r.nutMonitor?.unitFileState !== "string" ||
    typeof r.nutMonitor.wasActive !== "boolean" ||
    typeof r.installedNutguardUnit !== "boolean"
  ) {
    return "not a takeover record of this nutguard version";
  }
  return r as TakeoverRecord;
}

/**
 * Which MONITOR systems nutguard's StatusText (`ups@host: OL; ...`, engine summary) does not yet show
 * as polled over a working, logged-in connection ("waiting" = never answered; "(no comm)" = lost).
 */
export function upsNotReady(statusText: string, systems: string[]): string[] {
  const seen = new Map<string, string>();
  for (const part of statusText.split("; ")) {
    const colon = part.lastIndexOf(": ");
    if (colon > 0) seen.set(part.slice(0, colon), part.slice(colon + 2));
  }
  return systems.filter((s) => {
    const state = seen.get(s);
    return state === undefined || state === "waiting" || state.endsWith("(no comm)");
  });
}
