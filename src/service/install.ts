/**
 * `nutguard install-service`: installs nutguard-monitor.service (one of the three unit files in the
 * repo's units/ directory, notify by default) and nutguard-exporter.service (for hosts that only watch)
 * with ExecStart= pointing at this installation, plus
 * /etc/tmpfiles.d/nutguard.conf (runtime directory) and /etc/sysusers.d/nutguard.conf (the nut
 * account), each written to a temp file and renamed. Then, when systemd is running and the target
 * is the live root, runs daemon-reload, systemd-sysusers and systemd-tmpfiles --create.
 * Never enables or starts either unit (that is the administrator's call).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const UNIT_TYPES = ["notify", "forking", "simple"] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

export const UNIT_NAME = "nutguard-monitor.service";
/** `nutguard exporter`'s unit (units/nutguard-exporter.service), installed beside the monitor's. */
export const EXPORTER_UNIT_NAME = "nutguard-exporter.service";
/** The command the repo's unit files name; replaced by the real one when installing. */
export const UNIT_PLACEHOLDER_BIN = "/usr/local/bin/nutguard";

export interface InstallOptions {
  type: UnitType;
  /** Directory standing for "/" (tests, image builds). systemd is only poked when this is "/". */
  root: string;
  /** The command line that runs nutguard (default: this node binary + this installation's main.js). */
  command?: string;
  unitsDir?: string;
  /** Run a command (default: execFileSync, output inherited). */
  run?: (file: string, args: string[]) => void;
  /** Is systemd the running init? (default: /run/systemd/system exists) */
  systemdRunning?: boolean;
}

export interface InstallReport {
  written: string[];
  ran: string[];
  /** Things the administrator should know (printed as warnings). */
  warnings: string[];
}

export function defaultUnitsDir(): string {
  return fileURLToPath(new URL("../../units/", import.meta.url));
}

/** `<node> <entry>` of the running installation (the script this process runs), so the unit runs exactly this nutguard. */
export function defaultCommand(): string {
  const entry = process.argv[1] ?? fileURLToPath(new URL("../cli/main.js", import.meta.url));
  return `${process.execPath} ${realpathSync(entry)}`;
}

/** The first Node major whose V8 runs the monitor `--jitless` without a warning at every start. */
export const JITLESS_MIN_NODE = 24;

const JITLESS_LINE = /^Environment="NODE_OPTIONS=([^"\n]*) --jitless"$/m;
/** What a monitor unit on a Node before JITLESS_MIN_NODE gets instead of `--jitless`. */
const ONE_COMPILE_THREAD = "--v8-pool-size=1";

/**
 * The unit text for `type` with the placeholder binary replaced by `command`, for a unit run by Node
 * `nodeMajor` (default: the one `command` names, see unitNodeMajor). The monitor units start Node
 * `--jitless` (V8's interpreter only: at 100 UPSes on Node 24 about 8 MB less RSS for about the same CPU
 * per round; bench/README.md, "Issue 16, sixth pass"). On a Node before 24, or one this process cannot
 * tell, `--v8-pool-size=1` takes its place: the V8 of Node 20 and of Node 22 (seen with 20.20.2 and
 * 22.23.5) logs "Warning: disabling flag --expose_wasm due to conflicting flags" at every start under
 * `--jitless`, and on Node 20 the monitor compiles its steady poll path early (service/monitor-runtime.ts),
 * which with one compile thread instead of Node's four keeps RSS at 100 UPSes under 60 MB (53.7 against
 * 60.1 MB; bench/README.md, "Issue 16, fifteenth pass").
 */
export function renderUnit(template: string, command: string, nodeMajor = unitNodeMajor(command)): string {
  if (/\s/.test(command.replace(/ /g, "")) || /["'\\$%;]/.test(command)) {
    throw new Error(`Unusable command for ExecStart=: ${JSON.stringify(command)}`);
  }
  const unit = template.split(UNIT_PLACEHOLDER_BIN).join(command);
  return nodeMajor >= JITLESS_MIN_NODE
    ? unit
    : unit.replace(JITLESS_LINE, `Environment="NODE_OPTIONS=$1 ${ONE_COMPILE_THREAD}"`);
}

/**
 * The Node major a unit's `command` runs on: this process's when the command starts with this Node
 * binary (the default command does), else 0 (unknown: `--command` may name another Node, or a launcher).
 */
export function unitNodeMajor(
  command: string,
  running: { execPath: string; version: string } = process,
): number {
  return command.split(" ")[0] === running.execPath ? nodeMajorOf(running.version) : 0;
}

/** 24 for "v24.22.3". */
export function nodeMajorOf(version: string): number {
  return Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
}

function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}

export function installService(opts: InstallOptions): InstallReport {
  const unitsDir = opts.unitsDir ?? defaultUnitsDir();
  const command = opts.command ?? defaultCommand();
  const unit = renderUnit(
    readFileSync(join(unitsDir, `nutguard-monitor.${opts.type}.service`), "utf8"),
    command,
  );
  const files: [string, string][] = [
    [join(opts.root, "etc/systemd/system", UNIT_NAME), unit],
    [
      join(opts.root, "etc/systemd/system", EXPORTER_UNIT_NAME),
      renderUnit(readFileSync(join(unitsDir, EXPORTER_UNIT_NAME), "utf8"), command),
    ],
    [
      join(opts.root, "etc/tmpfiles.d/nutguard.conf"),
      readFileSync(join(unitsDir, "nutguard.tmpfiles.conf"), "utf8"),
    ],
    [
      join(opts.root, "etc/sysusers.d/nutguard.conf"),
      readFileSync(join(unitsDir, "nutguard.sysusers.conf"), "utf8"),
    ],
  ];
  const report: InstallReport = { written: [], ran: [], warnings: [] };
  // the exporter runs as a dynamic user with ProtectHome=yes: it cannot run a nutguard kept in a home
  if (/(^|\s)\/(home|root)\//.test(command)) {
    report.warnings.push(
      `${EXPORTER_UNIT_NAME} cannot run ${command}: it runs as a dynamic user that does not see /home or /root (ProtectHome=yes); install nutguard elsewhere (e.g. npm install -g) to use it`,
    );
  }
  // the .deb's units live in /usr/lib/systemd/system: copies in /etc/systemd/system override them for good
  const packaged = join(opts.root, "usr/lib/systemd/system", UNIT_NAME);
  if (existsSync(packaged)) {
    report.warnings.push(
      `the nutguard package's units are installed (${packaged}): the units written to /etc/systemd/system now override them, and package upgrades no longer change what runs; remove ${join("/etc/systemd/system", UNIT_NAME)} and ${join("/etc/systemd/system", EXPORTER_UNIT_NAME)} to go back to the package's`,
    );
  }
  for (const [path, content] of files) {
    writeAtomic(path, content);
    report.written.push(path);
  }
  const live = opts.root === "/" && (opts.systemdRunning ?? existsSync("/run/systemd/system"));
  if (live) {
    const run = opts.run ?? ((file, args) => execFileSync(file, args, { stdio: "inherit" }));
    const steps: [string, string[]][] = [
      ["systemd-sysusers", ["/etc/sysusers.d/nutguard.conf"]],
      ["systemd-tmpfiles", ["--create", "/etc/tmpfiles.d/nutguard.conf"]],
      ["systemctl", ["daemon-reload"]],
    ];
    for (const [file, args] of steps) {
      run(file, args);
      report.ran.push([file, ...args].join(" "));
    }
  }
  return report;
}
