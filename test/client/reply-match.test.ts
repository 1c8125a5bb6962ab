/**
 * A reply must answer its request (issue 10, item 1): every reply that echoes names is checked
 * against the request, as libupsclient's verify_resp does; LIST framing is checked at BEGIN, at every
 * item and at END; SET VAR / INSTCMD replies must match the connection's TRACKING switch. A reply
 * that does not answer is a NutReplyMismatchError (code REPLY-MISMATCH, "Protocol error") and closes
 * the connection: every other pending request fails with a connection error naming why.
 * Hostile replies come from the scripted fake server.
 */
import { afterEach, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/index.js";
import {
  NutConnectionError,
  NutProtocolError,
  NutReplyMismatchError,
  VarNotSupportedError,
} from "../../src/protocol/errors.js";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";

let server: FakeServer | undefined;
const clients: NutClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = undefined;
});

async function fake(onLine: (line: string) => FakeAction): Promise<NutClient> {
  server = await startFakeServer({ onLine });
  const c = await NutClient.connect({ host: server.host, port: server.port, requestTimeoutMs: 2000 });
  clients.push(c);
  return c;
}

const ID = "2DDC5036-F665-4D29-BE4C-0374D091D263";
/** Answers VER honestly, so a pipelined VER shows whether the connection stayed usable. */
function answering(reply: string) {
  return (line: string): FakeAction => (line === "VER" ? "Network UPS Tools upsd 2.8.0\n" : reply);
}

interface Case {
  name: string;
  call: (c: NutClient) => Promise<unknown>;
  /** The request line the client sends. */
  request: string;
  /** A reply that answers another request. */
  wrong: string;
  /** A reply that answers this one (names in another case count: upsd echoes the client's spelling). */
  right: string;
  value: unknown;
}

const cases: Case[] = [
  {
    name: "GET VAR naming another UPS",
    call: (c) => c.getVar("ups", "ups.status"),
    request: "GET VAR ups ups.status",
    wrong: 'VAR otherups ups.status "OB LB"\n',
    right: 'VAR UPS ups.status "OL"\n',
    value: "OL",
  },
  {
    name: "GET VAR naming another variable",
    call: (c) => c.getVar("ups", "ups.status"),
    request: "GET VAR ups ups.status",
    wrong: 'VAR ups battery.charge "OB LB"\n',
    right: 'VAR ups UPS.STATUS "OL"\n',
    value: "OL",
  },
  {
    name: "GET VAR whose reply stops before the names",
    call: (c) => c.getVar("ups", "ups.status"),
    request: "GET VAR ups ups.status",
    wrong: "VAR ups\n",
    right: 'VAR ups ups.status "OL"\n',
    value: "OL",
  },
  {
    name: "GET VAR with a quoted (non-token) name",
    call: (c) => c.getVar("my ups", "ups.status"),
    request: 'GET VAR "my ups" ups.status',
    wrong: 'VAR "other ups" ups.status "OB"\n',
    right: 'VAR "my ups" ups.status "OL"\n',
    value: "OL",
  },
  {
    name: "GET TYPE",
    call: (c) => c.getType("ups", "ups.id"),
    request: "GET TYPE ups ups.id",
    wrong: "TYPE ups ups.model RW STRING:3\n",
    right: "TYPE ups ups.id RW STRING:8\n",
    value: { flags: ["RW", "STRING:8"], rw: true, enum: false, range: false, kind: "STRING", maxLength: 8 },
  },
  {
    name: "GET DESC",
    call: (c) => c.getDesc("ups", "ups.id"),
    request: "GET DESC ups ups.id",
    wrong: 'DESC ups ups.model "Model"\n',
    right: 'DESC ups ups.id "Id"\n',
    value: "Id",
  },
  {
    name: "GET CMDDESC",
    call: (c) => c.getCmdDesc("ups", "load.off"),
    request: "GET CMDDESC ups load.off",
    wrong: 'CMDDESC ups load.on "Turn on"\n',
    right: 'CMDDESC ups load.off "Turn off"\n',
    value: "Turn off",
  },
  {
    name: "GET UPSDESC",
    call: (c) => c.getUpsDesc("ups"),
    request: "GET UPSDESC ups",
    wrong: 'UPSDESC otherups "Other"\n',
    right: 'UPSDESC ups "Mine"\n',
    value: "Mine",
  },
  {
    name: "GET NUMLOGINS",
    call: (c) => c.getNumLogins("ups"),
    request: "GET NUMLOGINS ups",
    wrong: "NUMLOGINS otherups 3\n",
    right: "NUMLOGINS ups 2\n",
    value: 2,
  },
  {
    name: "GET VAR answered with another command's keyword",
    call: (c) => c.getVar("ups", "ups.status"),
    request: "GET VAR ups ups.status",
    wrong: "NUMLOGINS ups 3\n",
    right: 'VAR ups ups.status "OL"\n',
    value: "OL",
  },
  {
    name: "LIST VAR whose BEGIN names another UPS",
    call: (c) => c.listVar("ups"),
    request: "LIST VAR ups",
    wrong: 'BEGIN LIST VAR other\nVAR other a "1"\nEND LIST VAR other\n',
    right: 'begin list var UPS\nVAR ups a "1"\nEND LIST VAR ups\n',
    value: [{ name: "a", value: "1" }],
  },
  {
    name: "LIST VAR with an item of another UPS",
    call: (c) => c.listVar("ups"),
    request: "LIST VAR ups",
    wrong: 'BEGIN LIST VAR ups\nVAR other a "OB LB"\nEND LIST VAR ups\n',
    right: 'BEGIN LIST VAR ups\nVAR Ups a "1"\nEND LIST VAR ups\n',
    value: [{ name: "a", value: "1" }],
  },
  {
    name: "LIST VAR whose END names another UPS",
    call: (c) => c.listVar("ups"),
    request: "LIST VAR ups",
    wrong: 'BEGIN LIST VAR ups\nVAR ups a "1"\nEND LIST VAR other\n',
    right: 'BEGIN LIST VAR ups\nVAR ups a "1"\nEND LIST VAR UPS\n',
    value: [{ name: "a", value: "1" }],
  },
  {
    name: "LIST ENUM whose END is another query's",
    call: (c) => c.listEnum("ups", "input.transfer.low"),
    request: "LIST ENUM ups input.transfer.low",
    wrong: "BEGIN LIST ENUM ups input.transfer.low\nEND LIST ENUM ups input.transfer.high\n",
    right:
      'BEGIN LIST ENUM ups input.transfer.low\nENUM ups input.transfer.low "180"\nEND LIST ENUM ups input.transfer.low\n',
    value: ["180"],
  },
  {
    name: "INSTCMD answered `OK TRACKING <id>` on a connection without tracking",
    call: (c) => c.instcmd("ups", "load.off"),
    request: "INSTCMD ups load.off",
    wrong: `OK TRACKING ${ID}\n`,
    right: "OK\n",
    value: {},
  },
  {
    name: "SET VAR answered with another command's OK",
    call: (c) => c.setVar("ups", "ups.id", "x"),
    request: 'SET VAR ups ups.id "x"',
    wrong: "OK FSD-SET\n",
    right: "OK\n",
    value: {},
  },
];

describe("replies that echo names are checked against the request", () => {
  it.each(cases)("$name: the right reply is taken", async (t) => {
    const c = await fake(answering(t.right));
    expect(await t.call(c)).toEqual(t.value);
    expect(server!.lines).toEqual([t.request]);
    expect(c.isOpen).toBe(true);
  });

  it.each(cases)("$name: a mismatch is REPLY-MISMATCH, and closes the connection", async (t) => {
    const c = await fake(answering(t.wrong));
    // a request pipelined behind it fails with the reason, never with the wrong reply's data
    const [err, later] = (await Promise.all([t.call(c).catch((e) => e), c.ver().catch((e) => e)])) as [
      NutReplyMismatchError,
      NutConnectionError,
    ];
    expect(err).toBeInstanceOf(NutReplyMismatchError);
    expect(err).toBeInstanceOf(NutProtocolError);
    expect(err.code).toBe("REPLY-MISMATCH");
    expect(err.message).toBe("Protocol error");
    expect(err.request).toBe(t.request);
    expect(t.wrong).toContain(err.replyLine);
    expect(later).toBeInstanceOf(NutConnectionError);
    expect(later.code).toBe("PROTOCOL-DESYNC");
    expect(later.message).toMatch(
      /^Connection closed: a reply did not answer its request \(.*\), later replies/,
    );
    expect(later.cause).toBe(err);
    expect(c.isOpen).toBe(false);
  });

  it("an ERR reply echoes nothing and stays a server error on an open connection", async () => {
    const c = await fake(answering("ERR VAR-NOT-SUPPORTED\n"));
    expect(await c.getVar("ups", "x.y").catch((e) => e)).toBeInstanceOf(VarNotSupportedError);
    expect(c.isOpen).toBe(true);
  });

  it("the close event carries the mismatch as the cause (what a session or the monitor sees)", async () => {
    const c = await fake(answering('VAR otherups ups.status "OB LB"\n'));
    const closed = new Promise<unknown>((r) => c.once("close", r));
    await c.getVar("ups", "ups.status").catch(() => {});
    const err = (await closed) as NutConnectionError;
    expect(err.code).toBe("PROTOCOL-DESYNC");
    expect(err.cause).toBeInstanceOf(NutReplyMismatchError);
  });
});

describe("SET VAR and INSTCMD replies follow the connection's TRACKING switch", () => {
  /** OK for SET TRACKING; `reply` for the tracked command. */
  const tracked = (reply: string) => (line: string) => (line.startsWith("SET TRACKING") ? "OK\n" : reply);

  it("with tracking on, `OK TRACKING <id>` gives the id (also pipelined right behind SET TRACKING ON)", async () => {
    const c = await fake(tracked(`OK TRACKING ${ID}\n`));
    const [, accepted] = await Promise.all([c.setTracking(true), c.instcmd("ups", "load.off")]);
    expect(accepted).toEqual({ trackingId: ID });
  });

  it.each([
    ["a plain OK (the answer to some other request)", "OK\n"],
    ["an id that is not a UUID", "OK TRACKING 12345\n"],
    ["another OK", "OK PRIMARY-GRANTED\n"],
  ])("with tracking on, %s is REPLY-MISMATCH", async (_name, reply) => {
    const c = await fake(tracked(reply));
    await c.setTracking(true);
    const err = await c.setVar("ups", "ups.id", "x").catch((e) => e);
    expect(err).toBeInstanceOf(NutReplyMismatchError);
    expect(c.isOpen).toBe(false);
  });

  it("after SET TRACKING OFF, a plain OK is right again", async () => {
    const c = await fake(tracked("OK\n"));
    await c.setTracking(true);
    await c.setTracking(false);
    expect(await c.instcmd("ups", "load.off")).toEqual({});
  });
});
