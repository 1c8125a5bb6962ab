/**
 * What the drill's findings need from nutguard.conf and upssched.conf, read with the monitor's own
 * readers (monitor/notify-extensions.ts, notify/, config/thresholds.ts, upssched/): the channels and
 * the events each carries, the battery thresholds, and the built-in upssched's configuration when
 * NOTIFYCMD names upssched. A file the monitor could not use is a DrillConfigError (exit status 2):
 * the monitor would run with that feature off, which is exactly what a drill must not hide.
 */
import { existsSync } from "node:fs";
import { type NutguardConfFile, nutguardConfPathFor } from "../config/nutguard-conf.js";
import { loadNutguardConf } from "../config/nutguard-conf-file.js";
import { type ThresholdSettings, thresholdsFromConf } from "../config/thresholds.js";
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import type { NotifyType } from "../config/upsmon-notify-types.js";
import { notifyCmdIsUpssched, type UpsschedConfig } from "../config/upssched-conf.js";
import { upsschedSettingsFromConf } from "../config/upssched-section.js";
import { channelsFromConf } from "../notify/channel-config.js";
import { resolveChannel } from "../notify/secrets.js";
import { loadUpsschedConf, upsschedConfPathFor } from "../upssched/runner.js";

/** A configuration the drill cannot use (exit status 2). */
export class DrillConfigError extends Error {}

export interface DrillNutguardConf {
  /** The nutguard.conf read (or looked for). */
  path: string;
  present: boolean;
  channels: readonly {
    name: string;
    type: string;
    events: ReadonlySet<NotifyType>;
    /** The channel's `ups =` filter (undefined: every UPS). */
    ups: readonly string[] | undefined;
  }[];
  thresholds: ThresholdSettings;
  /** upssched.conf, when NOTIFYCMD names upssched and the monitor runs its timers itself. */
  upssched: UpsschedConfig | undefined;
  /** nutguard.conf and the files it names that the monitor process reads ([exporter]'s are not). */
  monitorReads: { what: string; path: string }[];
}

/** `*_file` secrets and [http]'s TLS files, named as `[section] key` (the exporter's own are left out). */
function filesTheMonitorReads(conf: NutguardConfFile): { what: string; path: string }[] {
  const out: { what: string; path: string }[] = [{ what: "nutguard.conf", path: conf.file }];
  for (const section of conf.sections) {
    if (section.kind === "exporter") continue;
    for (const e of section.entries) {
      const isFile = e.key.endsWith("_file") || (section.kind === "http" && /^tls_(cert|key)$/.test(e.key));
      if (isFile && e.value !== "") out.push({ what: `[${section.name}] ${e.key}`, path: e.value });
    }
  }
  return out;
}

function attempt<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new DrillConfigError(err instanceof Error ? err.message : String(err));
  }
}

/** nutguard.conf (`explicitPath`, else beside upsmon.conf; a missing default file is fine). */
export function loadDrillNutguardConf(
  upsmonConfPath: string,
  explicitPath: string | undefined,
  config: UpsmonConfig,
): DrillNutguardConf {
  const path = explicitPath ?? nutguardConfPathFor(upsmonConfPath);
  const present = existsSync(path);
  if (!present && explicitPath !== undefined)
    throw new DrillConfigError(`Can't open ${path}: No such file or directory`);
  const conf = present ? attempt(() => loadNutguardConf(path)) : undefined;
  const channels = attempt(() =>
    conf === undefined ? [] : channelsFromConf(conf).map((c) => resolveChannel(c)),
  );
  const thresholds = attempt(() => thresholdsFromConf(conf));
  const builtin = attempt(() => upsschedSettingsFromConf(conf).builtin);
  const upssched =
    builtin && notifyCmdIsUpssched(config.notifyCmd)
      ? attempt(() => loadUpsschedConf(upsschedConfPathFor(upsmonConfPath)))
      : undefined;
  return {
    path,
    present,
    channels: channels.map((c) => ({ name: c.name, type: c.type, events: c.events, ups: c.ups })),
    thresholds,
    upssched,
    monitorReads: conf === undefined ? [] : filesTheMonitorReads(conf),
  };
}
