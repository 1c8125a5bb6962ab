/**
 * `nutguard monitor --check`'s part for nutguard.conf and upssched.conf: what the monitor will make of
 * them (notification channels, battery thresholds, built-in upssched), and the mistakes it would log
 * with file:line. Reads the two files; loads no network code (it runs in the root supervisor's CLI).
 */
import { dirname, join } from "node:path";
import { nutguardConfPathFor, parseNutguardConf } from "../config/nutguard-conf.js";
import { thresholdsFor, thresholdsFromConf, unknownThresholdUpses } from "../config/thresholds.js";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import { notifyCmdIsUpssched, parseUpsschedConf } from "../config/upssched-conf.js";
import { upsschedSettingsFromConf } from "../config/upssched-section.js";
import { channelsFromConf } from "../notify/channel-config.js";
import { readOptionalConfigFile } from "../util/config-file-read.js";

export interface NotifyCheck {
  /** What was understood, for stdout. */
  lines: string[];
  /** Mistakes and warnings (file:line), for stderr. */
  problems: string[];
}

export function describeNotifyConfig(upsmonConfPath: string, config: UpsmonConfig): NotifyCheck {
  const lines: string[] = [];
  const problems: string[] = [];
  const path = nutguardConfPathFor(upsmonConfPath);
  const attempt = (what: () => void) => {
    try {
      what();
    } catch (err) {
      problems.push((err as Error).message);
    }
  };
  let conf: ReturnType<typeof parseNutguardConf> | undefined;
  attempt(() => {
    const text = readOptionalConfigFile(path);
    conf = text === undefined ? undefined : parseNutguardConf(text, path);
  });
  lines.push(
    conf === undefined
      ? `nutguard.conf: ${path} (none: no channels, no thresholds)`
      : `nutguard.conf: ${path}`,
  );
  attempt(() => {
    for (const ch of conf === undefined ? [] : channelsFromConf(conf)) {
      const parts = [ch.type, `events ${[...ch.events].join(" ")}`];
      if (ch.ups !== undefined) parts.push(`ups ${ch.ups.join(" ")}`);
      if (ch.delaySec > 0) parts.push(`delay ${ch.delaySec} s`);
      lines.push(`  notification channel [${ch.name}]: ${parts.join(", ")}`);
    }
  });
  attempt(() => {
    const settings = thresholdsFromConf(conf);
    const systems = config.monitors.map((m) => m.system);
    problems.push(...unknownThresholdUpses(settings, systems));
    for (const system of systems) {
      const t = Object.entries(thresholdsFor(settings, system)).map(([k, v]) => `${k} = ${v}`);
      if (t.length > 0) lines.push(`  battery thresholds for ${system}: ${t.join(", ")}`);
    }
  });
  if (notifyCmdIsUpssched(config.notifyCmd)) {
    attempt(() => {
      if (!upsschedSettingsFromConf(conf).builtin) {
        lines.push("  upssched: NOTIFYCMD runs NUT's upssched program ([upssched] builtin = no)");
        return;
      }
      const schedPath = join(dirname(upsmonConfPath), "upssched.conf");
      const text = readOptionalConfigFile(schedPath);
      if (text === undefined)
        throw new Error(`Can't open ${schedPath}: no such file (NOTIFYCMD names upssched)`);
      const sched = parseUpsschedConf(text, schedPath);
      problems.push(...sched.warnings);
      lines.push(
        `  upssched: built in, ${sched.rules.length} AT line(s) of ${schedPath}, CMDSCRIPT ${sched.cmdScript.join(" ")}`,
      );
    });
  }
  return { lines, problems };
}
