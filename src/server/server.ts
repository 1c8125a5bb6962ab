/**
 * `nutguard server` as a library: reads upsd.conf, ups.conf (dummy-ups sections only) and
 * upsd.users from a config directory, builds one simulation per UPS, and serves them with the
 * listener. This is the I/O shell of the simulations: it reads their data files, watches them for
 * changes (mtime, once a second) and advances them on a short timer. Reload re-reads everything.
 *
 * It must not contain protocol rules (session.ts) or dummy-ups rules (simulation.ts).
 */
import { randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { type Descriptions, parseCmdvartab } from "../config/cmdvartab.js";
import { ConfigError } from "../config/reader.js";
import { parseUpsConf } from "../config/ups-conf.js";
import { type ListenAddress, NUT_DEFAULT_PORT, parseUpsdConf, type UpsdConf } from "../config/upsd-conf.js";
import { parseUpsdUsers } from "../config/upsd-users.js";
import { type Clock, realClock, repeatEvery } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { NutListener } from "./listener.js";
import { ServerModel, type UpsEntry } from "./model.js";
import { DummyUpsSimulation, type SimulationMode } from "./simulation.js";

export interface StartServerOptions {
  /** Directory with upsd.conf, ups.conf, upsd.users (NUT_CONFPATH). */
  confPath: string;
  log: Logger;
  /** Listen here instead of upsd.conf's LISTEN lines (port 0: any free port). */
  listen?: ListenAddress[];
  idleTimeoutMs?: number;
  /** How often simulations advance (default 100 ms). */
  tickMs?: number;
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

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readRequired(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(
      `Can't open ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (err as Error).message}`,
    );
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
    const text = file ? readOptional(file) : undefined;
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

interface LoadedConfig {
  upsd: UpsdConf;
  users: ReturnType<typeof parseUpsdUsers>;
  ups: { name: string; desc: string | undefined; port: string; file: string; mode: SimulationMode }[];
}

function loadConfig(confPath: string, log: Logger): LoadedConfig {
  const upsdFile = resolve(confPath, "upsd.conf");
  const upsdText = readOptional(upsdFile);
  if (upsdText === undefined) log.warning(`${upsdFile} not found: using defaults`);
  const upsd = parseUpsdConf(upsdText ?? "", upsdFile);
  for (const w of upsd.warnings) log.warning(w);

  const usersFile = resolve(confPath, "upsd.users");
  const usersText = readOptional(usersFile);
  if (usersText === undefined) log.warning(`${usersFile} not found: no user may log in or change anything`);
  const users = parseUpsdUsers(usersText ?? "", usersFile);

  const upsFile = resolve(confPath, "ups.conf");
  const upsConf = parseUpsConf(readRequired(upsFile), upsFile);
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
    });
  }
  if (ups.length === 0) log.warning(`${upsFile} defines no UPS`);
  return { upsd, users, ups };
}

function tlsContext(upsd: UpsdConf, confPath: string): SecureContext | undefined {
  if (!upsd.certFile) return undefined;
  const file = resolve(confPath, upsd.certFile);
  const pem = readRequired(file);
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
      if (old && old.file === u.file && old.entry.sim.mode === u.mode) {
        old.entry.desc = u.desc;
        return old;
      }
      const sim = new DummyUpsSimulation({ port: u.port, mode: u.mode, fileLabel: u.file });
      sim.loadFile(readOptional(u.file), now);
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
      w.entry.sim.fileChanged(readOptional(w.file), now);
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
