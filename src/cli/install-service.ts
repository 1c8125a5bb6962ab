/**
 * `nutguard install-service [--type notify|forking|simple] [--root DIR] [--command CMD]`:
 * argv in, service/install.ts, report out.
 */
import {
  EXPORTER_UNIT_NAME,
  installService,
  UNIT_NAME,
  UNIT_TYPES,
  type UnitType,
} from "../service/install.js";

const USAGE = `Usage: nutguard install-service [--type notify|forking|simple] [--root DIR] [--command CMD]

Installs ${UNIT_NAME} (Type=notify unless --type says otherwise) and ${EXPORTER_UNIT_NAME}
(metrics and status page for hosts that only watch UPSes) into /etc/systemd/system,
/etc/tmpfiles.d/nutguard.conf (runtime directory /run/nutguard, root:nut 0770) and
/etc/sysusers.d/nutguard.conf (the nut account), then runs systemd-sysusers, systemd-tmpfiles
and systemctl daemon-reload when systemd is running. It enables and starts neither unit.
On Node 24 and later the monitor's unit starts Node with --jitless (less memory); on an older
Node, and when --command names a Node other than the one running this, with --v8-pool-size=1
instead (one compile thread: the monitor compiles its poll path early on Node 20).

  --type T       unit type: notify (recommended), forking or simple
  --root DIR     install under DIR instead of / (image builds); systemd is left alone
  --command CMD  how the unit runs nutguard (default: this node binary and this installation)
`;

export async function run(argv: string[]): Promise<number> {
  let type: UnitType = "notify";
  let root = "/";
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "-h" || a === "--help") {
        process.stdout.write(USAGE);
        return 0;
      } else if (a === "--type") {
        const t = value();
        if (!(UNIT_TYPES as readonly string[]).includes(t)) throw new Error(`unknown unit type '${t}'`);
        type = t as UnitType;
      } else if (a === "--root") root = value();
      else if (a === "--command") command = value();
      else throw new Error(`unknown option '${a}'`);
    } catch (err) {
      process.stderr.write(`nutguard install-service: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
  }
  if (root === "/" && process.getuid?.() !== 0) {
    process.stderr.write("nutguard install-service: must run as root (or use --root DIR)\n");
    return 1;
  }
  try {
    const report = installService({ type, root, command });
    for (const p of report.written) process.stdout.write(`Wrote ${p}\n`);
    for (const c of report.ran) process.stdout.write(`Ran ${c}\n`);
    for (const w of report.warnings) process.stderr.write(`nutguard install-service: warning: ${w}\n`);
    if (root === "/") {
      process.stdout.write(
        `Installed ${UNIT_NAME} (Type=${type}). Start it with: systemctl enable --now ${UNIT_NAME}\n` +
          `Installed ${EXPORTER_UNIT_NAME} (watch only, no shutdown). Start it with: systemctl enable --now ${EXPORTER_UNIT_NAME}\n`,
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`nutguard install-service: ${(err as Error).message}\n`);
    return 1;
  }
}
