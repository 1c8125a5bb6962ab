/**
 * `nutguard server` as a library: reads upsd.conf, ups.conf (dummy-ups sections only) and
 * upsd.users from a config directory, builds one simulation per UPS, and serves them with the
 * listener. This is the I/O shell of the simulations: it reads their data files, watches them for
 * changes (mtime, once a second) and advances them on a short timer. Reload re-reads everything.
 *
 * It must not contain protocol rules (session.ts) or dummy-ups rules (simulation.ts).
 */
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { type Descriptions, parseCmdvartab } from "../config/cmdvartab.js";
import { ConfigError } from "../config/reader.js";
import { parseUpsConf } from "../config/ups-conf.js";
import { type ListenAddress, NUT_DEFAULT_PORT, parseUpsdConf, type UpsdConf } from "../config/upsd-conf.js";
import { parseUpsdUsers } from "../config/upsd-users.js";
import { type Clock, realClock, repeatEvery } from "../util/clock.js";
import { ConfigFileError, readConfigFile, readOptionalConfigFile } from "../util/config-file-read.js";
import type { Logger } from "../util/log.js";
import { NutListener } from "./listener.js";
import { ServerModel, type UpsEntry } from "./model.js";
import { type DataFileRead, DummyUpsSimulation, type SimulationMode } from "./simulation.js";

export interface StartServerOptions {
  /** Directory with upsd.conf, ups.conf, upsd.users (NUT_CONFPATH). */
  confPath: string;
  log: Logger;
  /** Listen here instead of upsd.conf's LISTEN lines (port 0: any free port). */
  listen?: ListenAddress[];
  idleTimeoutMs?: number;
  /** How often simulations advance (default 100 ms). */
  tickMs?: number;
  /** Bound on memory held for all clients together (default 32 MiB; see listener.ts). */
  maxHeldBytes?: number;
  /** cmdvartab location (default: $NUT_DATAPATH/cmdvartab, then /usr/share/nut/cmdvartab). */
  cmdvartabPath?: string;
  /** Time for the simulations, tracking and idle clients (default: the real clock). */
  clock?: Clock;
}

export interface RunningServer {
  /** The addresses bound, with real port numbers. */
  addresses: ListenAddress[];
  model: ServerModel;
  /** Reply bytes written but not yet taken by clients (the listener's output buffers). */
  readonly unsentOutputBytes: number;
  /** Re-read the config files (SIGHUP). Errors are thrown and the old config stays in force. */
  reload(): void;
  close(): Promise<void>;
}

interface WatchedSim {
  entry: UpsEntry;
  file: string;
  mtimeMs: number | undefined;
}

/** A dummy-ups data file's text, or why it cannot be used (missing, not a regular file, too large). */
function readDataFile(file: string): DataFileRead {
  try {
    return readConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigFileError) return { error: err.message };
    throw err;
  }
}

function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function loadDescriptions(explicit: string | undefined): Descriptions | undefined {
  const candidates = explicit
    ? [explicit]
    : [process.env.NUT_DATAPATH ? `${process.env.NUT_DATAPATH}/cmdvartab` : "", "/usr/share/nut/cmdvartab"];
  for (const file of candidates) {
    const text = file ? readOptionalConfigFile(file) : undefined;
    if (text !== undefined) return parseCmdvartab(text, file);
  }
  return undefined;
}

function modeFor(port: string, explicit: string | undefined, file: string, line: number): SimulationMode {
  if (explicit !== undefined) {
    if (explicit === "dummy-once") return "dummy-once";
    if (explicit === "dummy-loop" || explicit === "dummy") return "dummy-loop";
    throw new ConfigError(
      file,
      line,
      `mode "${explicit}" is not supported by nutguard server (dummy-once, dummy-loop)`,
    );
  }
  return port.endsWith(".dev") ? "dummy-once" : "dummy-loop";
}

/**
 * nutguard's own ups.conf key (real dummy-ups would refuse it): `nutguard_instcmds = yes` lists
 * load.off, load.on, test.battery.start and test.battery.stop and makes them change ups.status
 * (OFF, CAL), tracked as SUCCESS. Without it the UPS has dummy-ups's load.off only, which does
 * nothing and is tracked as ERR UNKNOWN, as with upsd + dummy-ups. `nutguard demo` turns it on.
 */
export const NUTGUARD_INSTCMDS_KEY = "nutguard_instcmds";

function commandEffectsFor(
  setting: { value: string; line: number } | undefined,
  file: string,
  ups: string,
): boolean {
  if (setting === undefined) return false;
  const v = setting.value.toLowerCase();
  if (v === "yes" || v === "true" || v === "on") return true;
  if (v === "no" || v === "false" || v === "off") return false;
  throw new ConfigError(
    file,
    setting.line,
    `UPS [${ups}]: ${NUTGUARD_INSTCMDS_KEY} must be yes or no, not "${setting.value}"`,
  );
}

interface LoadedConfig {
  upsd: UpsdConf;
  users: ReturnType<typeof parseUpsdUsers>;
  ups: {
    name: string;
    desc: string | undefined;
    port: string;
    file: string;
    mode: SimulationMode;
    commandEffects: boolean;
  }[];
}

function loadConfig(confPath: string, log: Logger): LoadedConfig {
  const upsdFile = resolve(confPath, "upsd.conf");
  // only a file that does not exist means the defaults: unreadable, a directory, a loop... is fatal
  const upsdText = readOptionalConfigFile(upsdFile);
  if (upsdText === undefined) log.warning(`${upsdFile} not found: using defaults`);
  const upsd = parseUpsdConf(upsdText ?? "", upsdFile);
  for (const w of upsd.warnings) log.warning(w);

  const usersFile = resolve(confPath, "upsd.users");
  const usersText = readOptionalConfigFile(usersFile);
  if (usersText === undefined) log.warning(`${usersFile} not found: no user may log in or change anything`);
  const users = parseUpsdUsers(usersText ?? "", usersFile);

  const upsFile = resolve(confPath, "ups.conf");
  const upsConf = parseUpsConf(readConfigFile(upsFile), upsFile);
  const ups: LoadedConfig["ups"] = [];
  for (const section of upsConf.sections) {
    const driver = section.settings.get("driver");
    if (!driver) throw new ConfigError(upsFile, section.line, `UPS [${section.name}] has no driver`);
    if (driver.value !== "dummy-ups") {
      throw new ConfigError(
        upsFile,
        driver.line,
        `UPS [${section.name}]: driver "${driver.value}" is not supported by nutguard server (only dummy-ups with a .dev or .seq file)`,
      );
    }
    const port = section.settings.get("port");
    if (!port || port.value === "")
      throw new ConfigError(upsFile, section.line, `UPS [${section.name}] has no port`);
    if (port.value.includes("@")) {
      throw new ConfigError(
        upsFile,
        port.line,
        `UPS [${section.name}]: dummy-ups repeater mode is not supported by nutguard server`,
      );
    }
    const file = isAbsolute(port.value)
      ? port.value
      : port.value.startsWith(".")
        ? resolve(port.value)
        : resolve(confPath, port.value);
    const modeSetting = section.settings.get("mode");
    ups.push({
      name: section.name,
      desc: section.settings.get("desc")?.value,
      port: port.value,
      file,
      mode: modeFor(port.value, modeSetting?.value, upsFile, modeSetting?.line ?? section.line),
      commandEffects: commandEffectsFor(section.settings.get(NUTGUARD_INSTCMDS_KEY), upsFile, section.name),
    });
  }
  if (ups.length === 0) log.warning(`${upsFile} defines no UPS`);
  return { upsd, users, ups };
}

function tlsContext(upsd: UpsdConf, confPath: string): SecureContext | undefined {
  if (!upsd.certFile) return undefined;
  const file = resolve(confPath, upsd.certFile);
  const pem = readConfigFile(file);
  try {
    return createSecureContext({ cert: pem, key: pem, minVersion: "TLSv1.2" });
  } catch (err) {
    throw new Error(`CERTFILE ${file}: ${(err as Error).message}`);
  }
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { confPath, log } = options;
  const clock = options.clock ?? realClock;
  let config = loadConfig(confPath, log);
  const tls = tlsContext(config.upsd, confPath);
  const model = new ServerModel({
    users: config.users,
    descriptions: loadDescriptions(options.cmdvartabPath),
    tlsConfigured: tls !== undefined,
    trackingDelayMs: config.upsd.trackingDelaySec * 1000,
    newTrackingId: () => randomUUID().toUpperCase(),
  });
  let watched: WatchedSim[] = [];

  // A UPS whose ups.conf entry keeps its name, file and mode keeps its entry object, so its
  // simulation state and FSD latch survive a reload; any other UPS starts afresh.
  const applyUps = () => {
    const now = clock.now();
    const previous = new Map(watched.map((w) => [w.entry.name.toLowerCase(), w]));
    watched = config.ups.map((u) => {
      const old = previous.get(u.name.toLowerCase());
      if (
        old &&
        old.file === u.file &&
        old.entry.sim.mode === u.mode &&
        old.entry.sim.commandEffects === u.commandEffects
      ) {
        old.entry.desc = u.desc;
        return old;
      }
      const sim = new DummyUpsSimulation({
        port: u.port,
        mode: u.mode,
        fileLabel: u.file,
        commandEffects: u.commandEffects,
      });
      sim.loadFile(readDataFile(u.file), now);
      if (!sim.connected) log.error(`dummy-ups [${u.name}]: ${sim.failureReason}`);
      return {
        entry: { name: u.name, desc: u.desc, sim, fsd: false },
        file: u.file,
        mtimeMs: mtimeOf(u.file),
      };
    });
    model.setUps(watched.map((w) => w.entry));
  };
  applyUps();

  const listener = new NutListener({
    model,
    addresses:
      options.listen ??
      (config.upsd.listen.length > 0 ? config.upsd.listen : [{ host: "127.0.0.1", port: NUT_DEFAULT_PORT }]),
    maxConn: config.upsd.maxConn,
    log,
    tls,
    idleTimeoutMs: options.idleTimeoutMs,
    clock,
    maxHeldBytes: options.maxHeldBytes,
  });
  const addresses = await listener.start();

  const tick = repeatEvery(clock, options.tickMs ?? 100, () => {
    const now = clock.now();
    for (const w of watched) w.entry.sim.update(now);
  });
  const watch = repeatEvery(clock, 1000, () => {
    const now = clock.now();
    for (const w of watched) {
      const m = mtimeOf(w.file);
      if (m === w.mtimeMs) continue;
      w.mtimeMs = m;
      const wasConnected = w.entry.sim.connected;
      w.entry.sim.fileChanged(readDataFile(w.file), now);
      if (!w.entry.sim.connected) log.error(`dummy-ups [${w.entry.name}]: ${w.entry.sim.failureReason}`);
      else if (!wasConnected) log.notice(`dummy-ups [${w.entry.name}]: data file read`);
    }
    model.expireTracking(now);
  });

  return {
    addresses,
    model,
    get unsentOutputBytes() {
      return listener.unsentOutputBytes;
    },
    reload() {
      const next = loadConfig(confPath, log);
      config = next;
      model.users = next.users;
      applyUps();
      log.notice("configuration reloaded");
    },
    async close() {
      tick.cancel();
      watch.cancel();
      await listener.close();
    },
  };
}
