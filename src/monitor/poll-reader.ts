/**
 * What one poll of one UPS reads: `ups.status` first, then what the engine needs beside it (the mode
 * buzzwords every round, as NUT HEAD's upsmon; `ups.alarm` while the status has ALARM), then what the
 * poll's demand asks for (poll-demand.ts: extensions' variables every round, the device identity
 * once per connection). A plain monitor's poll is `ups.status` alone once the UPS turned out not to
 * have the buzzword variables. A variable the UPS does not have (VAR-NOT-SUPPORTED) is learned and
 * not asked again on this connection. Only `ups.status` decides whether the poll failed. Decides
 * nothing about the UPS (the engine does).
 *
 * Pipelined (`readPipelined`): every request of the poll is issued before the first reply is awaited,
 * so a round's requests for all the UPSes of one server (poll-carriers.ts) leave in one write and
 * their replies come back in a read or two. The cost is latency, not CPU: upsd writes each reply on
 * its own without TCP_NODELAY, so the replies after the first wait for the client's delayed ACK
 * (Nagle): measured against Debian's upsd 2.8.0, seven pipelined GETs take ~47 ms, the same seven one
 * after another ~0.7 ms, and each of those seven round trips wakes the monitor. `read` asks one thing
 * after another: for servers that answered pipelined requests out of order (ups-link-nut.ts).
 */
import { type GetVarRequest, type NutClient, prepareGetVar } from "../client/client.js";
import type { RequestOptions } from "../client/connection.js";
import type { PollResult } from "./engine-types.js";
import type { UpsIdentity } from "./events.js";
import { type PollDemand, STATUS_ONLY } from "./poll-demand.js";

const BUZZWORD_VARS = ["ups.mode.buzzwords", "experimental.ups.mode.buzzwords"];
/** Read once per connection when the demand asks for the identity. */
export const IDENTITY_VARS = [
  "device.mfr",
  "device.model",
  "device.serial",
  "ups.mfr",
  "ups.model",
  "driver.name",
];
const NO_VALUES: readonly Promise<string | undefined>[] = Object.freeze([]);
/** An ALARM token in ups.status, in any case (upsmon compares tokens case-insensitively). */
const ALARM_TOKEN = /(?:^| )alarm(?: |$)/i;

/**
 * Whether `status` has an ALARM token. A status with no "a" in either case has none; that check is a
 * string search, cheaper than the regular expression an interpreted steady poll would run every time.
 */
function hasAlarmToken(status: string): boolean {
  if (status.indexOf("A") < 0 && status.indexOf("a") < 0) return false;
  return ALARM_TOKEN.test(status);
}

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
  /** The demand `roundVars` was built for, and whether a variable was learned missing since. */
  private builtFor: PollDemand | undefined;
  private learned = false;
  /** The buzzwords and the demand's variables, minus the ones this connection does not have. */
  private roundVars: readonly string[] = BUZZWORD_VARS;
  /** Each variable's `GET VAR` line, built once (undefined: a name NUT cannot carry; getVar says so). */
  private readonly prepared = new Map<string, GetVarRequest | undefined>();
  /** The client and options of the poll outstanding (a link has at most one), for its `ups.alarm`. */
  private alarmClient: NutClient | undefined;
  private alarmOptions: { timeoutMs: number } = { timeoutMs: 0 };
  /** Where the result of the steady plain poll outstanding goes (readPipelinedThen). */
  private statusDone: ((result: PollResult) => void) | undefined;

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
    this.builtFor = undefined;
  }

  /** One request after another, each sent when the previous one is answered. */
  async read(client: NutClient, opts: { timeoutMs: number }, demand = STATUS_ONLY): Promise<PollResult> {
    let status: string;
    try {
      status = await this.get(client, "ups.status", opts);
    } catch (err) {
      return this.statusFailed(err);
    }
    const vars: Record<string, string> = { "ups.status": status };
    const names = this.namesFor(demand);
    if (names.length > 0) await this.readInto(client, names, vars, opts);
    const wantIdentity = this.wantsIdentity(demand);
    if (wantIdentity) await this.readInto(client, IDENTITY_VARS, vars, opts);
    const description = wantIdentity ? await this.description(client, opts) : undefined;
    const alarmSet = hasAlarmToken(status);
    if (alarmSet && this.alarmUnread(vars)) await this.readInto(client, ["ups.alarm"], vars, opts);
    return this.result(status, alarmSet, vars, wantIdentity, description);
  }

  /**
   * Every request of the poll issued at once (synchronously, before the first reply is awaited), so
   * the polls of several UPSes started in one synchronous run share the client's one write. Only an
   * `ups.alarm` the demand did not ask for is asked afterwards, when the status turns out to have ALARM.
   */
  readPipelined(client: NutClient, opts: { timeoutMs: number }, demand = STATUS_ONLY): Promise<PollResult> {
    const statusRequest = this.get(client, "ups.status", opts);
    if (!this.plainPoll(demand))
      return this.readMore(client, opts, statusRequest, this.namesFor(demand), this.wantsIdentity(demand));
    // the steady plain poll: `ups.status` alone, settled without an async function's frame and hops
    this.alarmClient = client;
    this.alarmOptions = opts;
    return statusRequest.then(this.statusOnly, this.statusRejected);
  }

  /**
   * `readPipelined` handing its result to `done` (once, never before this returns) instead of a
   * promise. The steady plain poll then costs no promise and no microtask: its one request's reply
   * comes back through a callback (`getPreparedVarThen`). Other polls take the promise path.
   */
  readPipelinedThen(
    client: NutClient,
    opts: { timeoutMs: number },
    demand: PollDemand,
    done: (result: PollResult) => void,
    /** The steady poll's `ups.status` request's options (e.g. `timer: false`); default `opts`. */
    statusOpts: RequestOptions = opts,
  ): void {
    const status = this.preparedFor("ups.status");
    if (status === undefined || !this.plainPoll(demand)) {
      this.readPipelined(client, opts, demand).then(done, (err: unknown) => done(this.statusFailed(err)));
      return;
    }
    this.statusDone = done;
    this.alarmClient = client;
    this.alarmOptions = opts;
    client.getPreparedVarThen(status, statusOpts, this.statusReplied);
  }

  /**
   * The steady poll's `ups.status` request, when it is still unanswered: time it out if it is past
   * its deadline (the connection it went on closes, as its own deadline timer would have done).
   */
  checkDeadlines(): void {
    if (this.statusDone !== undefined) this.alarmClient?.checkDeadlines();
  }

  /** This poll is `ups.status` alone: the demand adds no variable and the identity is read (or not asked). */
  private plainPoll(demand: PollDemand): boolean {
    return this.namesFor(demand).length === 0 && !this.wantsIdentity(demand);
  }

  private wantsIdentity(demand: PollDemand): boolean {
    return demand.identity && !this.identityRead;
  }

  /** The reply to the steady plain poll's `ups.status` (readPipelinedThen). */
  private readonly statusReplied = (err: Error | undefined, status?: string): void => {
    const done = this.statusDone!;
    this.statusDone = undefined;
    let result: PollResult | Promise<PollResult>;
    try {
      result = err === undefined ? this.statusOnly(status!) : this.statusRejected(err);
    } catch (thrown) {
      result = this.statusRejected(thrown);
    }
    if (result instanceof Promise) result.then(done, (failure: unknown) => done(this.statusFailed(failure)));
    else done(result);
  };

  private readonly statusOnly = (status: string): PollResult | Promise<PollResult> => {
    const client = this.alarmClient!;
    this.alarmClient = undefined;
    const vars: Record<string, string> = { "ups.status": status };
    const alarmSet = hasAlarmToken(status);
    if (alarmSet && this.alarmUnread(vars)) return this.withAlarm(client, this.alarmOptions, status, vars);
    return this.result(status, alarmSet, vars, false, undefined);
  };

  private readonly statusRejected = (err: unknown): PollResult => {
    this.alarmClient = undefined;
    return this.statusFailed(err);
  };

  private async withAlarm(
    client: NutClient,
    opts: { timeoutMs: number },
    status: string,
    vars: Record<string, string>,
  ): Promise<PollResult> {
    await this.readInto(client, ["ups.alarm"], vars, opts);
    return this.result(status, true, vars, false, undefined);
  }

  /** The pipelined poll with more than `ups.status`: the demand's variables, the identity. */
  private async readMore(
    client: NutClient,
    opts: { timeoutMs: number },
    statusRequest: Promise<string>,
    names: readonly string[],
    wantIdentity: boolean,
  ): Promise<PollResult> {
    const values = names.length === 0 ? NO_VALUES : names.map((n) => this.request(client, n, opts));
    const identity = wantIdentity ? IDENTITY_VARS.map((n) => this.request(client, n, opts)) : NO_VALUES;
    const description = wantIdentity ? this.description(client, opts) : undefined;
    let status: string;
    try {
      status = await statusRequest;
    } catch (err) {
      return this.statusFailed(err);
    }
    const vars: Record<string, string> = { "ups.status": status };
    for (let i = 0; i < values.length; i++) {
      const v = await values[i];
      if (v !== undefined) vars[names[i]!] = v;
    }
    for (let i = 0; i < identity.length; i++) {
      const v = await identity[i];
      if (v !== undefined) vars[IDENTITY_VARS[i]!] = v;
    }
    const desc = description === undefined ? undefined : await description;
    const alarmSet = hasAlarmToken(status);
    if (alarmSet && this.alarmUnread(vars)) await this.readInto(client, ["ups.alarm"], vars, opts);
    return this.result(status, alarmSet, vars, wantIdentity, desc);
  }

  /** `GET VAR` of this UPS's `name`, its request line built once. */
  private get(client: NutClient, name: string, opts: { timeoutMs: number }): Promise<string> {
    const prepared = this.preparedFor(name);
    return prepared === undefined
      ? client.getVar(this.ups, name, opts)
      : client.getPreparedVar(prepared, opts);
  }

  /** The `GET VAR` line of this UPS's `name`, built once (undefined: NUT cannot carry the names). */
  private preparedFor(name: string): GetVarRequest | undefined {
    let prepared = this.prepared.get(name);
    if (prepared === undefined && !this.prepared.has(name)) {
      try {
        prepared = prepareGetVar(this.ups, name);
      } catch {
        prepared = undefined; // getVar rejects with the encoder's error
      }
      this.prepared.set(name, prepared);
    }
    return prepared;
  }

  private statusFailed(err: unknown): PollResult {
    this.onError(err);
    const code = codeOf(err);
    const message =
      code === "UNKNOWN-UPS" ? `[${this.ups}] does not exist on server ${this.host}` : messageOf(err);
    return { kind: "failure", code, message };
  }

  /** `ups.alarm` was not read (nor learned missing): with ALARM in the status, ask for it after the status. */
  private alarmUnread(vars: Record<string, string>): boolean {
    return vars["ups.alarm"] === undefined && !this.unsupported.has("ups.alarm");
  }

  private result(
    status: string,
    alarmSet: boolean,
    vars: Record<string, string>,
    withIdentity: boolean,
    description: string | undefined,
  ): PollResult {
    const alarm = alarmSet ? vars["ups.alarm"] : undefined;
    const buzzwords = vars[BUZZWORD_VARS[0]!] || vars[BUZZWORD_VARS[1]!] || undefined;
    const result: PollResult = { kind: "status", status, alarm, buzzwords, vars };
    if (withIdentity) {
      this.identityRead = true;
      result.identity = identityFrom(vars, description);
    }
    return result;
  }

  /** `GET VAR` of one variable; a failure is learned (missing) and gives undefined. */
  private request(client: NutClient, name: string, opts: { timeoutMs: number }): Promise<string | undefined> {
    return this.get(client, name, opts).catch((err: unknown) => this.missing(name, err));
  }

  /** `GET UPSDESC`, or undefined when it fails. */
  private description(client: NutClient, opts: { timeoutMs: number }): Promise<string | undefined> {
    return client.getUpsDesc(this.ups, opts).catch((err: unknown) => {
      this.onError(err);
      return undefined;
    });
  }

  /** What this round asks after ups.status: rebuilt only when the demand changed or a variable was learned. */
  private namesFor(demand: PollDemand): readonly string[] {
    if (demand === this.builtFor && !this.learned) return this.roundVars;
    this.builtFor = demand;
    this.learned = false;
    const names = [...BUZZWORD_VARS];
    for (const v of demand.vars) if (!names.includes(v)) names.push(v);
    this.roundVars = names.filter((v) => !this.unsupported.has(v));
    return this.roundVars;
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
        vars[name] = await this.get(client, name, opts);
      } catch (err) {
        this.missing(name, err);
      }
    }
  }

  private missing(name: string, err: unknown): undefined {
    this.onError(err);
    if (codeOf(err) === "VAR-NOT-SUPPORTED") {
      this.unsupported.add(name);
      this.learned = true;
    }
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
