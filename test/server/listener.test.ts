import { execFileSync } from "node:child_process";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../../src/server/server.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { DEFAULT_DEVICES } from "../helpers/nut-stack.js";
import { RawClient, type ServerFixture, startFixture } from "./server-fixture.js";

let fx: ServerFixture | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fx?.stop();
  fx = undefined;
});

async function open(port = fx!.port): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

const VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/";

/** Count `END LIST VAR dummy` lines as they arrive on `c` (replaces its line reader). */
function countListEnds(c: RawClient): { count: number; reach(n: number): Promise<void> } {
  c.socket.removeAllListeners("data");
  const marker = "END LIST VAR dummy\n";
  let tail = "";
  const waiters: (() => void)[] = [];
  const state = {
    count: 0,
    reach(n: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (state.count >= n ? resolve() : waiters.push(check));
        check();
      });
    },
  };
  c.socket.on("data", (d: string) => {
    const text = tail + d;
    state.count += text.split(marker).length - 1;
    tail = text.endsWith(marker) ? "" : text.slice(-(marker.length - 1)); // never a whole marker
    for (const w of waiters.splice(0)) w();
  });
  return state;
}

describe("listener: framing (transcript §13.7)", () => {
  it("answers two commands sent in one write, in order", async () => {
    fx = await startFixture();
    const c = await open();
    c.write("VER\nNETVER\n");
    expect(await c.lines(2)).toEqual([VER, "1.3"]);
  });

  it("assembles a command split across writes and waits for LF after a lone CR", async () => {
    fx = await startFixture();
    const c = await open();
    c.write("GET VAR du");
    await new Promise((r) => setTimeout(r, 50));
    c.write("mmy ups.status\r");
    await new Promise((r) => setTimeout(r, 50));
    expect(c.pending).toBe("");
    c.write("\n");
    expect(await c.lines(1)).toEqual(['VAR dummy ups.status "OL"']);
  });

  it("sends no reply for an unescaped # in quotes, then serves the next command", async () => {
    fx = await startFixture();
    const c = await open();
    c.write('GET VAR dummy "ups#status"\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(c.pending).toBe("");
    expect(await c.ask("VER")).toBe(VER);
  });

  it("answers the netcat example (CRLF, quotes, empty line, tabs) exactly", async () => {
    fx = await startFixture();
    const c = await open();
    c.write('VER\r\nGET VAR dummy "ups.status"\n\nGET  VAR\tdummy  ups.load extra\nLOGOUT\n');
    expect(await c.lines(5)).toEqual([
      VER,
      'VAR dummy ups.status "OL"',
      "ERR UNKNOWN-COMMAND",
      'VAR dummy ups.load "25"',
      "OK Goodbye",
    ]);
    expect(await c.closedWithin(2000)).toBe(true);
  });

  it("answers 10,000 pipelined requests in order", async () => {
    fx = await startFixture();
    const c = await open();
    const n = 10_000;
    let batch = "";
    for (let i = 0; i < n; i++) batch += i % 2 ? "GET VAR dummy ups.load\n" : "GET VAR seq ups.status\n";
    c.write(batch);
    const lines = await c.lines(n, 20_000);
    expect(
      lines.filter((l, i) => l === (i % 2 ? 'VAR dummy ups.load "25"' : 'VAR seq ups.status "OL"')).length,
    ).toBe(n);
  });
});

describe("listener: bad input never hurts it", () => {
  it("survives binary garbage and keeps serving other clients", async () => {
    fx = await startFixture();
    const bad = await open();
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    bad.write(bytes);
    bad.write('"\n\nVER\n');
    const good = await open();
    expect(await good.ask("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("cuts an overlong line's words at 512 characters and answers it", async () => {
    fx = await startFixture();
    const c = await open();
    c.write(`GET VAR dummy ${"x".repeat(1024 * 1024)}\n`);
    expect(await c.lines(1, 10_000)).toEqual(["ERR VAR-NOT-SUPPORTED"]);
    expect(await c.ask("VER")).toBe(VER);
  });

  it("drops control bytes like upsd (ups.\\x01status is ups.status) but refuses non-ASCII instead of dropping it", async () => {
    fx = await startFixture();
    const c = await open();
    c.write(Buffer.from("GET VAR dummy ups.\x01status\n", "latin1"));
    expect(await c.lines(1)).toEqual(['VAR dummy ups.status "OL"']);
    // upsd drops \xe4 and answers for ups.status; nutguard refuses: Latin-1, and UTF-8 split over two writes
    c.write(Buffer.from("GET VAR dummy ups.st\xe4atus\n", "latin1"));
    expect(await c.lines(1)).toEqual(["ERR INVALID-ARGUMENT"]);
    const utf8 = Buffer.from('SET VAR dummy ups.id "Büro"\n');
    c.write(utf8.subarray(0, 24));
    c.write(utf8.subarray(24));
    expect(await c.lines(1)).toEqual(["ERR INVALID-ARGUMENT"]);
    expect(await c.ask("VER")).toBe(VER);
  });

  it("serves 1,000 simultaneous connections", async () => {
    fx = await startFixture();
    const conns = await Promise.all(Array.from({ length: 1000 }, () => open()));
    const replies = await Promise.all(conns.map((c) => c.ask("GET VAR seq battery.charge")));
    expect(new Set(replies)).toEqual(new Set(['VAR seq battery.charge "100"']));
  });

  it("forgets a logged-in client that vanishes mid-line (NUMLOGINS goes down)", async () => {
    fx = await startFixture();
    const mon = await open();
    expect(await mon.ask("USERNAME monsecondary")).toBe("OK");
    expect(await mon.ask("PASSWORD secondarypass")).toBe("OK");
    expect(await mon.ask("LOGIN seq")).toBe("OK");
    const watcher = await open();
    expect(await watcher.ask("GET NUMLOGINS seq")).toBe("NUMLOGINS seq 1");
    mon.write("GET VAR seq ups.sta");
    mon.socket.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await watcher.ask("GET NUMLOGINS seq")).toBe("NUMLOGINS seq 0");
  });

  it("answers a client that half-closes right after its request, then closes", async () => {
    fx = await startFixture();
    const c = await open();
    c.socket.end("GET VAR dummy ups.status\nLOGOUT\n");
    expect(await c.lines(2)).toEqual(['VAR dummy ups.status "OL"', "OK Goodbye"]);
    expect(await c.closedWithin(2000)).toBe(true);
  });

  it("answers every one of 20,000 pipelined requests from a client that half-closes before reading", async () => {
    fx = await startFixture();
    const c = await open();
    c.socket.pause();
    // ~20 MB of replies: far more than the kernel's socket buffers, so most are still queued in
    // the server when the client's FIN arrives
    const n = 20_000;
    c.write("LIST VAR dummy\n".repeat(n));
    await new Promise((r) => setTimeout(r, 500));
    c.socket.end();
    await new Promise((r) => setTimeout(r, 200));
    const ends = countListEnds(c);
    c.socket.resume();
    expect(await c.closedWithin(30_000)).toBe(true);
    expect(ends.count).toBe(n);
  }, 60_000);

  it("keeps answering a client that pipelines far more than it reads", async () => {
    fx = await startFixture();
    const c = await open();
    c.socket.pause();
    const n = 100_000;
    c.write("VER\n".repeat(n));
    await new Promise((r) => setTimeout(r, 300));
    c.socket.resume();
    const lines = await c.lines(n, 20_000);
    expect(lines.every((l) => l === VER)).toBe(true);
  });
});

describe("listener: limits", () => {
  it("drops a client after the idle cutoff without a complete command, not an active one", async () => {
    fx = await startFixture({ idleTimeoutMs: 400 });
    const idle = await open();
    const active = await open();
    idle.write("GET VAR dummy ups.sta"); // a partial command is not activity
    const keepAlive = setInterval(() => active.write("VER\n"), 100);
    try {
      expect(await idle.closedWithin(3000)).toBe(true);
      expect(active.closed).toBe(false);
    } finally {
      clearInterval(keepAlive);
    }
  });

  it("refuses connections beyond MAXCONN", async () => {
    fx = await startFixture({ upsdConf: ["MAXCONN 2"] });
    const a = await open();
    const b = await open();
    expect(await a.ask("VER")).toBe(VER);
    expect(await b.ask("VER")).toBe(VER);
    const third = await open();
    expect(await third.closedWithin(2000)).toBe(true);
  });
});

describe("server: data files and configuration", () => {
  it("re-reads a .dev file when it changes on disk", async () => {
    fx = await startFixture();
    const c = await open();
    const file = join(fx.dir, "dummy.dev");
    writeFileSync(file, readFileSync(file, "utf8").replace("ups.status: OL", "ups.status: OB DISCHRG"));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const deadline = Date.now() + 5000;
    let status = "";
    while (Date.now() < deadline && !status.includes("OB")) {
      status = await c.ask("GET VAR dummy ups.status");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('VAR dummy ups.status "OB DISCHRG"');
  });

  it("keeps upsd's FSD latch across a reload that keeps the UPS, and drops it with the UPS", async () => {
    fx = await startFixture();
    const c = await open();
    for (const line of ["USERNAME admin", "PASSWORD adminpass"]) expect(await c.ask(line)).toBe("OK");
    expect(await c.ask("FSD dummy")).toBe("OK FSD-SET");
    fx.server.reload();
    expect(await c.ask("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "FSD OL"');
    const upsConf = join(fx.dir, "ups.conf");
    const withDummy = readFileSync(upsConf, "utf8");
    writeFileSync(upsConf, withDummy.replace(/\[dummy\][^[]*/, ""));
    fx.server.reload();
    expect(await c.ask("GET VAR dummy ups.status")).toBe("ERR UNKNOWN-UPS");
    writeFileSync(upsConf, withDummy);
    fx.server.reload();
    expect(await c.ask("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
  });

  it("refuses a UPS with another driver, naming the section, file and line", async () => {
    fx = await startFixture();
    writeFileSync(join(fx.dir, "ups.conf"), "[real]\n\tdriver = usbhid-ups\n\tport = auto\n");
    await expect(startServer({ confPath: fx.dir, log: createMemoryLogger() })).rejects.toThrow(
      `${join(fx.dir, "ups.conf")}:2: UPS [real]: driver "usbhid-ups" is not supported by nutguard server (only dummy-ups with a .dev or .seq file)`,
    );
  });

  it("answers DRIVER-NOT-CONNECTED while a data file is missing", async () => {
    fx = await startFixture({ devices: { gone: { dev: "" }, ...DEFAULT_DEVICES } });
    execFileSync("rm", [join(fx.dir, "gone.dev")]);
    await fx.server.close();
    const log = createMemoryLogger();
    const again = await startServer({ confPath: fx.dir, log });
    try {
      const c = await open(again.addresses[0]!.port);
      expect(await c.ask("GET VAR gone ups.status")).toBe("ERR DRIVER-NOT-CONNECTED");
      expect(await c.ask("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
      expect(log.lines.map((l) => l.message)).toContain(
        `dummy-ups [gone]: Can't open ${join(fx!.dir, "gone.dev")}: No such file or directory`,
      );
    } finally {
      await again.close();
    }
  });
});

describe("listener: STARTTLS", () => {
  // upsd's net_starttls() ignores arguments: "STARTTLS now" starts TLS too
  it.each(["STARTTLS", "STARTTLS now"])(
    "%s upgrades the connection with the CERTFILE certificate; PROTVER works inside TLS",
    async (request) => {
      fx = await startFixture({ tls: true });
      const c = await open();
      expect(await c.ask(request)).toBe("OK STARTTLS");
      c.socket.removeAllListeners("data");
      const secure = tls.connect({
        socket: c.socket,
        ca: readFileSync(join(fx.dir, "cert.pem")),
        checkServerIdentity: () => undefined,
      });
      await new Promise<void>((resolve, reject) => {
        secure.once("secureConnect", () => resolve());
        secure.once("error", reject);
      });
      const reply = (line: string) =>
        new Promise<string>((resolve) => {
          secure.once("data", (d) => resolve(d.toString()));
          secure.write(line + "\n");
        });
      expect(await reply("PROTVER")).toBe("1.3\n");
      expect(await reply("STARTTLS")).toBe("ERR ALREADY-SSL-MODE\n");
      expect(await reply("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"\n');
      secure.destroy();
    },
  );
});

describe("listener: bounded memory", () => {
  it("past the bound for all clients, drops the client holding the most and logs it; others keep every reply", async () => {
    const limit = 2 * 1024 * 1024;
    fx = await startFixture({ maxHeldBytes: limit });
    const n = 8000; // ~10 MB of replies per client, far past the kernel's socket buffers
    const readers: RawClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await open();
      c.socket.pause();
      readers.push(c);
      c.write("LIST VAR dummy\n".repeat(n));
    }
    const droppedLines = () =>
      fx!.log.lines.filter((l) => l.message.startsWith("Dropping client 127.0.0.1: it holds "));
    for (let waited = 0; droppedLines().length === 0 && waited < 20_000; waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300)); // let the server settle: every client read all it can
    const watcher = await open();
    expect(await watcher.ask("GET VAR dummy ups.status")).toBe('VAR dummy ups.status "OL"');
    const dropped = droppedLines();
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((l) => l.level === "warning")).toBe(true);
    expect(fx.server.unsentOutputBytes).toBeLessThanOrEqual(limit);
    // the clients not dropped still get every reply once they read
    const counts = readers.map((c) => countListEnds(c));
    for (const c of readers) c.socket.resume();
    // each client either reads all its replies or finds its connection closed
    await Promise.all(readers.map((c, i) => Promise.race([counts[i]!.reach(n), c.closedWithin(30_000)])));
    const survivors = readers.filter((c) => !c.closed);
    expect(readers.length - survivors.length).toBe(droppedLines().length);
    expect(survivors.length).toBeGreaterThan(0);
    for (const c of survivors) expect(counts[readers.indexOf(c)]!.count).toBe(n);
  }, 60_000);

  it("stops answering a client that does not read, and resumes when it does", async () => {
    fx = await startFixture();
    const c = await open();
    c.socket.pause();
    const n = 8000; // 120 kB of requests asking for ~10 MB of replies
    c.write("LIST VAR dummy\n".repeat(n));
    await new Promise((r) => setTimeout(r, 500));
    // the server holds at most its limit plus one batch of replies for this client
    expect(fx.server.unsentOutputBytes).toBeLessThan(1024 * 1024);
    const ends = countListEnds(c);
    c.socket.resume();
    await ends.reach(n);
    expect(ends.count).toBe(n);
  }, 60_000);
});
