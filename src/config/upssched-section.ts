/**
 * nutguard.conf's `[upssched]` section (docs/nutguard-conf.md): `builtin = yes|no` (default yes: when
 * upsmon.conf's NOTIFYCMD names upssched, its timers run inside the monitor). Pure.
 */
import { type NutguardConfFile, sectionsOf } from "./nutguard-conf.js";

export interface UpsschedSettings {
  builtin: boolean;
}

export function upsschedSettingsFromConf(conf: NutguardConfFile | undefined): UpsschedSettings {
  const section = conf === undefined ? undefined : sectionsOf(conf, "upssched")[0];
  if (section === undefined) return { builtin: true };
  section.rejectUnknown(["builtin"]);
  const e = section.one("builtin");
  if (e === undefined) return { builtin: true };
  const v = e.value.toLowerCase();
  if (["yes", "true", "on", "1"].includes(v)) return { builtin: true };
  if (["no", "false", "off", "0"].includes(v)) return { builtin: false };
  throw section.error(e, `builtin must be yes or no, not "${e.value}"`);
}
