/**
 * NutClient: the typed commands of NUT protocol 1.3 on top of one NutConnection.
 *
 * Every method encodes its request (names bare when they are plain tokens, otherwise quoted and
 * escaped; USERNAME/PASSWORD, SET values and INSTCMD parameters always quoted and escaped), sends it
 * through the connection's FIFO (so calls may be pipelined without awaiting), and turns the reply
 * into a value. `ERR` replies reject with the typed error for their code (src/protocol/errors.ts).
 * Replies that echo names are checked against the request (SendSpec.echo), and SET VAR / INSTCMD
 * replies against the connection's TRACKING switch: `OK TRACKING <id>` while it is on, `OK` while
 * off. A reply that does not answer its request rejects with NutReplyMismatchError and closes the
 * connection (connection.ts).
 *
 * Must not: hold state about the server beyond the connection, log, or retry.
 */
import { encodeWord, quoteValue } from "../protocol/encoder.js";
import { NutProtocolError, NutServerError } from "../protocol/errors.js";
import {
  NutConnection,
  type Reply,
  type RequestCallback,
  type RequestOptions,
  type SendSpec,
} from "./connection.js";
import { type ConnectOptions, NUT_PORT, openSocket } from "./open-socket.js";

export interface UpsEntry {
  name: string;
  description: string;
}

export interface VarEntry {
  name: string;
  value: string;
}

export interface RangeEntry {
  min: number;
  max: number;
}

export interface VarType {
  /** Flags as sent, e.g. ["RW", "STRING:32"]. */
  flags: string[];
  rw: boolean;
  enum: boolean;
  range: boolean;
  /** "STRING" or "NUMBER" (upsd reports read-only non-string variables as NUMBER). */
  kind: "STRING" | "NUMBER";
  /** For STRING: the maximum length. */
  maxLength?: number;
}

/** Result of a tracked SET VAR or INSTCMD, or of `GET TRACKING <id>` that did not fail. */
export type TrackingStatus = "PENDING" | "SUCCESS";

/** What SET VAR and INSTCMD return: the tracking id when tracking is on for this connection. */
export interface CommandAccepted {
  trackingId?: string;
}

/** A TRACKING id as upsd makes them: a 36-character UUID. */
const TRACKING_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

export class NutClient extends NutConnection {
  /** This connection's TRACKING switch, as the server confirmed it (set when the OK arrives). */
  private tracking = false;
  /** SET VAR / INSTCMD: `OK TRACKING <id>` while tracking is on, exactly `OK` while it is off. */
  private readonly answersCommand = (words: readonly string[]): boolean =>
    this.tracking
      ? words.length === 3 && words[1] === "TRACKING" && TRACKING_ID.test(words[2]!)
      : words.length === 1;

  /** Connect (and STARTTLS when `tls` is given). Rejects with NutConnectionError / NutTlsError. */
  static async connect(o: ConnectOptions): Promise<NutClient> {
    const socket = await openSocket(o);
    const client = new NutClient(socket, o.host, o.port ?? NUT_PORT, o.requestTimeoutMs, o.maxInFlight);
    if (o.tls) {
      try {
        await client.startTls(o.tls, { timeoutMs: o.tls.handshakeTimeoutMs ?? o.connectTimeoutMs });
      } catch (err) {
        client.destroy();
        throw err;
      }
    }
    return client;
  }

  // ---------------------------------------------------------------- informational

  /** `VER`: the server's free-text version line. Do not parse it. */
  ver(o?: RequestOptions): Promise<string> {
    return this.request({ line: "VER", label: "VER" }, lineOf, o);
  }

  /** `NETVER`: the protocol version, e.g. "1.3". */
  netVer(o?: RequestOptions): Promise<string> {
    return this.request({ line: "NETVER", label: "NETVER" }, lineOf, o);
  }

  /** `PROTVER` (protocol 1.3 alias of NETVER). */
  protVer(o?: RequestOptions): Promise<string> {
    return this.request({ line: "PROTVER", label: "PROTVER" }, lineOf, o);
  }

  /** `HELP`: the server's command summary line. */
  help(o?: RequestOptions): Promise<string> {
    return this.request({ line: "HELP", label: "HELP" }, lineOf, o);
  }

  // ---------------------------------------------------------------- LIST

  async listUps(o?: RequestOptions): Promise<UpsEntry[]> {
    const items = await this.list(["UPS"], o);
    return items.map((r) => ({ name: r.words[1]!, description: r.words[2] ?? "" }));
  }

  async listVar(ups: string, o?: RequestOptions): Promise<VarEntry[]> {
    return nameValues(await this.list(["VAR", ups], o));
  }

  async listRw(ups: string, o?: RequestOptions): Promise<VarEntry[]> {
    return nameValues(await this.list(["RW", ups], o));
  }

  async listCmd(ups: string, o?: RequestOptions): Promise<string[]> {
    return (await this.list(["CMD", ups], o)).map((r) => r.words[2]!);
  }

  async listEnum(ups: string, varName: string, o?: RequestOptions): Promise<string[]> {
    return (await this.list(["ENUM", ups, varName], o)).map((r) => r.words[3] ?? "");
  }

  async listRange(ups: string, varName: string, o?: RequestOptions): Promise<RangeEntry[]> {
    return (await this.list(["RANGE", ups, varName], o)).map((r) => ({
      min: toInt(r.words[3], r),
      max: toInt(r.words[4], r),
    }));
  }

  /** `LIST CLIENT`: addresses of the connections that did LOGIN on `ups`. */
  async listClient(ups: string, o?: RequestOptions): Promise<string[]> {
    return (await this.list(["CLIENT", ups], o)).map((r) => r.words[2]!);
  }

  /** `LIST <query…>` with its items as raw replies (for tools that print them). ERR rejects. */
  rawList(query: readonly string[], o?: RequestOptions): Promise<Reply[]> {
    return this.list(query, o);
  }

  // ---------------------------------------------------------------- GET

  /** `GET VAR`: the value (with the `FSD ` prefix upsd adds to ups.status while FSD is set). */
  getVar(ups: string, varName: string, o?: RequestOptions): Promise<string> {
    let request: GetVarRequest;
    try {
      request = prepareGetVar(ups, varName);
    } catch (err) {
      return Promise.reject(err); // not async (hot path), but never throws synchronously
    }
    return this.getPreparedVar(request, o);
  }

  /** `GET VAR` of a request prepared once with prepareGetVar() (a poller asks the same ones every round). */
  getPreparedVar(request: GetVarRequest, o?: RequestOptions): Promise<string> {
    return this.request(request.spec, valueAt3, o);
  }

  /**
   * `getPreparedVar` with a callback instead of a promise, for a poller's steady request (no promise,
   * no microtask): `done(undefined, value)` or `done(error)`, once, never before this returns; it runs
   * inside the connection's read and must not throw.
   */
  getPreparedVarThen(
    request: GetVarRequest,
    o: RequestOptions,
    done: (err: Error | undefined, value?: string) => void,
  ): void {
    this.requestThen(request.spec, valueAt3, o, done as RequestCallback);
  }

  async getType(ups: string, varName: string, o?: RequestOptions): Promise<VarType> {
    const flags = (await this.get(["TYPE", ups, varName], o)).words.slice(3);
    const str = flags.find((f) => f.startsWith("STRING:"));
    const t: VarType = {
      flags,
      rw: flags.includes("RW"),
      enum: flags.includes("ENUM"),
      range: flags.includes("RANGE"),
      kind: str ? "STRING" : "NUMBER",
    };
    if (str) t.maxLength = Number(str.slice("STRING:".length));
    return t;
  }

  /** `GET DESC`: a variable's description ("Description unavailable" for unknown ones). */
  async getDesc(ups: string, varName: string, o?: RequestOptions): Promise<string> {
    return valueAt(await this.get(["DESC", ups, varName], o), 3);
  }

  async getCmdDesc(ups: string, cmd: string, o?: RequestOptions): Promise<string> {
    return valueAt(await this.get(["CMDDESC", ups, cmd], o), 3);
  }

  async getUpsDesc(ups: string, o?: RequestOptions): Promise<string> {
    return valueAt(await this.get(["UPSDESC", ups], o), 2);
  }

  async getNumLogins(ups: string, o?: RequestOptions): Promise<number> {
    const r = await this.get(["NUMLOGINS", ups], o);
    return toInt(r.words[2], r);
  }

  /** `GET TRACKING`: whether tracking is on for this connection. */
  getTracking(o?: RequestOptions): Promise<boolean>;
  /** `GET TRACKING <id>`: PENDING or SUCCESS; ERR UNKNOWN / FAILED / INVALID-ARGUMENT reject typed. */
  getTracking(id: string, o?: RequestOptions): Promise<TrackingStatus>;
  async getTracking(
    idOrOptions?: string | RequestOptions,
    o?: RequestOptions,
  ): Promise<boolean | TrackingStatus> {
    if (typeof idOrOptions !== "string") {
      const r = await this.cmd(["GET", "TRACKING"], ["ON", "OFF"], idOrOptions);
      return r.words[0] === "ON";
    }
    const r = await this.cmd(["GET", "TRACKING", idOrOptions], ["PENDING", "SUCCESS"], o);
    return r.words[0] as TrackingStatus;
  }

  // ---------------------------------------------------------------- SET, INSTCMD, FSD

  /** `SET VAR <ups> <var> "<value>"`. OK only means upsd forwarded it to the driver. */
  async setVar(ups: string, varName: string, value: string, o?: RequestOptions): Promise<CommandAccepted> {
    const line = `SET VAR ${encodeWord(ups)} ${encodeWord(varName)} ${quoteValue(value)}`;
    return accepted(
      await this.send(
        { line, label: "SET VAR", expect: EXPECT_OK, accept: this.answersCommand, encoded: true },
        o,
      ),
    );
  }

  /** `SET TRACKING ON|OFF`; from its OK on, SET VAR and INSTCMD replies must match the switch. */
  async setTracking(on: boolean, o?: RequestOptions): Promise<void> {
    await this.request(
      { line: `SET TRACKING ${on ? "ON" : "OFF"}`, label: "SET TRACKING", expect: EXPECT_OK, encoded: true },
      () => {
        // runs as the OK arrives, before any later reply is read: a pipelined INSTCMD sees it
        this.tracking = on;
      },
      o,
    );
  }

  /** `INSTCMD <ups> <cmd> ["<param>"]`. OK only means upsd forwarded it to the driver. */
  async instcmd(ups: string, cmd: string, param?: string, o?: RequestOptions): Promise<CommandAccepted> {
    let line = `INSTCMD ${encodeWord(ups)} ${encodeWord(cmd)}`;
    if (param !== undefined) line += ` ${quoteValue(param)}`;
    return accepted(
      await this.send(
        { line, label: "INSTCMD", expect: EXPECT_OK, accept: this.answersCommand, encoded: true },
        o,
      ),
    );
  }

  /** `FSD <ups>`: set the forced-shutdown flag (latched by upsd until it restarts). */
  async fsd(ups: string, o?: RequestOptions): Promise<void> {
    await this.cmd(["FSD", ups], "OK", o);
  }

  // ---------------------------------------------------------------- authentication

  async username(user: string, o?: RequestOptions): Promise<void> {
    await this.send(
      { line: `USERNAME ${quoteValue(user)}`, label: "USERNAME", expect: ["OK"], encoded: true },
      o,
    );
  }

  async password(pass: string, o?: RequestOptions): Promise<void> {
    await this.send(
      { line: `PASSWORD ${quoteValue(pass)}`, label: "PASSWORD", expect: ["OK"], encoded: true },
      o,
    );
  }

  /** `LOGIN <ups>`: count this connection in NUMLOGINS (needs an upsmon user). */
  async login(ups: string, o?: RequestOptions): Promise<void> {
    await this.cmd(["LOGIN", ups], "OK", o);
  }

  /**
   * `PRIMARY <ups>`, falling back to `MASTER <ups>` on any reply that is not OK (as upsmon does).
   * Resolves to the command that was granted; rejects with MASTER's error when both are refused.
   */
  async primary(ups: string, o?: RequestOptions): Promise<"PRIMARY" | "MASTER"> {
    try {
      await this.cmd(["PRIMARY", ups], "OK", o);
      return "PRIMARY";
    } catch (err) {
      if (!(err instanceof NutServerError)) throw err;
      await this.cmd(["MASTER", ups], "OK", o);
      return "MASTER";
    }
  }

  /** `LOGOUT`: the server answers and closes the connection. Prefer close(). */
  async logout(o?: RequestOptions): Promise<string> {
    return (await this.send({ line: "LOGOUT", label: "LOGOUT" }, o)).line;
  }

  // ---------------------------------------------------------------- raw

  /** Send one line as is; resolves with the reply line, `ERR` replies included (they do not reject). */
  rawRequest(line: string, o?: RequestOptions): Promise<Reply> {
    return this.send({ line, label: line.split(" ", 2).join(" "), errAsReply: true }, o);
  }

  // ---------------------------------------------------------------- helpers

  private cmd(words: string[], expect: string | string[], o?: RequestOptions): Promise<Reply> {
    const line = words.map(encodeWord).join(" ");
    const label = words.slice(0, 2).join(" ");
    return this.send(
      { line, label, expect: typeof expect === "string" ? [expect] : expect, encoded: true },
      o,
    );
  }

  /** `GET <what> <names…>`, whose reply must be `<what> <names…> …`. */
  private get(words: [string, ...string[]], o?: RequestOptions): Promise<Reply> {
    const line = ["GET", ...words].map(encodeWord).join(" ");
    return this.send(
      { line, label: `GET ${words[0]}`, expect: [words[0]], echo: words.slice(1), encoded: true },
      o,
    );
  }

  private list(query: readonly string[], o?: RequestOptions): Promise<Reply[]> {
    const line = ["LIST", ...query].map(encodeWord).join(" ");
    return this.send({ line, label: `LIST ${query[0] ?? ""}`, listQuery: query, encoded: true }, o);
  }
}

function nameValues(items: Reply[]): VarEntry[] {
  return items.map((r) => ({ name: r.words[2]!, value: r.words[3] ?? "" }));
}

const EXPECT_VAR = ["VAR"] as const;

/** A `GET VAR` request built once: its line, and what its reply must echo. */
export interface GetVarRequest {
  /** @internal what the connection sends and checks */
  readonly spec: SendSpec;
}

/**
 * Encodes `GET VAR <ups> <var>` once (names bare when they are plain tokens, otherwise quoted and
 * escaped). Throws NutProtocolError for names NUT cannot carry.
 */
export function prepareGetVar(ups: string, varName: string): GetVarRequest {
  const u = encodeWord(ups);
  const v = encodeWord(varName);
  const line = `GET VAR ${u} ${v}`;
  const spec: SendSpec = {
    line,
    wire: `${line}\n`,
    label: "GET VAR",
    expect: EXPECT_VAR,
    echo: [ups, varName],
    encoded: true,
    // upsd echoes the names as sent: bare names make `VAR <ups> <var> "<value>"` a fast-path reply
    valueAfter: u === ups && v === varName ? ["VAR", ups, varName] : undefined,
  };
  return { spec };
}
const EXPECT_OK = ["OK"] as const;
const lineOf = (r: Reply): string => r.line;
const valueAt3 = (r: Reply): string => valueAt(r, 3);

function valueAt(r: Reply, i: number): string {
  const v = r.words[i];
  if (v === undefined) throw new NutProtocolError(`reply has no value: ${r.line}`, r.line);
  return v;
}

function toInt(word: string | undefined, r: Reply): number {
  const n = Number(word);
  if (word === undefined || word === "" || !Number.isInteger(n)) {
    throw new NutProtocolError(`expected an integer in: ${r.line}`, r.line);
  }
  return n;
}

function accepted(r: Reply): CommandAccepted {
  // "OK" or "OK TRACKING <id>"
  return r.words[1] === "TRACKING" && r.words[2] ? { trackingId: r.words[2] } : {};
}
