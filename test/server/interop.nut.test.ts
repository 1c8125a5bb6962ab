/**
 * nutguard server against real NUT 2.8.0 clients, side by side with a real upsd serving the same
 * files: upsc, upscmd and upsrw print the same output; a real upsmon primary and secondary ride
 * through a simulated power failure on nutguard server (FSD, secondary leaves first, both
 * SHUTDOWNCMDs fire).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { RawClient, type ServerFixture, startFixture } from "./server-fixture.js";

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      // NUT's NSS build prints this at every start; it says nothing about the server
      resolve({ stdout, stderr: stderr.replace("Init SSL without certificate database\n", ""), code });
    });
  });
}

let real: NutStack;
let ours: ServerFixture;

beforeAll(async () => {
  [real, ours] = await Promise.all([startNutStack(), startFixture({ nutDescriptions: true })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([real?.stop(), ours?.stop()]);
});

/** Run a client against both servers; `{ups}` in args is replaced by `<ups>@127.0.0.1:<port>`. */
async function both(cmd: string, args: string[], ups = "dummy") {
  const at = (port: number) =>
    args.map((a) => a.replace("{ups}", `${ups}@127.0.0.1:${port}`).replace("{host}", `127.0.0.1:${port}`));
  const [r, o] = await Promise.all([run(cmd, at(real.port)), run(cmd, at(ours.port))]);
  // the driver's port parameter names each server's own file
  const scrub = (x: Run, dir: string) => ({
    ...x,
    stdout: x.stdout.replaceAll(dir, "<dir>").replaceAll("/etc/", "/"),
  });
  return { real: scrub(r, real.dir), ours: scrub(o, ours.dir) };
}

describe("real NUT clients see the same as with upsd", () => {
  it.each([
    ["upsc dummy", "upsc", ["{ups}"], "dummy"],
    ["upsc quirky (escaping)", "upsc", ["{ups}"], "quirky"],
    ["upsc one variable", "upsc", ["{ups}", "ups.status"], "dummy"],
    ["upsc unknown variable", "upsc", ["{ups}", "no.such"], "dummy"],
    ["upsc unknown UPS", "upsc", ["{ups}"], "nosuch"],
    ["upsc -l", "upsc", ["-l", "{host}"], "dummy"],
    ["upsc -L", "upsc", ["-L", "{host}"], "dummy"],
    ["upsc -c (no clients)", "upsc", ["-c", "{ups}"], "dummy"],
    ["upsrw listing", "upsrw", ["{ups}"], "dummy"],
    ["upsrw listing (quirky)", "upsrw", ["{ups}"], "quirky"],
    ["upscmd -l (dummy-ups registers load.off only)", "upscmd", ["-l", "{ups}"], "dummy"],
    [
      "upscmd load.on (not a dummy-ups command)",
      "upscmd",
      ["-u", "admin", "-p", "adminpass", "{ups}", "load.on"],
      "dummy",
    ],
    ["upscmd load.off", "upscmd", ["-u", "admin", "-p", "adminpass", "{ups}", "load.off"], "dummy"],
    ["upscmd wrong password", "upscmd", ["-u", "admin", "-p", "nope", "{ups}", "load.off"], "dummy"],
    ["upscmd unknown command", "upscmd", ["-u", "admin", "-p", "adminpass", "{ups}", "no.such.cmd"], "dummy"],
    ["upsrw set", "upsrw", ["-s", "ups.load=42", "-u", "admin", "-p", "adminpass", "{ups}"], "seq"],
    ["upsrw read-only", "upsrw", ["-s", "driver.name=x", "-u", "admin", "-p", "adminpass", "{ups}"], "dummy"],
    [
      "upsrw too long",
      "upsrw",
      ["-s", `ups.model=${"X".repeat(40)}`, "-u", "admin", "-p", "adminpass", "{ups}"],
      "dummy",
    ],
    [
      "upsrw unknown variable",
      "upsrw",
      ["-s", "no.such=1", "-u", "admin", "-p", "adminpass", "{ups}"],
      "dummy",
    ],
  ] as const)("%s", async (_name, cmd, args, ups) => {
    const r = await both(cmd, [...args], ups);
    expect(r.ours).toEqual(r.real);
  });

  it("upsc works over STARTTLS (NUT's NSS client, no certificate check)", async () => {
    const fx = await startFixture({ tls: true });
    try {
      const r = await run("upsc", [`dummy@127.0.0.1:${fx.port}`, "ups.status"]);
      expect(r).toMatchObject({ stdout: "OL\n", code: 0 });
      expect(r.stderr).toContain("SSL handshake done successfully with server 127.0.0.1");
    } finally {
      await fx.stop();
    }
  });

  it("with nutguard_instcmds = yes: upscmd -l lists the simulated commands, test.battery.start shows CAL", async () => {
    const fx = await startFixture({
      nutDescriptions: true,
      devices: { quirky: { ...DEFAULT_DEVICES.quirky, nutguardInstcmds: true } },
    });
    try {
      const list = await run("upscmd", ["-l", `quirky@127.0.0.1:${fx.port}`]);
      expect(list.stdout).toContain("load.off - Turn off the load immediately\n");
      expect(list.stdout).toContain("test.battery.start - Start a battery test\n");
      const r = await run("upscmd", [
        "-u",
        "admin",
        "-p",
        "adminpass",
        `quirky@127.0.0.1:${fx.port}`,
        "test.battery.start",
      ]);
      expect(r.code).toBe(0);
      const status = await run("upsc", [`quirky@127.0.0.1:${fx.port}`, "ups.status"]);
      expect(status.stdout).toBe("OL CAL\n");
    } finally {
      await fx.stop();
    }
  });
});

const POWER_FAIL_SEQ = `ups.mfr: Dummy Manufacturer
ups.model: Dummy Sequence UPS
ups.status: OL
battery.charge: 100
battery.runtime: 3600
TIMER 4
ups.status: OB DISCHRG
battery.charge: 60
battery.runtime: 1200
TIMER 3
ups.status: OB LB DISCHRG
battery.charge: 10
battery.runtime: 120
TIMER 600
`;

describe("real upsmon through a power failure on nutguard server", () => {
  it("primary sets FSD, the secondary shuts down and leaves first, then the primary shuts down", async () => {
    const fx = await startFixture({ devices: { ups: { seq: POWER_FAIL_SEQ } } });
    try {
      const system = `ups@127.0.0.1:${fx.port}`;
      const [secondary, primary] = await Promise.all([
        real.startUpsmon({ role: "secondary", system, hostsyncSec: 5 }),
        real.startUpsmon({ role: "primary", system, hostsyncSec: 5 }),
      ]);
      const fired = (path: string) => existsSync(path) && readFileSync(path, "utf8").includes("SHUTDOWNCMD");
      // with FINALDELAY 0, upsmon's SHUTDOWN notification (a forked NOTIFYCMD) races SHUTDOWNCMD
      const notified = (path: string) =>
        existsSync(path) && readFileSync(path, "utf8").includes("=SHUTDOWN ");
      await real.waitFor(
        async () =>
          fired(primary.shutdownLog) &&
          fired(secondary.shutdownLog) &&
          notified(primary.notifyLog) &&
          notified(secondary.notifyLog),
        40_000,
      );
      const when = (path: string) => Number.parseFloat(readFileSync(path, "utf8").split(" ")[0]!);
      expect(when(secondary.shutdownLog)).toBeLessThan(when(primary.shutdownLog));
      const primaryEvents = readFileSync(primary.notifyLog, "utf8");
      const secondaryEvents = readFileSync(secondary.notifyLog, "utf8");
      for (const t of ["ONBATT", "LOWBATT", "SHUTDOWN"]) expect(primaryEvents).toContain(`NOTIFYTYPE=${t}`);
      for (const t of ["ONBATT", "FSD", "SHUTDOWN"]) expect(secondaryEvents).toContain(`NOTIFYTYPE=${t}`);
      const c = await RawClient.connect(fx.port);
      try {
        expect(await c.ask("GET VAR ups ups.status")).toBe('VAR ups ups.status "FSD OB LB DISCHRG"');
      } finally {
        c.close();
      }
      await Promise.all([primary.stop(), secondary.stop()]);
    } finally {
      await fx.stop();
    }
  }, 60_000);
});

/** Send lines on one connection, one at a time, and collect each whole reply (a list up to END LIST). */
async function transcript(port: number, lines: string[]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    for (const line of lines) {
      c.write(line + "\n");
      const first = (await c.lines(1))[0]!;
      const reply = [first];
      if (first.startsWith("BEGIN LIST")) {
        while (!reply.at(-1)!.startsWith("END LIST")) reply.push(...(await c.lines(1)));
      }
      out.push(`${line} → ${reply.join("\n")}`);
    }
    return out;
  } finally {
    c.close();
  }
}

describe("raw transcripts: nutguard server replies byte for byte like upsd", () => {
  // fresh servers: the client tests above change values (load.off, test.battery.start, upsrw -s)
  let realFresh: NutStack;
  let oursFresh: ServerFixture;
  beforeAll(async () => {
    [realFresh, oursFresh] = await Promise.all([startNutStack(), startFixture({ nutDescriptions: true })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([realFresh?.stop(), oursFresh?.stop()]);
  });

  it.each([
    [
      "anonymous",
      [
        "VER",
        "NETVER",
        "PROTVER",
        "HELP",
        "LIST UPS",
        "list ups",
        "LIST VAR dummy",
        "LIST RW quirky",
        "LIST VAR nosuch",
        "GET VAR dummy ups.status",
        "GET VAR DUMMY UPS.STATUS",
        "Get Var dummy ups.status",
        "GET VAR dummy no.such.var",
        "GET VAR nosuch ups.status",
        "GET VAR nosuch server.version",
        "GET VAR dummy server.info",
        "GET VAR dummy server.nosuch",
        "GET UPSDESC quirky",
        "GET UPSDESC nosuch",
        "GET NUMLOGINS dummy",
        "GET NUMLOGINS",
        "GET TYPE dummy ups.status",
        "GET TYPE dummy ups.load",
        "GET TYPE dummy driver.name",
        "GET TYPE quirky ups.id",
        "GET TYPE quirky device.type",
        "GET TYPE dummy no.such.var",
        "GET DESC dummy ups.status",
        "GET DESC dummy no.such.var",
        "GET CMDDESC dummy load.off",
        "GET CMDDESC dummy no.such.cmd",
        "LIST ENUM dummy ups.status",
        "LIST ENUM dummy",
        "LIST RANGE dummy ups.load",
        "LIST RANGE dummy no.such.var",
        "LIST CLIENT dummy",
        "LIST CLIENT nosuch",
        "LIST",
        "GET",
        "GET VAR dummy",
        "FOO",
        "",
        "GET VAR quirky device.description",
        "GET VAR quirky ups.id",
        'GET VAR "dummy" "ups.status" extra words',
        'GET VAR dummy "ups.status"x',
        "GET VAR dummy ups\\.status",
        "GET VAR dummy=ups.status",
        "GET VAR dummy ups.status # comment",
        "NETVER extra",
        "LOGOUT now",
        "GET TRACKING",
        "GET TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263",
        "SET TRACKING maybe",
        "SET VAR dummy ups.load 50",
        "INSTCMD dummy load.off",
        "LOGIN dummy",
        "PRIMARY dummy",
        "FSD dummy",
        "USERNAME",
        "LOGOUT",
      ],
    ],
    [
      "upsmon primary registration",
      [
        "PASSWORD primarypass",
        "LOGIN dummy",
        "USERNAME monprimary",
        "USERNAME monprimary",
        "PASSWORD primarypass",
        "LOGIN nosuch",
        "LOGIN quirky",
        "LOGIN quirky",
        "GET NUMLOGINS quirky",
        "LIST CLIENT quirky",
        "PRIMARY quirky",
        "MASTER quirky",
        "PRIMARY nosuch",
        "SET VAR quirky ups.load 1",
        "INSTCMD quirky load.off",
        "SET TRACKING ON",
        "GET TRACKING",
        "SET TRACKING OFF",
        "FSD",
        "LOGOUT",
      ],
    ],
    [
      "admin errors",
      [
        "USERNAME admin",
        "PASSWORD wrongpass",
        "SET VAR dummy ups.load 1",
        "INSTCMD dummy load.off",
        "FSD dummy",
        "LOGIN dummy",
      ],
    ],
    [
      "admin SET checks",
      [
        "USERNAME admin",
        "PASSWORD adminpass",
        "SET VAR dummy no.such.var 1",
        "SET VAR nosuch ups.load 1",
        "SET VAR dummy driver.name x",
        "SET VAR dummy ups.load",
        `SET VAR dummy ups.model "${"X".repeat(40)}"`,
        "INSTCMD dummy no.such.cmd",
        "INSTCMD nosuch load.off",
        "INSTCMD dummy",
        "SET TRACKING",
        "FSD nosuch",
        "LOGIN dummy",
      ],
    ],
  ])("%s", async (_name, lines) => {
    const [r, o] = await Promise.all([transcript(realFresh.port, lines), transcript(oursFresh.port, lines)]);
    const scrub = (t: string[], dir: string) =>
      t.map((l) => l.replaceAll(dir, "<dir>").replaceAll("/etc/", "/"));
    expect(scrub(o, oursFresh.dir)).toEqual(scrub(r, realFresh.dir));
  });
});

/** Every variable in dummy-ups 2.8.0's own table (its nut_data[]), plus names it does not know. */
const DUMMY_UPS_TABLE =
  `ups.alarm ups.status ups.mfr ups.model ups.serial ups.load ups.time ups.date ups.mfr.date
ups.firmware ups.firmware.aux ups.temperature ups.id ups.delay.start ups.delay.reboot ups.delay.shutdown
ups.test.interval ups.test.result input.voltage input.voltage.maximum input.voltage.minimum input.voltage.nominal
input.transfer.reason input.transfer.low input.transfer.high input.sensitivity input.quality input.frequency
input.transfer.boost.low input.transfer.boost.high input.transfer.trim.low input.transfer.trim.high output.voltage
output.frequency output.current battery.charge battery.charge.low battery.voltage battery.current battery.runtime
battery.runtime.low battery.charge.restart battery.temperature battery.voltage.nominal ambient.temperature
ambient.temperature.alarm ambient.temperature.high ambient.temperature.low ambient.humidity ambient.humidity.alarm
ambient.humidity.high ambient.humidity.low device.mfr device.model device.serial device.type
outlet.1.status ups.beeper.status battery.type my.own.variable`.split(/\s+/);

describe("types, commands and tracking: nutguard server by default is upsd + dummy-ups", () => {
  const devices = {
    types: { dev: DUMMY_UPS_TABLE.map((n) => `${n}: ${n === "ups.status" ? "OL" : "1"}`).join("\n") + "\n" },
  };
  let realTypes: NutStack;
  let oursTypes: ServerFixture;
  beforeAll(async () => {
    [realTypes, oursTypes] = await Promise.all([
      startNutStack({ devices }),
      startFixture({ devices, nutDescriptions: true }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([realTypes?.stop(), oursTypes?.stop()]);
  });

  it("GET TYPE of every dummy-ups variable, LIST RW, LIST CMD, STARTTLS with arguments", async () => {
    const lines = [
      ...DUMMY_UPS_TABLE.map((n) => `GET TYPE types ${n}`),
      "GET TYPE types driver.name",
      "LIST RW types",
      "LIST CMD types",
      "GET CMDDESC types load.off",
      "STARTTLS",
      "STARTTLS now please",
    ];
    const [r, o] = await Promise.all([transcript(realTypes.port, lines), transcript(oursTypes.port, lines)]);
    expect(o).toEqual(r);
  });

  /** Log in as admin with TRACKING on, send `line`, and follow its tracking id until it is no longer PENDING. */
  async function tracked(port: number, line: string): Promise<string> {
    const c = await RawClient.connect(port);
    try {
      for (const l of ["USERNAME admin", "PASSWORD adminpass", "SET TRACKING ON"]) await c.ask(l);
      const reply = await c.ask(line);
      const m = /^OK TRACKING ([0-9A-F-]{36})$/.exec(reply);
      if (!m) return reply;
      let result = "PENDING";
      for (let i = 0; i < 100 && result === "PENDING"; i++) {
        result = await c.ask(`GET TRACKING ${m[1]}`);
        if (result === "PENDING") await new Promise((w) => setTimeout(w, 100));
      }
      return `OK TRACKING <id> → ${result}; status ${await c.ask("GET VAR types ups.status")}`;
    } finally {
      c.close();
    }
  }

  it.each([
    "INSTCMD types load.off",
    "INSTCMD types load.on",
    "INSTCMD types test.battery.start",
    "INSTCMD types test.battery.stop",
    "SET VAR types ambient.temperature 30",
    `SET VAR types ambient.humidity ${"9".repeat(40)}`,
    `SET VAR types ups.id ${"X".repeat(17)}`,
  ])("tracked %s ends as with upsd", async (line) => {
    const [r, o] = await Promise.all([tracked(realTypes.port, line), tracked(oursTypes.port, line)]);
    expect(o).toEqual(r);
  });
});
