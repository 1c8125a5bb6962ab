/**
 * `nutguard exporter` argv → options. Pure: no I/O.
 */
import { type ExporterTarget, parseInterval, parseTarget } from "../exporter/exporter-conf.js";

export interface ExporterArgs {
  targets: ExporterTarget[];
  /** `--http ADDR:PORT` values, as written (repeatable). */
  http: string[];
  /** `-C FILE`: nutguard.conf. */
  confFile: string | undefined;
  intervalSec: number | undefined;
  debugLevel: number;
  check: boolean;
  help: boolean;
  version: boolean;
}

export const EXPORTER_USAGE = `usage: nutguard exporter [OPTIONS] [TARGET...]

Watches UPSes on upsd servers and serves Prometheus metrics, a JSON API, a live event stream and a
status page. No shutdown logic: use 'nutguard monitor' for that.

  TARGET            ups@host[:port], or *@host[:port] for every UPS the server has
                    (default: "target" lines of [exporter] in nutguard.conf)
  --http ADDR:PORT  listen here (repeatable; default: [http] listen, else 127.0.0.1:9399)
  -C <file>         nutguard.conf (default: $NUT_CONFPATH/nutguard.conf or /etc/nut/nutguard.conf)
  -i <secs>         poll interval (default: [exporter] interval, else 5)
  -D                raise debugging level
  --check           print the settings as understood and exit
  -h                display this help
  -V                display the version
`;

export function parseExporterArgs(argv: readonly string[]): ExporterArgs | { error: string } {
  const a: ExporterArgs = {
    targets: [],
    http: [],
    confFile: undefined,
    intervalSec: undefined,
    debugLevel: 0,
    check: false,
    help: false,
    version: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (arg === "--http" || arg.startsWith("--http=")) {
      const v = arg.startsWith("--http=") ? arg.slice(7) : value();
      if (v === undefined) return { error: "option '--http' requires an argument ADDR:PORT" };
      a.http.push(v);
    } else if (arg === "--check") a.check = true;
    else if (arg === "-h" || arg === "--help") a.help = true;
    else if (arg === "-V" || arg === "--version") a.version = true;
    else if (/^-D+$/.test(arg)) a.debugLevel += arg.length - 1;
    else if (arg === "-C" || arg === "-i") {
      const v = value();
      if (v === undefined) return { error: `option requires an argument -- '${arg.slice(1)}'` };
      if (arg === "-C") a.confFile = v;
      else {
        const n = parseInterval(v);
        if (typeof n !== "number") return { error: `-i: ${n.error}` };
        a.intervalSec = n;
      }
    } else if (arg.startsWith("-")) return { error: `unknown option '${arg}'` };
    else {
      const t = parseTarget(arg);
      if ("error" in t) return { error: t.error };
      a.targets.push(t);
    }
  }
  return a;
}
