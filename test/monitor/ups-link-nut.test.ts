/** The real UpsLink against a scripted server: what it sends, and how it reads replies and failures. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NutClient } from "../../src/client/client.js";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { DASHBOARD_DEMAND, demandOf } from "../../src/monitor/poll-demand.js";
import type { UpsLink } from "../../src/monitor/ups-link.js";
import { createNutLink } from "../../src/monitor/ups-link-nut.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";

let server: FakeServer | undefined;
let link: UpsLink | undefined;
afterEach(async () => {
  await link?.close();
  await server?.close();
  link = server = undefined;
});

/** upsd-like answers; `vars` are the UPS's variables, `primary` whether PRIMARY/MASTER are granted. */
function upsdLike(vars: Record<string, string>, primary = true) {
  return (line: string): FakeAction => {
    const w = line.split(" ");
    if (["USERNAME", "PASSWORD", "LOGIN"].includes(w[0]!)) return "OK\n";
    if (w[0] === "PRIMARY" || w[0] === "MASTER")
      return primary ? `OK ${w[0]}-GRANTED\n` : "ERR ACCESS-DENIED\n";
    if (w[0] === "GET" && w[1] === "VAR") {
      const v = vars[w[3]!];
      return v === undefined ? "ERR VAR-NOT-SUPPORTED\n" : `VAR ${w[2]} ${w[3]} "${v}"\n`;
    }
    if (w[0] === "GET" && w[1] === "NUMLOGINS") return `NUMLOGINS ${w[2]} 2\n`;
    if (w[0] === "FSD") return "OK FSD-SET\n";
    if (w[0] === "VER") return "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n";
    if (w[0] === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
    return "ERR UNKNOWN-COMMAND\n";
  };
}

async function linkTo(
  role: "primary" | "secondary",
  vars: Record<string, string>,
  opts = {},
  primaryOk = true,
) {
  server = await startFakeServer({ onLine: upsdLike(vars, primaryOk) });
  const config = parseUpsmonConf(
    `MONITOR ups@127.0.0.1:${server.port} 1 mon "pass word" ${role}\n`,
    "t",
  ).config;
  const log = createMemoryLogger();
  link = createNutLink(config.monitors[0]!, config, log, opts);
  link.start();
  return { link, log, server };
}

describe("UpsLink over NUT", () => {
  it("logs in like upsmon (PRIMARY for a primary) before its first poll, and reads ups.status", async () => {
    const { link, server } = await linkTo("primary", { "ups.status": "OL CHRG" });
    expect(await link.poll()).toMatchObject({
      kind: "status",
      status: "OL CHRG",
      alarm: undefined,
      buzzwords: undefined,
    });
    expect(server.lines.slice(0, 4)).toEqual([
      'USERNAME "mon"',
      'PASSWORD "pass word"',
      "LOGIN ups",
      "PRIMARY ups",
    ]);
  });

  it("asks for the buzzword variables once per connection when the UPS does not have them", async () => {
    const { link, server } = await linkTo("secondary", { "ups.status": "OL" });
    await link.poll();
    await link.poll();
    await link.poll();
    // both variables, asked once (on the first poll), never again on this connection
    expect(server.lines.filter((l) => l.includes("buzzwords"))).toEqual([
      "GET VAR ups ups.mode.buzzwords",
      "GET VAR ups experimental.ups.mode.buzzwords",
    ]);
    expect(server.lines.filter((l) => l === "GET VAR ups ups.status")).toHaveLength(3);
  });

  it("passes the buzzwords and, while ALARM is set, ups.alarm", async () => {
    const { link } = await linkTo("secondary", {
      "ups.status": "OL ALARM",
      "ups.alarm": "Fan failure",
      "ups.mode.buzzwords": "vendor:x:ECO",
    });
    expect(await link.poll()).toMatchObject({
      kind: "status",
      status: "OL ALARM",
      alarm: "Fan failure",
      buzzwords: "vendor:x:ECO",
    });
  });

  it("a plain poll (no demand) reads only ups.status once the UPS turned out not to have the buzzwords", async () => {
    const { link, server } = await linkTo("secondary", {
      "ups.status": "OL",
      "battery.charge": "100",
      "battery.runtime": "2400",
      "device.mfr": "Eaton",
    });
    const first = await link.poll();
    // nothing nobody asked for: no charge, no identity
    expect(first).toEqual({
      kind: "status",
      status: "OL",
      alarm: undefined,
      buzzwords: undefined,
      vars: { "ups.status": "OL" },
    });
    const before = server.lines.length;
    for (let i = 0; i < 3; i++) await link.poll();
    expect(server.lines.slice(before)).toEqual([
      "GET VAR ups ups.status",
      "GET VAR ups ups.status",
      "GET VAR ups ups.status",
    ]);
  });

  it("a plain poll reads ups.alarm after the status while ALARM is set, and reports the status failing", async () => {
    const vars: Record<string, string> = { "ups.status": "OL", "ups.alarm": "Fan failure" };
    const { link, server } = await linkTo("secondary", vars);
    await link.poll(); // learns the buzzwords missing: from now on a poll is ups.status alone
    vars["ups.status"] = "OL ALARM";
    const before = server.lines.length;
    expect(await link.poll()).toMatchObject({ kind: "status", status: "OL ALARM", alarm: "Fan failure" });
    expect(server.lines.slice(before)).toEqual(["GET VAR ups ups.status", "GET VAR ups ups.alarm"]);
    delete vars["ups.status"];
    expect(await link.poll()).toMatchObject({ kind: "failure", code: "VAR-NOT-SUPPORTED" });
    vars["ups.status"] = "OB";
    expect(await link.poll()).toMatchObject({ kind: "status", status: "OB", alarm: undefined });
  });

  it("a demand adds its variables after ups.status, and a later demand is followed on the same connection", async () => {
    const { link, server } = await linkTo("secondary", {
      "ups.status": "OB DISCHRG",
      "battery.charge": "81",
      "battery.runtime": "1500",
    });
    await link.poll();
    const before = server.lines.length;
    expect(await link.poll(demandOf(["battery.charge"]))).toMatchObject({
      vars: { "ups.status": "OB DISCHRG", "battery.charge": "81" },
    });
    expect(await link.poll(demandOf(["battery.runtime", "ups.load"]))).toMatchObject({
      vars: { "ups.status": "OB DISCHRG", "battery.runtime": "1500" },
    });
    await link.poll(demandOf(["battery.runtime", "ups.load"]));
    expect(server.lines.slice(before)).toEqual([
      "GET VAR ups ups.status",
      "GET VAR ups battery.charge",
      "GET VAR ups ups.status",
      "GET VAR ups battery.runtime",
      "GET VAR ups ups.load", // ERR VAR-NOT-SUPPORTED: learned
      "GET VAR ups ups.status",
      "GET VAR ups battery.runtime",
    ]);
  });

  it("reads what a dashboard needs each poll, after ups.status, and the identity once per connection", async () => {
    const { link, server } = await linkTo("secondary", {
      "ups.status": "OB DISCHRG",
      "battery.charge": "81",
      "battery.runtime": "1500",
      "ups.load": "35",
      "device.mfr": "Eaton",
      "device.model": "5E 1500",
      "driver.name": "usbhid-ups",
    });
    const first = await link.poll(DASHBOARD_DEMAND);
    expect(first).toMatchObject({
      kind: "status",
      vars: {
        "ups.status": "OB DISCHRG",
        "battery.charge": "81",
        "battery.runtime": "1500",
        "ups.load": "35",
      },
      identity: { manufacturer: "Eaton", model: "5E 1500", serial: undefined, driver: "usbhid-ups" },
    });
    const asked = (from: number) => server.lines.slice(from).filter((l) => l.startsWith("GET"));
    const afterLogin = server.lines.indexOf("LOGIN ups") + 1;
    expect(asked(afterLogin)[0]).toBe("GET VAR ups ups.status");
    expect(asked(afterLogin)).toContain("GET VAR ups device.serial");
    expect(asked(afterLogin)).toContain("GET UPSDESC ups");
    const before = server.lines.length;
    const second = await link.poll(DASHBOARD_DEMAND);
    expect(second).not.toHaveProperty("identity");
    // the second poll asks only ups.status and the variables the UPS has (VAR-NOT-SUPPORTED is learned)
    expect(asked(before)).toEqual([
      "GET VAR ups ups.status",
      "GET VAR ups battery.charge",
      "GET VAR ups battery.runtime",
      "GET VAR ups ups.load",
    ]);
  });

  it("keeps monitoring, with upsmon's message, when PRIMARY is refused", async () => {
    const { link, log } = await linkTo("primary", { "ups.status": "OL" }, {}, false);
    expect((await link.poll()).kind).toBe("status");
    await new Promise((r) => setTimeout(r, 50));
    expect(log.lines.map((l) => l.message)).toContain(
      "Primary managerial privileges unavailable on UPS [ups@127.0.0.1:" + server!.port + "]",
    );
  });

  it("keeps polling on the connection when LOGIN is refused (no upsmon line), logging it as upsmon does", async () => {
    server = await startFakeServer({
      onLine: (line) =>
        line === "LOGIN ups" ? "ERR ACCESS-DENIED\n" : upsdLike({ "ups.status": "OB LB" })(line),
    });
    const config = parseUpsmonConf(`MONITOR ups@127.0.0.1:${server.port} 1 m p secondary\n`, "t").config;
    const log = createMemoryLogger();
    link = createNutLink(config.monitors[0]!, config, log);
    link.start();
    expect(await link.poll()).toMatchObject({ kind: "status", status: "OB LB" });
    expect(await link.poll()).toMatchObject({ kind: "status", status: "OB LB" });
    expect(server.connectionCount).toBe(1);
    expect(server.lines.filter((l) => l === "LOGIN ups")).toHaveLength(1);
    const sys = `ups@127.0.0.1:${server.port}`;
    expect(log.lines.filter((l) => l.level !== "debug")).toEqual([
      { level: "err", message: `Login on UPS [${sys}] failed - got [ERR ACCESS-DENIED]` },
      {
        level: "warning",
        message: `UPS [${sys}]: monitoring without LOGIN: this host is not counted in NUMLOGINS, so the primary's HOSTSYNC will not count this host`,
      },
    ]);
  });

  it("a primary whose LOGIN is refused polls without asking for PRIMARY (upsmon does not either)", async () => {
    server = await startFakeServer({
      onLine: (line) =>
        line === "LOGIN ups" ? "ERR ACCESS-DENIED\n" : upsdLike({ "ups.status": "OL" })(line),
    });
    const config = parseUpsmonConf(`MONITOR ups@127.0.0.1:${server.port} 1 m p primary\n`, "t").config;
    link = createNutLink(config.monitors[0]!, config, createMemoryLogger());
    link.start();
    expect(await link.poll()).toMatchObject({ kind: "status", status: "OL" });
    expect(server.lines.slice(0, 4)).toEqual([
      'USERNAME "m"',
      'PASSWORD "p"',
      "LOGIN ups",
      "GET VAR ups ups.status",
    ]);
  });

  it("reports an unknown UPS the way upsmon logs it", async () => {
    server = await startFakeServer({
      onLine: (line) => (line.startsWith("GET VAR") ? "ERR UNKNOWN-UPS\n" : upsdLike({})(line)),
    });
    const config = parseUpsmonConf(`MONITOR ghost@127.0.0.1:${server.port} 1 m p secondary\n`, "t").config;
    link = createNutLink(config.monitors[0]!, config, createMemoryLogger());
    link.start();
    expect(await link.poll()).toEqual({
      kind: "failure",
      code: "UNKNOWN-UPS",
      message: "[ghost] does not exist on server 127.0.0.1",
    });
  });

  it("sets FSD, reads NUMLOGINS, and sends VER when idle so upsd never drops it", async () => {
    const { link, server } = await linkTo("primary", { "ups.status": "OL" }, { keepaliveMs: 100 });
    await link.poll();
    expect(await link.setFsd()).toBe(true);
    expect(await link.numLogins()).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.lines).toContain("FSD ups");
    expect(server.lines).toContain("VER");
  });
});

describe("UpsLink address family (-4 / -6)", () => {
  it("-4 reaches a server on 127.0.0.1 by the name localhost; -6 does not (it asks for IPv6 only)", async () => {
    server = await startFakeServer({ onLine: upsdLike({ "ups.status": "OL" }) });
    const config = parseUpsmonConf(`MONITOR ups@localhost:${server.port} 1 m p secondary\n`, "t").config;
    const entry = config.monitors[0]!;
    link = createNutLink(entry, config, createMemoryLogger(), { family: 4, connectTimeoutMs: 2000 });
    link.start();
    expect(await link.poll()).toMatchObject({ kind: "status", status: "OL" });
    await link.close();
    link = createNutLink(entry, config, createMemoryLogger(), {
      family: 6,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 500,
    });
    link.start();
    expect(await link.poll()).toMatchObject({ kind: "failure" });
    expect(server.connectionCount).toBe(1);
  });
});

describe("UpsLink keep-alive", () => {
  it("sends no VER while polls are more frequent than the keep-alive interval, and one when they stop", async () => {
    const { link, server } = await linkTo("secondary", { "ups.status": "OL" }, { keepaliveMs: 400 });
    for (let i = 0; i < 10; i++) {
      await link.poll();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(server.lines).not.toContain("VER");
    await new Promise((r) => setTimeout(r, 700));
    expect(server.lines.filter((l) => l === "VER").length).toBeGreaterThanOrEqual(1);
  });
});

describe("UpsLink configuration errors", () => {
  it("CERTVERIFY without CERTPATH never connects, as upsmon", async () => {
    server = await startFakeServer({ onLine: upsdLike({ "ups.status": "OL" }) });
    const config = parseUpsmonConf(
      `MONITOR ups@127.0.0.1:${server.port} 1 m p secondary\nCERTVERIFY 1\n`,
      "t",
    ).config;
    const log = createMemoryLogger();
    link = createNutLink(config.monitors[0]!, config, log);
    link.start();
    expect(await link.poll()).toEqual({
      kind: "failure",
      code: "CONFIG",
      message: "CERTVERIFY is set, but CERTPATH isn't",
    });
    expect(server.connectionCount).toBe(0);
    expect(log.lines.map((l) => l.message)).toEqual([
      "Configuration error: CERTVERIFY is set, but CERTPATH isn't",
      `UPS [ups@127.0.0.1:${server.port}]: Connection impossible, dropping link`,
    ]);
  });
});

/** Requests sent by callback (`getPreparedVarThen`), counted while a test runs: proof the callback path ran. */
let callbackRequests = 0;
const sendByCallback = NutClient.prototype.getPreparedVarThen;
beforeEach(() => {
  callbackRequests = 0;
  NutClient.prototype.getPreparedVarThen = function (this: NutClient, ...args) {
    callbackRequests++;
    return sendByCallback.apply(this, args);
  };
});
afterEach(() => {
  NutClient.prototype.getPreparedVarThen = sendByCallback;
});

/** `pollThen` (the daemon's callback poll) as a promise of what it handed over, never before it returned. */
function pollThen(l: UpsLink, demand?: Parameters<UpsLink["poll"]>[0]) {
  let returned = false;
  return new Promise<{ result: Awaited<ReturnType<UpsLink["poll"]>>; sync: boolean }>((resolve) => {
    l.pollThen!(demand, (result) => resolve({ result, sync: !returned }));
    returned = true;
  });
}

describe("UpsLink over NUT: the callback poll gives what the promise poll gives", () => {
  it("the steady plain poll, ALARM with ups.alarm after it, a failing status, and back", async () => {
    const vars: Record<string, string> = { "ups.status": "OL", "ups.alarm": "Fan failure" };
    const { link, server } = await linkTo("secondary", vars);
    const steadyOl = {
      result: {
        kind: "status",
        status: "OL",
        alarm: undefined,
        buzzwords: undefined,
        vars: { "ups.status": "OL" },
      },
      sync: false,
    };
    // before the connection is up, and while the buzzwords are still being learned: the promise path
    expect(await pollThen(link)).toEqual(steadyOl);
    let before = server.lines.length;
    expect(await pollThen(link)).toEqual(steadyOl);
    expect(server.lines.slice(before)).toEqual(["GET VAR ups ups.status"]);
    expect(callbackRequests).toBe(1); // the steady poll, by callback; the first one was the promise path
    vars["ups.status"] = "OL ALARM";
    before = server.lines.length;
    expect((await pollThen(link)).result).toMatchObject({
      kind: "status",
      status: "OL ALARM",
      alarm: "Fan failure",
    });
    expect(server.lines.slice(before)).toEqual(["GET VAR ups ups.status", "GET VAR ups ups.alarm"]);
    delete vars["ups.status"];
    expect((await pollThen(link)).result).toMatchObject({ kind: "failure", code: "VAR-NOT-SUPPORTED" });
    vars["ups.status"] = "OB";
    expect((await pollThen(link)).result).toMatchObject({ kind: "status", status: "OB", alarm: undefined });
    expect(callbackRequests).toBe(4);
  });

  it("a demand's variables, an unknown UPS in upsmon's words, and a server that went away", async () => {
    const { link } = await linkTo("secondary", { "ups.status": "OL", "battery.charge": "87" });
    await pollThen(link);
    expect((await pollThen(link, demandOf(["battery.charge"]))).result).toMatchObject({
      kind: "status",
      vars: { "ups.status": "OL", "battery.charge": "87" },
    });
    await server!.close();
    const gone = await pollThen(link);
    expect(gone.sync).toBe(false);
    expect(gone.result.kind).toBe("failure");

    // a server without the buzzwords (learned on the first poll) that does not know the UPS
    server = await startFakeServer({
      onLine: (line) =>
        line.includes("buzzwords")
          ? "ERR VAR-NOT-SUPPORTED\n"
          : line.startsWith("GET VAR")
            ? "ERR UNKNOWN-UPS\n"
            : upsdLike({})(line),
    });
    const config = parseUpsmonConf(`MONITOR ghost@127.0.0.1:${server.port} 1 m p secondary\n`, "t").config;
    const ghost = createNutLink(config.monitors[0]!, config, createMemoryLogger());
    ghost.start();
    try {
      await pollThen(ghost);
      expect((await pollThen(ghost)).result).toEqual({
        kind: "failure",
        code: "UNKNOWN-UPS",
        message: "[ghost] does not exist on server 127.0.0.1",
      });
      expect(callbackRequests).toBe(2); // the first link's steady poll, and the ghost's second
    } finally {
      await ghost.close();
    }
  });
});
