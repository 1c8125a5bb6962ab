/** A monitor link (src/monitor/ups-link.ts) with scripted polls and no network: the last poll repeats. */
import type { MonitorEntry } from "../../src/config/upsmon-conf.js";
import type { PollResult } from "../../src/monitor/engine-types.js";
import type { LinkStateChange } from "../../src/monitor/monitor-view.js";
import type { UpsLink } from "../../src/monitor/ups-link.js";

export class ScriptedLink implements UpsLink {
  private report: ((c: LinkStateChange) => void) | undefined;
  constructor(
    readonly entry: MonitorEntry,
    private readonly polls: PollResult[],
  ) {}
  onStateChange(listener: (c: LinkStateChange) => void): void {
    this.report = listener;
  }
  start(): void {
    this.report?.({ state: "connecting" });
    this.report?.({ state: "connected" });
  }
  async poll(): Promise<PollResult> {
    return this.polls.length > 1 ? this.polls.shift()! : this.polls[0]!;
  }
  async setFsd(): Promise<boolean> {
    return true;
  }
  async numLogins(): Promise<number | undefined> {
    return 1;
  }
  async close(): Promise<void> {
    this.report?.({ state: "closed" });
  }
}
