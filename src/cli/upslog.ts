/**
 * `nutguard upslog`: NUT's upslog (HEAD options: -m tuples with `*`, -d, -N, -F/-B). Logs one line
 * per UPS per interval in the format language of src/tools/upslog-format.ts.
 * Thin: argv (src/tools/upslog-options.ts) → background or not → src/tools/upslog-daemon.ts.
 */
import { spawn } from "node:child_process";
import { runAdminTool } from "../tools/admin-tool.js";
import { connectTimeoutMs, guardStdout, versionBanner } from "../tools/tool-support.js";
import { pidFilePath, runUpslog } from "../tools/upslog-daemon.js";
import { parseUpslogArgs, UPSLOG_HELP } from "../tools/upslog-options.js";
import { createStderrLogger } from "../util/log.js";

/** Set in the environment of the background copy started for `-B` (or a file target without -F). */
const BACKGROUND_ENV = "NUTGUARD_UPSLOG_BACKGROUND";

export function run(argv: string[]): Promise<number> {
  return runAdminTool(() => upslog(argv), { ownStdoutGuard: true });
}

async function upslog(argv: string[]): Promise<number> {
  const brokenPipe = new AbortController();
  guardStdout(() => brokenPipe.abort());
  const cmd = parseUpslogArgs(argv);
  const inBackground = process.env[BACKGROUND_ENV] === "1";
  if (cmd.kind === "help") {
    process.stdout.write(UPSLOG_HELP);
    return 0;
  }
  if (cmd.kind === "version") {
    process.stdout.write(versionBanner("upslog"));
    return 0;
  }
  if (cmd.kind === "fail") {
    process.stderr.write(cmd.stderr);
    return 1;
  }
  const log = createStderrLogger({ debugLevel: cmd.debugLevel });
  for (const w of cmd.warnings) log.error(w);
  const quietBanner = process.env.NUT_QUIET_INIT_BANNER;
  if (!inBackground && (quietBanner === undefined || quietBanner === "false")) {
    process.stdout.write(versionBanner("upslog"));
  }
  const toStdout = cmd.targets.some((t) => t.logFile === "-");
  const foreground = cmd.foreground ?? (cmd.debugLevel > 0 || toStdout);
  if (!foreground && !inBackground) {
    for (const t of cmd.targets) {
      process.stdout.write(
        `logging status of ${t.system} to ${t.logFile === "-" ? "stdout" : t.logFile} (${cmd.intervalSec}s intervals)\n`,
      );
    }
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, [BACKGROUND_ENV]: "1" },
    });
    child.unref();
    return 0;
  }
  return runUpslog({
    targets: cmd.targets,
    intervalSec: cmd.intervalSec,
    maxPolls: cmd.maxPolls,
    format: cmd.format,
    connectTimeoutMs: connectTimeoutMs(cmd.connectTimeout, process.env),
    pidFile: pidFilePath(cmd.pidBase, process.env),
    user: cmd.user ?? "nut",
    log,
    announce: !inBackground,
    stop: brokenPipe.signal,
  });
}
