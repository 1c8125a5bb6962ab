/**
 * Before `nutguard takeover`: would nutguard's monitor behave like NUT's upsmon on this upsmon.conf?
 * Reads the parser's result (config/upsmon-conf.ts, the same one the monitor uses) and returns the
 * reasons to refuse — each a difference that matters for protecting the host — or none.
 *
 * Differences that do not matter are not reasons: keywords only newer NUT releases know (nutguard
 * follows the newest behaviour), or a MONITOR type word that both read as secondary.
 *
 * Pure: the parse result and a few host facts in, reasons out.
 */
import type { ParseResult } from "../config/upsmon-conf.js";

export interface ConfigHostFacts {
  /** CERTPATH names a directory (an NSS database or a hashed CA directory), not a PEM file. */
  certPathIsDirectory: boolean;
  /** Whether RUN_AS_USER (or the default, nut) is an OS account here. */
  runAsUserExists: boolean;
}

/** Characters that make /bin/sh do more than split words. */
const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~=%{}\n]/;

export function takeoverConfigReasons(parsed: ParseResult, host: ConfigHostFacts): string[] {
  const { config } = parsed;
  const file = config.file;
  const reasons: string[] = [];
  if (parsed.fatal) {
    reasons.push(`${file} cannot be used: ${parsed.fatal}`);
    return reasons;
  }
  for (const m of parsed.messages) {
    // lines nutguard skipped: NUT may read them (a keyword of a release nutguard does not know)
    if (m.level === "err" && /^(Parse error: |.*: invalid directive )/.test(m.message))
      reasons.push(m.message);
    else if (m.level === "warning" && / invalid directive /.test(m.message)) reasons.push(m.message);
  }
  if (config.monitors.length === 0) reasons.push(`${file} has no MONITOR line: there is nothing to monitor`);
  if (config.certPath !== undefined && host.certPathIsDirectory) {
    reasons.push(
      `CERTPATH ${config.certPath} is a directory (NUT's NSS database): nutguard reads a PEM file; export the CA certificate to PEM and point CERTPATH at that file`,
    );
  }
  if (config.certIdent !== undefined) {
    reasons.push(
      `CERTIDENT names a client certificate in NUT's NSS database: nutguard does not present one, so a upsd that requires it would refuse the login`,
    );
  }
  const notify = config.notifyCmd;
  if (
    notify !== undefined &&
    (notify.length > 1 || SHELL_SYNTAX.test(notify[0] ?? "") || /\s/.test(notify[0] ?? ""))
  ) {
    reasons.push(
      `NOTIFYCMD ${notify.join(" ")}: NUT's upsmon runs it through /bin/sh, nutguard runs the program itself with the message as its argument (no shell); put the command line into a script and name the script`,
    );
  }
  if (!host.runAsUserExists) {
    reasons.push(
      `RUN_AS_USER ${config.runAsUser ?? "nut"} is not an OS account: the monitor could not drop its privileges`,
    );
  }
  return reasons;
}
