/**
 * What nutguard's own subcommands (not the NUT drop-ins) share: line writers for stdout/stderr and
 * `-h`/`--help` handling.
 */
export type Out = (line: string) => void;

export const stdoutLine: Out = (l) => process.stdout.write(`${l}\n`);
export const stderrLine: Out = (l) => process.stderr.write(`${l}\n`);

/** Prints `usage` and returns true when argv asks for help. */
export function printedHelp(argv: readonly string[], usage: string, out: Out): boolean {
  if (!argv.includes("-h") && !argv.includes("--help")) return false;
  out(usage.trimEnd());
  return true;
}
