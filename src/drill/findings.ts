/**
 * The drill's findings (pure): from the configuration, what the real upsd said, the host's facts and
 * the scenario runs, each problem with its fix. Every rule is a function of plain data; ids are
 * stable (scripts match them). No I/O.
 */
import type { Thresholds } from "../config/thresholds.js";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import type { NotifyType } from "../config/upsmon-notify-types.js";
import { THRESHOLD_RULES } from "../monitor/threshold-rules.js";
import type {
  Finding,
  HostFacts,
  ProgramCheck,
  RealUpsProbe,
  ScenarioRun,
  TwinProfile,
} from "./drill-types.js";
import { runtimeAtLowBattery } from "./scenario.js";

export interface FindingInputs {
  config: UpsmonConfig;
  probes: readonly RealUpsProbe[];
  /** Twin profiles by MONITOR system name (the UPSes the drill played). */
  profiles: ReadonlyMap<string, TwinProfile>;
  facts: HostFacts;
  runs: readonly ScenarioRun[];
  /** The names of nutguard.conf's notification channels that carry a type for a UPS (as in MONITOR). */
  channelsFor?: (type: NotifyType, ups: string) => readonly string[];
  /** nutguard.conf's battery thresholds of a UPS (as in MONITOR). */
  thresholdsOf?: (system: string) => Thresholds;
}

type Rule = (i: FindingInputs) => Finding[];

function programFinding(
  check: ProgramCheck | undefined,
  directive: "SHUTDOWNCMD" | "NOTIFYCMD" | "CMDSCRIPT",
  fixUser: string,
): Finding[] {
  if (check?.problem === undefined) return [];
  const lower = directive.toLowerCase() as "shutdowncmd" | "notifycmd" | "cmdscript";
  if (check.problem === "not-found" || check.problem === "unknown-user") {
    return [
      {
        id: `${lower}-not-found`,
        subject: directive,
        message:
          check.problem === "unknown-user"
            ? `the user ${check.user} that runs ${directive} does not exist`
            : `${check.program} was not found${check.program.includes("/") ? "" : " on PATH"}`,
        fix:
          check.problem === "unknown-user"
            ? `create the user ${check.user} or set RUN_AS_USER to an existing one`
            : `give ${directive} the full path of an installed program (check with: command -v ${check.program.split("/").at(-1)})`,
      },
    ];
  }
  return [
    {
      id: `${lower}-not-executable`,
      subject: directive,
      message: `${check.path} is not executable by ${check.user}, the user that runs ${directive}`,
      fix: `chmod +x ${check.path} (and make its directories searchable by ${fixUser}), or point ${directive} at a program ${fixUser} may run`,
    },
  ];
}

const shutdownCmd: Rule = ({ config, facts }) => {
  if (config.shutdownCmd === undefined)
    return [
      {
        id: "shutdowncmd-missing",
        subject: "SHUTDOWNCMD",
        message: "SHUTDOWNCMD is not set: on a power failure the monitor cannot shut this host down",
        fix: 'add SHUTDOWNCMD "/sbin/shutdown -h +0" to upsmon.conf',
      },
    ];
  return programFinding(facts.shutdownCmd, "SHUTDOWNCMD", "root");
};

const notifyCmd: Rule = ({ config, facts }) => {
  const anyExec = Object.values(config.notifyFlags).some((f) => f.exec && !f.ignore);
  if (!anyExec) return [];
  return programFinding(facts.notifyCmd, "NOTIFYCMD", facts.notifyCmd?.user ?? "the monitor's user");
};

/** upssched.conf's CMDSCRIPT, run by the monitor's built-in upssched as RUN_AS_USER. */
const cmdScript: Rule = ({ facts }) =>
  programFinding(facts.cmdScript, "CMDSCRIPT", facts.cmdScript?.user ?? "");

/**
 * nutguard.conf or a `*_file` it names that RUN_AS_USER cannot read: the monitor (which reads them as
 * that user) would run with the channels, thresholds or HTTP surface off, or refuse a secret.
 */
const monitorReads: Rule = ({ facts }) =>
  (facts.monitorReads ?? [])
    .filter((f) => f.problem !== undefined)
    .map((f) => ({
      id: "monitor-cannot-read" as const,
      subject: f.what,
      message:
        f.problem === "unknown-user"
          ? `the user ${f.user} that the monitor runs as does not exist, so it cannot read ${f.path}`
          : f.problem === "not-found"
            ? `${f.path} (${f.what}) does not exist`
            : `${f.path} (${f.what}) is not readable by ${f.user}, the user the monitor reads it as`,
      fix:
        f.problem === "not-found"
          ? `create ${f.path} or correct ${f.what}`
          : `chown root:${f.user} ${f.path} && chmod 0640 ${f.path} (and make its directories searchable by ${f.user})`,
    }));

/** A threshold on battery.charge or battery.runtime of a UPS that does not report that variable. */
const thresholdNeverFires: Rule = ({ profiles, thresholdsOf }) => {
  if (thresholdsOf === undefined) return [];
  const out: Finding[] = [];
  for (const [system, p] of profiles) {
    const t = thresholdsOf(system);
    for (const rule of THRESHOLD_RULES) {
      if (rule.variable === undefined || t[rule.key] === undefined || !p.missing?.includes(rule.variable))
        continue;
      out.push({
        id: "threshold-never-fires",
        subject: system,
        message: `the UPS does not report ${rule.variable}, so the ${rule.key} threshold (${rule.key} = ${t[rule.key]}) in nutguard.conf can never fire`,
        fix: `use a threshold on a variable the UPS reports (upsc ${system} lists them; "onbattery = SECONDS" needs none), or remove ${rule.key} from [thresholds]`,
      });
    }
  }
  return out;
};

const powerDownFlag: Rule = ({ config, facts }) => {
  const d = facts.powerDownFlagDir;
  if (d === undefined || d.exists) return [];
  return [
    {
      id: "powerdownflag-dir-missing",
      subject: "POWERDOWNFLAG",
      message: `${config.powerDownFlag}: its directory ${d.dir} does not exist, so the flag that tells the shutdown scripts to power the UPS off cannot be written`,
      fix: `create ${d.dir} (root-owned), or point POWERDOWNFLAG at an existing directory such as /etc/killpower`,
    },
  ];
};

const reachability: Rule = ({ config, probes }) => {
  const down = probes.filter((p) => p.unreachable !== undefined);
  if (down.length === 0) return [];
  const reachable = probes
    .filter((p) => p.unreachable === undefined)
    .reduce((sum, p) => sum + p.monitor.powerValue, 0);
  const list = down.map((p) => `${p.monitor.system} (${p.unreachable})`).join(", ");
  if (reachable < config.minSupplies)
    return [
      {
        id: "minsupplies-unreachable",
        subject: "MINSUPPLIES",
        message: `MINSUPPLIES ${config.minSupplies} cannot be met: the UPSes that answer give power ${reachable}; not answering: ${list}. The monitor would shut the host down as soon as one of them goes on battery`,
        fix: "start upsd and the driver for those UPSes (or fix the MONITOR host and port), or lower MINSUPPLIES",
      },
    ];
  return down.map((p) => ({
    id: "ups-unreachable" as const,
    subject: p.monitor.system,
    message: `upsd did not answer: ${p.unreachable}; the drill used a plain profile for it`,
    fix: `check the MONITOR line (line ${p.monitor.line}) and that upsd and the UPS's driver run (upsc ${p.monitor.system})`,
  }));
};

const credentials: Rule = ({ probes }) =>
  probes.flatMap((p) =>
    p.credentials.result === "rejected"
      ? [
          {
            id: "credentials-rejected" as const,
            subject: p.monitor.system,
            message: `upsd rejected the MONITOR line's credentials (user ${p.monitor.username}): LOGIN answered ${p.credentials.error}; the monitor could not log in and would not count in NUMLOGINS`,
            fix: `make the password in upsmon.conf line ${p.monitor.line} match upsd.users, and give [${p.monitor.username}] "upsmon ${p.monitor.role}" there`,
          },
        ]
      : [],
  );

const runtime: Rule = ({ config, profiles, facts }) => {
  const out: Finding[] = [];
  const need = config.finalDelaySec + config.hostSyncSec + facts.shutdownTakes.sec;
  for (const [system, p] of profiles) {
    const left = runtimeAtLowBattery(p);
    if (left >= need) continue;
    out.push({
      id: "runtime-too-short",
      subject: system,
      message: `about ${left} s of runtime are left when the UPS reports low battery, but the host needs ${need} s (FINALDELAY ${config.finalDelaySec} + HOSTSYNC ${config.hostSyncSec} + shutdown ${facts.shutdownTakes.sec} s${facts.shutdownTakes.source === "journal" ? " measured from the last boot's journal" : facts.shutdownTakes.source === "default" ? " assumed" : ""})`,
      fix: `raise battery.runtime.low (or battery.charge.low) on the UPS to at least ${need} s of runtime (upsrw), or shorten FINALDELAY/HOSTSYNC`,
    });
  }
  return out;
};

const told: Rule = ({ config, channelsFor }) => {
  const uncovered = new Map<string, string[]>(); // type → the UPSes no channel carries it for
  for (const t of ["ONBATT", "LOWBATT"] as const) {
    const f = config.notifyFlags[t];
    if (!f.ignore && (f.syslog || f.wall || (f.exec && config.notifyCmd !== undefined))) continue;
    const ups = config.monitors.map((m) => m.system).filter((u) => (channelsFor?.(t, u).length ?? 0) === 0);
    if (ups.length > 0) uncovered.set(t, ups);
  }
  if (uncovered.size === 0) return [];
  const silent = [...uncovered.keys()];
  // when channels carry it for some UPSes (their `ups =` filter), name the ones left out
  const some = [...uncovered.values()].some((ups) => ups.length < config.monitors.length);
  const which = some ? ` for ${[...new Set([...uncovered.values()].flat())].join(", ")}` : "";
  return [
    {
      id: "nobody-told",
      subject: silent.join(", "),
      message: `nobody is told about ${silent.join(" or ")}${which}: no NOTIFYFLAG delivers it (SYSLOG, WALL, or EXEC with a NOTIFYCMD) and no channel carries it`,
      fix: `add ${silent.map((t) => `NOTIFYFLAG ${t} SYSLOG+WALL+EXEC`).join(" and ")} with a NOTIFYCMD, or a notification channel in nutguard.conf${some ? " whose ups = filter includes them" : ""}`,
    },
  ];
};

const primaryUnknown: Rule = ({ config, probes, facts }) => {
  if (config.monitors.length === 0 || config.monitors.some((m) => m.role === "primary")) return [];
  const local = new Set(facts.localAddresses);
  return probes.flatMap((p) => {
    if (p.unreachable !== undefined || p.clients === undefined) return [];
    if (p.clients.some((c) => !local.has(c))) return [];
    return [
      {
        id: "primary-unknown" as const,
        subject: p.monitor.system,
        message: `this host is only a secondary, and no other host is logged in to ${p.monitor.upsName} on ${p.monitor.host} (LIST CLIENT): no primary will set FSD, so this host waits HOSTSYNC (${config.hostSyncSec} s) after low battery before shutting down`,
        fix: `run a primary monitor for ${p.monitor.system} on the host the UPS powers (MONITOR ... primary), or make this host the primary`,
      },
    ];
  });
};

const outcomes: Rule = ({ runs }) =>
  runs.flatMap((r): Finding[] => {
    if (r.shutdownExpected && r.shutdownAtSec === undefined)
      return [
        {
          id: "no-shutdown",
          subject: `scenario ${r.scenario}`,
          message:
            "the monitor never asked for SHUTDOWNCMD before the battery ran out: the host would lose power",
          fix: "check MINSUPPLIES and the MONITOR power values (the timeline shows what the monitor decided)",
        },
      ];
    if (!r.shutdownExpected && r.shutdownAtSec !== undefined)
      return [
        {
          id: "shutdown-on-blips",
          subject: `scenario ${r.scenario}`,
          message: "short power blips made the monitor shut the host down",
          fix: "check thresholds (onbattery) and upssched timers for a too-short delay",
        },
      ];
    return [];
  });

/** In the order a reader fixes them: the shutdown itself, then reaching upsd, then timing and people. */
export const FINDING_RULES: readonly Rule[] = [
  shutdownCmd,
  powerDownFlag,
  reachability,
  credentials,
  primaryUnknown,
  runtime,
  outcomes,
  thresholdNeverFires,
  told,
  notifyCmd,
  cmdScript,
  monitorReads,
];

export function findings(inputs: FindingInputs): Finding[] {
  return FINDING_RULES.flatMap((rule) => rule(inputs));
}
