/**
 * `nutguard doctor [--fix [--units]] [--undo-units] [--target nut|nutguard]`: inspects how NUT's upsmon (nut-monitor.service)
 * and/or nutguard's monitor (nutguard-monitor.service) are set up on this host and prints one line per
 * problem with its fix. `--fix` applies the safe fixes, then checks again. Exit status: 0 when nothing
 * is wrong, 1 when problems remain, 2 on a usage error.
 * Thin: argv → service/doctor-* → stdout and the exit code.
 */
import type { DoctorFacts, DoctorTarget } from "../service/doctor-facts.js";
import { applySafeFix } from "../service/doctor-fix.js";
import { gatherFacts, installedTargets } from "../service/doctor-gather.js";
import { diagnose, type Finding, formatFinding } from "../service/doctor-rules.js";
import { REPAIR_DROP_IN } from "../service/nut-unit-repair.js";

const USAGE = `Usage: nutguard doctor [--fix [--units]] [--target nut|nutguard]...
       nutguard doctor --undo-units

Checks the monitor daemons' setup on this host and prints each problem with its fix:
runtime directory and its tmpfiles.d entry, the unit's Type=/PIDFile=/NotifyAccess=, stale PID files,
upsmon.conf permissions and RUN_AS_USER.

  --fix            apply the safe fixes (create/re-own directories, chmod upsmon.conf,
                   remove stale PID files, add a tmpfiles.d entry), then check again
  --units          with --fix: also repair NUT's own nut-monitor.service with a drop-in
                   (${REPAIR_DROP_IN}) chosen for the
                   installed NUT release, and restart it if it runs; the packaged unit is not edited
  --undo-units     remove that drop-in again (and restart nut-monitor.service if it runs)
  --target NAME    nut (nut-monitor.service) or nutguard (nutguard-monitor.service);
                   default: every one whose unit is installed (NUT's only
                   when /etc/nut/nut.conf enables it: MODE other than none)
  -h, --help       show this help
`;

type Out = (line: string) => void;

async function check(targets: DoctorTarget["name"][]) {
  const results = [];
  for (const t of targets) {
    const facts = await gatherFacts(t);
    results.push({ facts, findings: diagnose(facts) });
  }
  return results;
}

function report(results: { facts: DoctorFacts; findings: Finding[] }[], out: Out): number {
  for (const { facts } of results) {
    if (!facts.unit) out(`note: systemd does not answer here: ${facts.target.unit} checks skipped`);
    else if (!facts.unit.loaded) out(`note: ${facts.target.unit} is not installed: unit checks skipped`);
  }
  const findings = results.flatMap((r) => r.findings);
  for (const f of findings) out(formatFinding(f));
  return findings.length;
}

export async function run(argv: string[], out: Out = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let fix = false;
  let units = false;
  let undoUnits = false;
  const targets: DoctorTarget["name"][] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      out(USAGE.trimEnd());
      return 0;
    } else if (arg === "--fix") fix = true;
    else if (arg === "--units") units = true;
    else if (arg === "--undo-units") undoUnits = true;
    else if (arg === "--target" || arg.startsWith("--target=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (value !== "nut" && value !== "nutguard") {
        process.stderr.write(`nutguard doctor: --target takes nut or nutguard\n${USAGE}`);
        return 2;
      }
      if (!targets.includes(value)) targets.push(value);
    } else {
      process.stderr.write(`nutguard doctor: unknown option '${arg}'\n${USAGE}`);
      return 2;
    }
  }
  if ((units && !fix) || (undoUnits && (fix || units))) {
    process.stderr.write(`nutguard doctor: --units goes with --fix; --undo-units stands alone\n${USAGE}`);
    return 2;
  }
  if (undoUnits) return undoUnitRepair(out);
  if (process.getuid?.() !== 0) {
    out("note: not running as root: upsmon.conf and PID files may be unreadable, and --fix cannot repair");
  }
  if (targets.length === 0) {
    const installed = await installedTargets();
    for (const note of installed.notes) out(`note: ${note}`);
    targets.push(...installed.targets);
  }
  if (targets.length === 0) {
    out(
      "nutguard doctor: neither nut-monitor.service nor nutguard-monitor.service is installed; use --target",
    );
    return 1;
  }
  out(
    `nutguard doctor: checking ${targets.map((t) => (t === "nut" ? "nut-monitor.service" : "nutguard-monitor.service")).join(", ")}`,
  );
  let results = await check(targets);
  let problems = report(results, out);
  let unitFailures = 0;
  if (fix && (problems > 0 || units)) {
    const done = new Set<string>();
    for (const { facts, findings } of results) {
      for (const f of findings) {
        if (!f.safeFix) continue;
        const key = JSON.stringify(f.safeFix);
        if (done.has(key)) continue;
        done.add(key);
        try {
          out(`fixed [${f.id}]: ${await applySafeFix(f.safeFix, facts.accounts)}`);
        } catch (err) {
          out(`could not fix [${f.id}]: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    if (units) unitFailures = await unitRepair(out);
    out("nutguard doctor: checking again");
    results = await check(targets);
    problems = report(results, out);
  }
  const fixable = results.flatMap((r) => r.findings).filter((f) => f.safeFix).length;
  out(
    problems === 0
      ? "nutguard doctor: no problems found"
      : `nutguard doctor: ${problems} problem${problems === 1 ? "" : "s"}` +
          (fixable > 0 && !fix ? ` (${fixable} fixed by 'nutguard doctor --fix')` : ""),
  );
  return problems === 0 && unitFailures === 0 ? 0 : 1;
}

/** --fix --units: the drop-in for NUT's unit; resolves to 1 when it could not be applied. */
async function unitRepair(out: Out): Promise<number> {
  const { applyNutUnitRepair, planForThisHost } = await import("../service/nut-unit-repair-apply.js");
  const plan = await planForThisHost();
  if (!plan.ok) {
    out(`could not repair nut-monitor.service: ${plan.reason}`);
    return 1;
  }
  try {
    for (const line of await applyNutUnitRepair(plan)) out(`fixed [nut-unit]: ${line}`);
    return 0;
  } catch (err) {
    out(`could not repair nut-monitor.service: ${(err as Error).message}`);
    return 1;
  }
}

async function undoUnitRepair(out: Out): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write("nutguard doctor: --undo-units must run as root\n");
    return 1;
  }
  const { undoNutUnitRepair } = await import("../service/nut-unit-repair-apply.js");
  try {
    for (const line of await undoNutUnitRepair()) out(`nutguard doctor: ${line}`);
    return 0;
  } catch (err) {
    out(`nutguard doctor: could not undo the unit repair: ${(err as Error).message}`);
    return 1;
  }
}
