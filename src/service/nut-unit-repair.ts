/**
 * `nutguard doctor --fix --units`: the systemd drop-in that makes NUT's own nut-monitor.service start
 * cleanly, chosen by the NUT release installed (reference: service-integration.md §3 and §11).
 *
 * What every release needs (none of the three known journal messages afterwards):
 *  - `PIDFile=` (reset): the file names upsmon's unprivileged child, so systemd must not read it —
 *    that is what logs "Can't open PID file … (yet?)" (2.7.4's Type=forking) and "Supervising process
 *    … which is not our child" (at start with 2.7.4, on every reload with 2.8.x). Without it systemd
 *    keeps the root upsmon it started (2.8.x, Type=simple) or guesses it (2.7.4, Type=forking).
 *  - An ExecStartPre= that writes "-1" into /run/nut/upsmon.pid unless the file names a live upsmon:
 *    upsmon's start-up probe then finds a file and does not log "fopen … No such file or directory";
 *    2.8.x is silent on a negative PID (2.7.4 logs "Ignoring invalid pid number -1" instead). A live
 *    upsmon still blocks a second start; a stale PID reused by another process no longer does.
 * Per release:
 *  - 2.7.x: `ExecReload=<upsmon> -c reload` (the stock unit has none: "Job type reload is not applicable").
 *  - 2.8.1 and later: `Environment=NUT_QUIET_INIT_UPSNOTIFY=true` (built with libsystemd, but the unit
 *    has NotifyAccess=none: three harmless "upsnotify:" lines per start).
 *
 * Pure: facts in, a drop-in (or a refusal) out. nut-unit-repair-apply.ts writes and removes it.
 */

/** The drop-in's path; `--undo-units` removes exactly this file. */
export const NUT_UNIT = "nut-monitor.service";
export const REPAIR_DROP_IN = `/etc/systemd/system/${NUT_UNIT}.d/nutguard-repair.conf`;
const UPSMON_PID_FILE = "/run/nut/upsmon.pid";

export interface NutVersion {
  major: number;
  minor: number;
  patch: number;
  /** As found, e.g. "2.8.0" or "2.7.4-13". */
  text: string;
}

/** What the repair is chosen from. */
export interface RepairFacts {
  /** The installed NUT release (upsmon's banner or the package version); undefined when unknown. */
  version?: NutVersion;
  /** LoadState=loaded of nut-monitor.service. */
  loaded: boolean;
  /** Type= and the ExecStart= argv of the unit as systemd has it now (with any drop-ins). */
  type: string;
  execStart: string[];
}

export type RepairPlan =
  | { ok: true; path: string; content: string; release: string; changes: string[] }
  | { ok: false; reason: string };

/**
 * The NUT version in upsmon's banner ("Network UPS Tools upsmon 2.8.0"), a package version
 * ("2.7.4-13", "2.8.1-5+deb13u1", "1:2.8.0-7ubuntu1") or a bare "2.8.1".
 */
export function parseNutVersion(text: string): NutVersion | undefined {
  const m = /(?:^|\s|:)(\d+)\.(\d+)\.(\d+)(?:[-+.~][\w.+~-]*)?(?=\s|$)/m.exec(text.trim());
  if (!m) return undefined;
  const [, major, minor, patch] = m;
  return {
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
    text: m[0].trim().replace(/^:/, ""),
  };
}

function atLeast(v: NutVersion, major: number, minor: number, patch: number): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

/** The pre-start line; `$$` is systemd's escape for a literal `$`. */
export function pidPlaceholderCommand(pidFile = UPSMON_PID_FILE): string {
  return (
    `-/bin/sh -c 'p=$$(cat ${pidFile} 2>/dev/null); ` +
    `[ -n "$$p" ] && [ "$$(cat /proc/$$p/comm 2>/dev/null)" = upsmon ] || echo -1 > ${pidFile}'`
  );
}

/** Chooses the drop-in for the installed release, or says why none fits. */
export function planNutUnitRepair(facts: RepairFacts): RepairPlan {
  if (!facts.loaded) return { ok: false, reason: `${NUT_UNIT} is not installed (or is masked)` };
  const v = facts.version;
  if (!v)
    return { ok: false, reason: "cannot tell which NUT release is installed (no upsmon banner, no package)" };
  if (!atLeast(v, 2, 7, 0)) return { ok: false, reason: `NUT ${v.text} is older than 2.7: no repair known` };
  const upsmon = facts.execStart[0];
  if (!upsmon) return { ok: false, reason: `${NUT_UNIT} has no ExecStart=` };
  const lines = ["[Service]"];
  const changes: string[] = [];
  let release: string;
  lines.push("# upsmon's PID file names its unprivileged child: systemd must not read it", "PIDFile=");
  changes.push("PIDFile= (reset): systemd keeps the root upsmon as MainPID, no 'not our child', no '(yet?)'");
  lines.push(
    "# a placeholder PID file (-1) unless it names a live upsmon: no 'fopen ... upsmon.pid' at start",
    `ExecStartPre=${pidPlaceholderCommand()}`,
  );
  changes.push("ExecStartPre= writes -1 into /run/nut/upsmon.pid unless it names a live upsmon: no 'fopen'");
  if (!atLeast(v, 2, 8, 0)) {
    release = "2.7";
    if (facts.type !== "forking") {
      return {
        ok: false,
        reason: `NUT ${v.text}'s upsmon backgrounds itself, but ${NUT_UNIT} has Type=${facts.type}: remove the drop-in that changed it first`,
      };
    }
    lines.push("# the stock 2.7 unit has no reload", `ExecReload=${upsmon} -c reload`);
    changes.push(`ExecReload=${upsmon} -c reload (the 2.7 unit has none)`);
  } else if (!atLeast(v, 2, 8, 1)) {
    release = "2.8.0";
  } else {
    release = "2.8.1+";
    lines.push(
      "# built with libsystemd, but the unit has NotifyAccess=none: silence its upsnotify lines",
      "Environment=NUT_QUIET_INIT_UPSNOTIFY=true",
    );
    changes.push("Environment=NUT_QUIET_INIT_UPSNOTIFY=true (no 'upsnotify:' lines)");
  }
  const header = [
    `# Written by 'nutguard doctor --fix --units' for NUT ${v.text} (${release} units);`,
    "# removed by 'nutguard doctor --undo-units'. The packaged unit is left as shipped.",
  ];
  return {
    ok: true,
    path: REPAIR_DROP_IN,
    content: `${[...header, ...lines].join("\n")}\n`,
    release,
    changes,
  };
}
