/**
 * `nutguard doctor`'s journal rules: the three messages of the classic nut-monitor.service report
 * (NUT #123, #2806), found in the unit's journal since its last start. Each names what it means on
 * this host and the two ways out: `nutguard takeover`, or `nutguard doctor --fix --units` (a drop-in
 * for NUT's own unit, nut-unit-repair.ts).
 *
 * Pure, like doctor-rules.ts: facts in (DoctorFacts.journal, the messages as journald stored them),
 * findings out.
 */
import type { DoctorFacts } from "./doctor-facts.js";
import type { Finding } from "./doctor-rules.js";

type JournalRule = (facts: DoctorFacts) => Omit<Finding, "subject"> | undefined;

const WAYS_OUT =
  "switch to nutguard's monitor ('nutguard takeover'), or keep NUT's with a reversible drop-in ('nutguard doctor --fix --units')";

/** The first message matching `re`, quoted for a finding. */
function firstMatch(journal: string[] | undefined, re: RegExp): string | undefined {
  return journal?.find((m) => re.test(m))?.trim();
}

/**
 * Reported with the stock unit (PIDFile= set: one of the classic three) or when /run/nut is missing;
 * alone, under a unit without PIDFile=, it is only upsmon's harmless probe.
 */
const upsmonFopen: JournalRule = ({ target, journal, runtimeDir, unit }) => {
  if (target.name !== "nut") return undefined;
  if (runtimeDir.exists && unit?.pidFile === "") return undefined;
  const line = firstMatch(journal, /^fopen \S*upsmon\.pid: No such file or directory/);
  if (!line) return undefined;
  return {
    id: "journal-upsmon-fopen",
    severity: "warning",
    message: runtimeDir.exists
      ? `upsmon logged '${line}' at its last start: its probe for a previous instance found no PID file (harmless in itself, but it hides real PID file failures)`
      : `upsmon logged '${line}' at its last start, and ${runtimeDir.path} does not exist: it cannot write its PID file, so 'upsmon -c reload|stop' cannot find it`,
    fix: WAYS_OUT,
  };
};

const pidFileYet: JournalRule = ({ target, journal }) => {
  if (target.name !== "nut") return undefined;
  const line = firstMatch(
    journal,
    /Can't open PID file \S+ \(yet\?\) after start|Failed to parse PID from file \S*upsmon\.pid/,
  );
  if (!line) return undefined;
  return {
    id: "journal-pidfile-yet",
    severity: "warning",
    message: `systemd logged '${line}': with Type=forking it reads PIDFile= before upsmon's child has written it (a race)`,
    fix: WAYS_OUT,
  };
};

const notOurChild: JournalRule = ({ target, journal }) => {
  if (target.name !== "nut") return undefined;
  const line = firstMatch(journal, /Supervising process \d+ which is not our child/);
  if (!line) return undefined;
  return {
    id: "journal-not-our-child",
    severity: "error",
    message: `systemd logged '${line}': PIDFile= names upsmon's unprivileged child, so systemd may record a crash as a clean stop and never restart it`,
    fix: WAYS_OUT,
  };
};

export const JOURNAL_RULES: readonly JournalRule[] = [upsmonFopen, pidFileYet, notOurChild];
