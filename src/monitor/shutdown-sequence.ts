/**
 * upsmon's forced-shutdown choreography (forceshutdown(), doshutdown()): FSD on the primary UPSes,
 * wait on NUMLOGINS for the secondaries to log out (HOSTSYNC), SHUTDOWN, FINALDELAY, the host's
 * privileged shutdown, then SHUTDOWNEXIT. Each phase is published as a `shutdown` event.
 *
 * The daemon runs it; it does I/O only through the links, the host and the clock it is given.
 */
import type { UpsmonConfig } from "../config/upsmon-conf.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { EngineOutput, Notification } from "./engine-types.js";
import type { ShutdownPhase } from "./events.js";
import type { UpsLink } from "./ups-link.js";

const NUMLOGINS_POLL_MS = 250;

/** What the sequence needs from the daemon. */
export interface ShutdownContext {
  readonly config: UpsmonConfig;
  readonly links: readonly UpsLink[];
  readonly log: Logger;
  readonly clock: Clock;
  readonly cause: "critical" | "user";
  /** Publish a phase (and record it for snapshots). */
  phase(phase: Exclude<ShutdownPhase, "none">, detail?: { logins?: number; finalDelaySec?: number }): void;
  /** The engine's answer to a confirmed FSD (the FSD notification, once). */
  fsdConfirmed(system: string): EngineOutput;
  deliver(out: EngineOutput): void;
  notify(n: Notification): void;
  heartbeat(): void;
  requestShutdown(): Promise<void>;
  /** Sleep that stop() cuts short (SHUTDOWNEXIT's wait). */
  sleep(ms: number): Promise<void>;
  stopping(): boolean;
}

/** upsmon's forceshutdown(): FSD on primary UPSes, wait for secondaries, then doshutdown(). */
export async function forcedShutdown(c: ShutdownContext): Promise<void> {
  c.log.debug("Shutting down any UPSes in PRIMARY mode...", 1);
  const primaries = c.links.filter((l) => l.entry.role === "primary");
  for (const l of primaries) {
    if (await c.clock.during(l.setFsd())) c.deliver(c.fsdConfirmed(l.entry.system));
  }
  if (primaries.length === 0) {
    c.log.debug("This system is not a primary for any device, shutting down now...", 1);
  } else {
    c.phase("fsd-set");
    c.log.debug(
      `This system is a primary for some device(s); waiting (up to HOSTSYNC=${c.config.hostSyncSec} seconds) for secondaries to logout...`,
      1,
    );
    await syncSecondaries(c, primaries);
  }
  await doShutdown(c);
}

/** Poll GET NUMLOGINS every 250 ms until only we are logged in, or HOSTSYNC expires. */
async function syncSecondaries(c: ShutdownContext, primaries: UpsLink[]): Promise<void> {
  const startMs = c.clock.now();
  let lastLogins: number | undefined;
  for (let round = 1; ; round++) {
    const counts = await c.clock.during(Promise.all(primaries.map((l) => l.numLogins())));
    const maxLogins = Math.max(0, ...counts.map((n) => n ?? 0));
    c.heartbeat();
    c.log.debug(`Max data server logins per UPS still active: ${maxLogins}`, 3);
    if (maxLogins <= 1) return;
    if (c.clock.now() - startMs > c.config.hostSyncSec * 1000) {
      c.log.info("Host sync timer expired, forcing shutdown");
      return;
    }
    if (maxLogins !== lastLogins) c.phase("waiting-secondaries", { logins: maxLogins });
    lastLogins = maxLogins;
    if (round === 1) c.notify({ type: "SHUTDOWN_HOSTSYNC", system: undefined });
    await c.clock.sleep(NUMLOGINS_POLL_MS);
  }
}

/** upsmon's doshutdown(). */
async function doShutdown(c: ShutdownContext): Promise<void> {
  const config = c.config;
  c.log.error("Executing automatic power-fail shutdown");
  // the NOTIFYFLAG sink sends upsmon's wall on this phase, before the SHUTDOWN notification
  c.phase("final-delay", { finalDelaySec: config.finalDelaySec });
  c.notify({ type: "SHUTDOWN", system: undefined });
  for (let waitedSec = 0; waitedSec < config.finalDelaySec; waitedSec++) {
    await c.clock.sleep(1000);
    c.heartbeat();
  }
  c.phase("shutdowncmd-requested");
  try {
    await c.clock.during(c.requestShutdown());
  } catch (err) {
    c.log.error(`Shutdown request failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  c.phase("done");
  await linger(c, config.shutdownExitSec);
}

/** SHUTDOWNEXIT: stay logged in (pinging NUMLOGINS every second) so secondaries keep their view. */
async function linger(c: ShutdownContext, shutdownExitSec: number): Promise<void> {
  if (shutdownExitSec === 0) {
    c.log.debug("Exiting upsmon immediately after initiating shutdown, by default", 1);
    return;
  }
  c.log.warning(
    shutdownExitSec < 0
      ? "Configured to not exit upsmon after initiating shutdown"
      : `Configured to only exit upsmon SHUTDOWNEXIT=${shutdownExitSec} sec after initiating shutdown`,
  );
  const startMs = c.clock.now();
  while (!c.stopping() && (shutdownExitSec < 0 || c.clock.now() - startMs < shutdownExitSec * 1000)) {
    await c.clock.during(Promise.all(c.links.map((l) => l.numLogins())));
    c.heartbeat();
    await c.sleep(1000);
  }
}
