/**
 * What one poll of one UPS reads: `ups.status` first, then what the event stream and snapshot show
 * (alarm, charge, runtime, load, input and output voltage, the mode buzzwords) and, on the first poll
 * of a connection, the device identity (device.mfr/model/serial, ups.mfr/model, driver.name and
 * GET UPSDESC). A variable the UPS does not have (VAR-NOT-SUPPORTED) is learned and not asked again
 * on this connection. Only `ups.status` decides whether the poll failed. Decides nothing about the
 * UPS (the engine does).
 *
 * One request at a time, not pipelined: upsd writes each reply on its own without TCP_NODELAY, so
 * a second reply waits for the client's delayed ACK (Nagle): measured against Debian's upsd 2.8.0,
 * seven pipelined GETs take ~47 ms a round, the same seven one after another ~0.7 ms.
 */
import type { NutClient } from "../client/client.js";
import type { PollResult } from "./engine-types.js";
import type { UpsIdentity } from "./events.js";

const BUZZWORD_VARS = ["ups.mode.buzzwords", "experimental.ups.mode.buzzwords"];
/** Read every round, after ups.status. */
export const ROUND_VARS = [
  "ups.alarm",
  "battery.charge",
  "battery.runtime",
  "ups.load",
  "input.voltage",
  "output.voltage",
  ...BUZZWORD_VARS,
];
/** Read once per connection. */
export const IDENTITY_VARS = [
  "device.mfr",
  "device.model",
  "device.serial",
  "ups.mfr",
  "ups.model",
  "driver.name",
];
/** An ALARM token in ups.status, in any case (upsmon compares tokens case-insensitively). */
const ALARM_TOKEN = /(?:^| )alarm(?: |$)/i;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
}
export function codeOf(err: unknown): string {
  const c = (err as ErrorLike | undefined)?.code;
  return typeof c === "string" ? c : "ERROR";
}
export function messageOf(err: unknown): string {
  const m = (err as ErrorLike | undefined)?.message;
  return typeof m === "string" ? m : String(err);
}

export class PollReader {
  private unsupported = new Set<string>();
  private identityRead = false;
  /** ROUND_VARS minus the ones this connection does not have (rebuilt only when one is learned). */
  private roundVars = ROUND_VARS;

  constructor(
    private readonly ups: string,
    private readonly host: string,
    /** Every failed request (the link watches for replies that answer another request). */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** A new connection: learn the UPS's variables and identity again. */
  reset(): void {
    this.unsupported.clear();
    this.identityRead = false;
    this.roundVars = ROUND_VARS;
  }

  async read(client: NutClient, opts: { timeoutMs: number }): Promise<PollResult> {
    const ups = this.ups;
    let status: string;
    try {
      status = await client.getVar(ups, "ups.status", opts);
    } catch (err) {
      this.onError(err);
      const code = codeOf(err);
      const message =
        code === "UNKNOWN-UPS" ? `[${ups}] does not exist on server ${this.host}` : messageOf(err);
      return { kind: "failure", code, message };
    }
    const vars: Record<string, string> = { "ups.status": status };
    const wantIdentity = !this.identityRead;
    await this.readInto(client, this.roundVars, vars, opts);
    if (wantIdentity) await this.readInto(client, IDENTITY_VARS, vars, opts);
    if (this.unsupported.size > 0 && this.roundVars.some((v) => this.unsupported.has(v))) {
      this.roundVars = this.roundVars.filter((v) => !this.unsupported.has(v));
    }
    const alarm = ALARM_TOKEN.test(status) ? vars["ups.alarm"] : undefined;
    const buzzwords = BUZZWORD_VARS.map((v) => vars[v]).find((b) => b !== undefined && b !== "");
    const result: PollResult = { kind: "status", status, alarm, buzzwords, vars };
    if (wantIdentity) {
      this.identityRead = true;
      const description = await client.getUpsDesc(ups, opts).catch((err: unknown) => {
        this.onError(err);
        return undefined;
      });
      result.identity = identityFrom(vars, description);
    }
    return result;
  }

  /** GET VAR each name in turn; a missing one is learned, another failure leaves it out this round. */
  private async readInto(
    client: NutClient,
    names: readonly string[],
    vars: Record<string, string>,
    opts: { timeoutMs: number },
  ): Promise<void> {
    for (const name of names) {
      try {
        vars[name] = await client.getVar(this.ups, name, opts);
      } catch (err) {
        this.missing(name, err);
      }
    }
  }

  private missing(name: string, err: unknown): undefined {
    this.onError(err);
    if (codeOf(err) === "VAR-NOT-SUPPORTED") this.unsupported.add(name);
    return undefined;
  }
}

function identityFrom(vars: Record<string, string>, description: string | undefined): UpsIdentity {
  return {
    manufacturer: vars["device.mfr"] ?? vars["ups.mfr"],
    model: vars["device.model"] ?? vars["ups.model"],
    serial: vars["device.serial"] ?? vars["ups.serial"],
    driver: vars["driver.name"],
    description: description === "Unavailable" ? undefined : description,
  };
}
