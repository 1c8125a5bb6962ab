/**
 * `nutguard exporter`: watch UPSes on upsd servers and serve the HTTP surface (metrics, JSON API, event
 * stream, status page), unprivileged and with no shutdown logic. Thin: settings from argv and
 * nutguard.conf, then the poller (exporter/poller.ts) and the surface (http/setup.ts).
 */
import { sectionsOf } from "../config/nutguard-conf.js";
import { loadNutguardConf } from "../config/nutguard-conf-file.js";
import { exporterFromSection } from "../exporter/exporter-conf.js";
import { ExporterPoller } from "../exporter/poller.js";
import { historyFromSection } from "../history/history-conf.js";
import { checkExposure, DEFAULT_HTTP_PORT, parseListen } from "../http/http-conf.js";
import { readSecret } from "../http/secrets.js";
import type { HttpSurface } from "../http/server.js";
import { defaultNutguardConfPath, httpSettingsFor, parseHttpFlags } from "../http/settings.js";
import { reconfigureSurface, startSurfaceFrom } from "../http/setup.js";
import { createStderrLogger, type Logger } from "../util/log.js";
import { NUTGUARD_VERSION } from "../util/version.js";
import { EXPORTER_USAGE, parseExporterArgs } from "./exporter-args.js";

export async function run(argv: string[]): Promise<number> {
  const args = parseExporterArgs(argv);
  if ("error" in args) {
    process.stderr.write(`nutguard exporter: ${args.error}\n\n${EXPORTER_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(EXPORTER_USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`nutguard exporter ${NUTGUARD_VERSION}\n`);
    return 0;
  }
  const log = createStderrLogger({ debugLevel: args.debugLevel });
  const env = process.env;
  let settings: Awaited<ReturnType<typeof prepare>>;
  try {
    settings = prepare(args, env);
  } catch (err) {
    process.stderr.write(`nutguard exporter: ${(err as Error).message}\n`);
    return 1;
  }
  const { conf, exporter, http, password } = settings;
  if (args.check) {
    process.stdout.write(describe(settings, env));
    const refusal = checkExposure(http);
    if (refusal) process.stderr.write(`nutguard exporter: ${refusal}\n`);
    return refusal ? 1 : 0;
  }
  process.title = "nutguard-exporter";
  const poller = new ExporterPoller({
    targets: exporter.targets,
    intervalSec: exporter.intervalSec,
    username: exporter.username,
    password,
    log,
    configPath: conf.file,
  });
  let surface: Awaited<ReturnType<typeof startSurfaceFrom>>;
  try {
    surface = await startSurfaceFrom({ conf, http, view: poller, log, env });
  } catch (err) {
    process.stderr.write(`nutguard exporter: ${(err as Error).message}\n`);
    await poller.stop();
    return 1;
  }
  const stopped = new Promise<void>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => resolve());
  });
  // SIGHUP (systemctl reload): read nutguard.conf again; a mistake keeps the previous settings
  let current = settings;
  let reloading: Promise<void> = Promise.resolve();
  process.on("SIGHUP", () => {
    reloading = reloading.then(async () => {
      try {
        current = await reloadExporter(current, prepare(args, env), poller, surface.surface, log);
      } catch (err) {
        log.error(`reload: ${(err as Error).message} (keeping the previous settings)`);
      }
    });
  });
  log.notice(
    `nutguard exporter ${NUTGUARD_VERSION}: watching ${exporter.targets.map((t) => t.text).join(", ")} every ${exporter.intervalSec} s`,
  );
  void poller.start();
  await stopped;
  await reloading;
  await surface.surface.close();
  await poller.stop();
  await surface.history.flush();
  return 0;
}

/** Apply a reloaded nutguard.conf: the poller's targets and interval, then [http]. Throws naming what is wrong. */
async function reloadExporter(
  before: ReturnType<typeof prepare>,
  next: ReturnType<typeof prepare>,
  poller: ExporterPoller,
  surface: HttpSurface,
  log: Logger,
): Promise<ReturnType<typeof prepare>> {
  // the HTTP settings first: a refused one (exposure, secrets, a bind) leaves everything as it was
  const httpChanged = await reconfigureSurface(surface, next.conf, next.http);
  const e = next.exporter;
  const b = before.exporter;
  const pollerChanged =
    e.intervalSec !== b.intervalSec ||
    e.username !== b.username ||
    next.password !== before.password ||
    e.targets.map((t) => t.text).join(" ") !== b.targets.map((t) => t.text).join(" ");
  if (pollerChanged) {
    await poller.reconfigure({
      targets: e.targets,
      intervalSec: e.intervalSec,
      username: e.username,
      password: next.password,
    });
  }
  log.notice(
    `reloaded ${next.conf.file}: ${pollerChanged ? `watching ${e.targets.map((t) => t.text).join(", ")} every ${e.intervalSec} s` : "targets unchanged"}; ${httpChanged ? "HTTP settings applied" : "HTTP unchanged"}`,
  );
  return next;
}

function prepare(
  args: Exclude<ReturnType<typeof parseExporterArgs>, { error: string }>,
  env: NodeJS.ProcessEnv,
) {
  const conf = loadNutguardConf(args.confFile ?? defaultNutguardConfPath(env));
  const exporter = exporterFromSection(sectionsOf(conf, "exporter")[0]);
  if (args.targets.length > 0) exporter.targets = args.targets;
  if (args.intervalSec !== undefined) exporter.intervalSec = args.intervalSec;
  if (exporter.targets.length === 0) {
    throw new Error(
      `no UPS to watch: give ups@host[:port] or *@host[:port], or "target" in [exporter] of ${conf.file}`,
    );
  }
  const http = httpSettingsFor(conf, parseHttpFlags(args.http));
  if (http.listen.length === 0) {
    const l = parseListen(`127.0.0.1:${DEFAULT_HTTP_PORT}`);
    if (!("error" in l)) http.listen.push(l);
  }
  const password = readSecret(exporter.password, conf.file, "password");
  return { conf, exporter, http, password };
}

function describe(s: ReturnType<typeof prepare>, env: NodeJS.ProcessEnv): string {
  const h = s.http;
  const auth = h.token ? "bearer token" : h.user ? `user ${h.user} and password` : "none";
  const hist = historyFromSection(sectionsOf(s.conf, "history")[0], env);
  return [
    `nutguard.conf: ${s.conf.file}${s.conf.sections.length === 0 ? " (absent or empty: defaults)" : ""}`,
    `targets: ${s.exporter.targets.map((t) => t.text).join(" ")}`,
    `interval: ${s.exporter.intervalSec} s`,
    `listen: ${h.listen.map((l) => l.text).join(" ")}${h.tlsCert ? " (TLS)" : ""}`,
    `authentication: ${auth}`,
    `history: ${hist.dir} (${hist.hours} h)`,
    "",
  ].join("\n");
}
