/**
 * Which secrets nutguard.conf holds inline (rather than in a `*_file`), for doctor's permission check.
 * Pure. Secrets: `token`, `password`, `smtp_password` in any section; the webhook URL of a Slack or
 * Discord channel, the topic of an ntfy channel and the URLs of an apprise channel.
 */
import type { NutguardConfFile } from "./nutguard-conf.js";

const ANY_SECTION = ["token", "password", "smtp_password"];
const BY_CHANNEL_TYPE: Record<string, string[]> = {
  slack: ["url"],
  discord: ["url"],
  ntfy: ["topic"],
  apprise: ["urls"],
};

/** `[section] key (line N)` for every secret written inline. */
export function inlineSecrets(conf: NutguardConfFile): string[] {
  const out: string[] = [];
  for (const s of conf.sections) {
    const type =
      s.kind === "channel" ? s.entries.find((e) => e.key === "type")?.value.toLowerCase() : undefined;
    const keys = [...ANY_SECTION, ...(type === undefined ? [] : (BY_CHANNEL_TYPE[type] ?? []))];
    for (const e of s.entries) if (keys.includes(e.key)) out.push(`[${s.name}] ${e.key} (line ${e.line})`);
  }
  return out;
}
