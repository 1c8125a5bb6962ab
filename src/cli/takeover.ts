/**
 * `nutguard takeover [--undo] [--timeout SEC]`: switch this host's monitoring from NUT's upsmon
 * (nut-monitor.service) to nutguard's monitor on the same upsmon.conf, or back.
 * Thin: argv → service/takeover.ts → stdout and the exit code.
 */
const USAGE = `Usage: nutguard takeover [--timeout SEC]
       nutguard takeover --undo [--timeout SEC]

Checks /etc/nut/upsmon.conf with nutguard's parser (and refuses, with the reasons, where nutguard
would behave differently from NUT's upsmon), records how nut-monitor.service is set up in
/var/lib/nutguard/takeover.json, installs nutguard-monitor.service if needed, enables and starts it,
waits until it is ready and logged in to every UPS, and only then stops, disables and masks
nut-monitor.service. NUT's upsd and drivers keep running. Safe to run again.

  --undo         give the host back to NUT's monitor as it was: unmask nut-monitor.service, enable
                 it if it was enabled, start it if it was running, then stop and disable
                 nutguard-monitor.service
  --timeout SEC  how long to wait for a monitor to be ready (default 60)
  -h, --help     show this help
`;

export async function run(argv: string[]): Promise<number> {
  let undo = false;
  let timeoutSec = 60;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE);
      return 0;
    }
    if (a === "--undo") undo = true;
    else if (a === "--timeout" && /^\d+$/.test(argv[i + 1] ?? "") && Number(argv[i + 1]) > 0) {
      timeoutSec = Number(argv[++i]);
    } else {
      process.stderr.write(
        `nutguard takeover: ${a === "--timeout" ? "--timeout needs a number of seconds" : `unknown option '${a}'`}\n\n${USAGE}`,
      );
      return 2;
    }
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("nutguard takeover: must run as root\n");
    return 1;
  }
  const { runTakeover } = await import("../service/takeover.js");
  return runTakeover({ undo, timeoutMs: timeoutSec * 1000, out: (l) => process.stdout.write(`${l}\n`) });
}
