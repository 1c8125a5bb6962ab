/**
 * What a poll reads beyond what the engine itself needs: the demand rule.
 *
 * The engine needs what upsmon reads: `ups.status` every round, `ups.alarm` while the status has
 * ALARM, and the mode buzzwords (NUT HEAD; asked once per connection when the UPS lacks them). That
 * is all a plain upsmon.conf monitor polls. Everything else is read because someone asked for it at
 * composition (service/compose-monitor.ts): the HTTP surface the dashboard variables and the device
 * identity, notification channels battery.charge and battery.runtime for their templates, a battery
 * threshold its own variable for the UPS it applies to, a library user what it passes. A variable
 * nobody asked for is absent from snapshots and events (undefined), never a stale value.
 *
 * Pure data and functions; no I/O.
 */

/** What one UPS's poll reads besides the engine's own variables. */
export interface PollDemand {
  /** Variables read every round after `ups.status` (a variable the UPS lacks is learned and dropped). */
  readonly vars: readonly string[];
  /** Read the device identity (device.mfr/model/serial, ups.mfr/model, driver.name, UPSDESC) once per connection. */
  readonly identity: boolean;
}

/** A plain monitor: nothing beyond the engine's own variables. */
export const STATUS_ONLY: PollDemand = Object.freeze({ vars: Object.freeze([]), identity: false });

/** What the status page, the JSON API and the metrics show of a UPS (the HTTP surface asks for it). */
export const DASHBOARD_DEMAND: PollDemand = Object.freeze({
  vars: Object.freeze([
    "ups.alarm",
    "battery.charge",
    "battery.runtime",
    "ups.load",
    "input.voltage",
    "output.voltage",
  ]),
  identity: true,
});

/** A demand for `vars`, without identity. */
export function demandOf(vars: readonly string[]): PollDemand {
  return vars.length === 0 ? STATUS_ONLY : Object.freeze({ vars: Object.freeze([...vars]), identity: false });
}

/** Who asks for variables: a fixed demand for every UPS, or one per UPS (as in MONITOR). */
export type PollDemandSource = PollDemand | ((system: string) => PollDemand | undefined);

/** The union of what `sources` ask of one UPS, in the order first asked; STATUS_ONLY when nobody asks. */
export function combineDemands(sources: readonly PollDemandSource[], system: string): PollDemand {
  const vars: string[] = [];
  let identity = false;
  for (const source of sources) {
    const d = typeof source === "function" ? source(system) : source;
    if (d === undefined) continue;
    identity ||= d.identity;
    for (const v of d.vars) if (!vars.includes(v)) vars.push(v);
  }
  if (!identity && vars.length === 0) return STATUS_ONLY;
  return Object.freeze({ vars: Object.freeze(vars), identity });
}

/**
 * Per-UPS demands, computed once and kept until `invalidate()` (a reload: nutguard.conf's channels
 * and thresholds may have changed), so a round asks for each UPS's demand without building it again.
 */
export class PollDemands {
  private readonly cache = new Map<string, PollDemand>();

  constructor(private readonly sources: () => readonly PollDemandSource[]) {}

  readonly of = (system: string): PollDemand => {
    let d = this.cache.get(system);
    if (d === undefined) {
      d = combineDemands(this.sources(), system);
      this.cache.set(system, d);
    }
    return d;
  };

  invalidate(): void {
    this.cache.clear();
  }
}
