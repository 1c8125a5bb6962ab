/**
 * `nutguard` dispatch: the help text and the subcommand table lookup, without side effects, so both
 * entry points use it: src/cli/main.ts (the bundle, dist/cli/nutguard.cjs) and
 * src/cli/nutguard-snapshot.ts (the V8 start-up snapshot /usr/bin/nutguard starts from in the .deb).
 */
import { NUTGUARD_VERSION } from "../util/version.js";
import { SUBCOMMANDS } from "./commands.js";

function usage(): string {
  const width = Math.max(8, ...SUBCOMMANDS.map((c) => c.name.length));
  const lines = SUBCOMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: nutguard <command> [options]",
    "",
    "nutguard: NUT-compatible UPS monitoring and power-fail shutdown.",
    "",
    "Commands:",
    ...(lines.length > 0 ? lines : ["  (none yet)"]),
    "",
    "Options:",
    "  -h, --help     show this help",
    "  -V, --version  show the version",
    "",
    "Run 'nutguard <command> -h' for a command's own options.",
  ].join("\n");
}

export async function main(argv: string[], invokedAs: string): Promise<number> {
  const asTool = SUBCOMMANDS.find((c) => c.name === invokedAs);
  if (asTool) return (await asTool.load()).run(argv);

  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(usage() + "\n");
    return name === undefined ? 1 : 0;
  }
  if (name === "-V" || name === "--version") {
    process.stdout.write(`nutguard ${NUTGUARD_VERSION}\n`);
    return 0;
  }
  const command = SUBCOMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`nutguard: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  return (await command.load()).run(rest);
}
