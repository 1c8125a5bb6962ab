import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { client, makeModel } from "./model-fixture.js";

/** Replays a 2.8.0 transcript (protocol.md §13): each pair is [request, exact reply]. */
function replay(c: ReturnType<typeof client>, pairs: [string, string][]) {
  for (const [request, expected] of pairs)
    expect(`${request} → ${c.send(request)}`).toBe(`${request} → ${expected}`);
}

const VER = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/";

describe("session: anonymous requests (transcript §13.1)", () => {
  it("answers informational commands, GET, LIST and auth errors like upsd 2.8.0", () => {
    const c = client(makeModel());
    replay(c, [
      ["VER", VER],
      ["NETVER", "1.3"],
      ["PROTVER", "1.3"],
      ["HELP", "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS"],
      [
        "LIST UPS",
        'BEGIN LIST UPS\nUPS dummy "dummy-ups in dummy-once mode"\nUPS seq "dummy-ups sequence OL -> OB -> OB LB"\nUPS quirky "values with \\"quotes\\", \\\\ and spaces"\nEND LIST UPS',
      ],
      ["LIST VAR nosuch", "ERR UNKNOWN-UPS"],
      ["GET VAR dummy ups.status", 'VAR dummy ups.status "OL"'],
      ["GET VAR dummy no.such.var", "ERR VAR-NOT-SUPPORTED"],
      ["GET VAR nosuch ups.status", "ERR UNKNOWN-UPS"],
      ["GET UPSDESC dummy", 'UPSDESC dummy "dummy-ups in dummy-once mode"'],
      ["GET NUMLOGINS dummy", "NUMLOGINS dummy 0"],
      ["GET TYPE dummy ups.status", "TYPE dummy ups.status RW STRING:32"],
      ["GET TYPE dummy ups.load", "TYPE dummy ups.load RW NUMBER"],
      ["GET TYPE dummy driver.name", "TYPE dummy driver.name NUMBER"],
      ["GET TYPE dummy no.such.var", "ERR VAR-NOT-SUPPORTED"],
      ["GET DESC dummy ups.status", 'DESC dummy ups.status "UPS status"'],
      ["GET DESC dummy device.mfr", 'DESC dummy device.mfr "Description unavailable"'],
      ["GET DESC dummy no.such.var", 'DESC dummy no.such.var "Description unavailable"'],
      ["GET CMDDESC dummy load.off", 'CMDDESC dummy load.off "Turn off the load immediately"'],
      ["LIST ENUM dummy ups.status", "BEGIN LIST ENUM dummy ups.status\nEND LIST ENUM dummy ups.status"],
      ["LIST ENUM dummy no.such.var", "ERR VAR-NOT-SUPPORTED"],
      ["LIST RANGE dummy ups.load", "BEGIN LIST RANGE dummy ups.load\nEND LIST RANGE dummy ups.load"],
      ["LIST RANGE dummy no.such.var", "ERR VAR-NOT-SUPPORTED"],
      ["LIST CLIENT dummy", "BEGIN LIST CLIENT dummy\nEND LIST CLIENT dummy"],
      ["LIST", "ERR INVALID-ARGUMENT"],
      ["GET", "ERR INVALID-ARGUMENT"],
      ["GET VAR dummy", "ERR INVALID-ARGUMENT"],
      ["FOO", "ERR UNKNOWN-COMMAND"],
      ["SET VAR dummy ups.load 50", "ERR USERNAME-REQUIRED"],
      ["INSTCMD dummy load.off", "ERR USERNAME-REQUIRED"],
      ["LOGIN dummy", "ERR USERNAME-REQUIRED"],
      ["FSD dummy", "ERR USERNAME-REQUIRED"],
      ["STARTTLS", "ERR FEATURE-NOT-CONFIGURED"],
      ["STARTTLS with arguments", "ERR FEATURE-NOT-CONFIGURED"], // upsd ignores its arguments
      ["LOGOUT", "OK Goodbye"],
    ]);
    expect(c.closed).toBe(true);
  });

  it("lists variables sorted by name with the driver's own variables", () => {
    const c = client(makeModel());
    const lines = c.send("LIST VAR dummy").split("\n");
    expect(lines[0]).toBe("BEGIN LIST VAR dummy");
    expect(lines.at(-1)).toBe("END LIST VAR dummy");
    expect(lines.slice(1, -1)).toEqual([
      'VAR dummy battery.charge "100"',
      'VAR dummy battery.charge.low "20"',
      'VAR dummy battery.runtime "3600"',
      'VAR dummy device.mfr "Dummy Manufacturer"',
      'VAR dummy device.model "Dummy UPS 1500"',
      'VAR dummy device.serial "DUMMY0001"',
      'VAR dummy device.type "ups"',
      'VAR dummy driver.name "dummy-ups"',
      'VAR dummy driver.parameter.mode "dummy-once"',
      'VAR dummy driver.parameter.pollinterval "2"',
      'VAR dummy driver.parameter.port "/nut/etc/dummy.dev"',
      'VAR dummy driver.parameter.synchronous "auto"',
      'VAR dummy driver.version "2.8.0"',
      'VAR dummy driver.version.internal "0.15"',
      'VAR dummy input.transfer.high "264"',
      'VAR dummy input.transfer.low "184"',
      'VAR dummy input.voltage "230.0"',
      'VAR dummy output.voltage "230.0"',
      'VAR dummy ups.delay.shutdown "20"',
      'VAR dummy ups.delay.start "30"',
      'VAR dummy ups.load "25"',
      'VAR dummy ups.mfr "Dummy Manufacturer"',
      'VAR dummy ups.model "Dummy UPS 1500"',
      'VAR dummy ups.status "OL"',
    ]);
    expect(c.send("LIST RW dummy").split("\n")).not.toContain('RW dummy driver.name "dummy-ups"');
    expect(c.send("LIST RW dummy").split("\n")).toContain('RW dummy ups.load "25"');
  });
});

describe("session: authentication and rights (§13.2, §13.3)", () => {
  it("never checks PASSWORD itself; a wrong password is ACCESS-DENIED on use", () => {
    replay(client(makeModel()), [
      ["USERNAME admin", "OK"],
      ["PASSWORD wrongpass", "OK"],
      ["SET VAR dummy ups.load 1", "ERR ACCESS-DENIED"],
      ["INSTCMD dummy load.off", "ERR ACCESS-DENIED"],
      ["FSD dummy", "ERR ACCESS-DENIED"],
      ["LOGOUT", "OK Goodbye"],
    ]);
  });

  it("registers an upsmon primary: LOGIN counts in NUMLOGINS and LIST CLIENT until the connection closes", () => {
    const model = makeModel();
    const c = client(model);
    replay(c, [
      ["USERNAME monprimary", "OK"],
      ["USERNAME monprimary", "ERR ALREADY-SET-USERNAME"],
      ["PASSWORD primarypass", "OK"],
      ["PASSWORD primarypass", "ERR ALREADY-SET-PASSWORD"],
      ["LOGIN dummy", "OK"],
      ["LOGIN dummy", "ERR ALREADY-LOGGED-IN"],
      ["GET NUMLOGINS dummy", "NUMLOGINS dummy 1"],
      ["LIST CLIENT dummy", "BEGIN LIST CLIENT dummy\nCLIENT dummy 127.0.0.1\nEND LIST CLIENT dummy"],
      ["PRIMARY dummy", "OK PRIMARY-GRANTED"],
      ["MASTER dummy", "OK MASTER-GRANTED"],
      ["SET VAR dummy ups.load 1", "ERR ACCESS-DENIED"],
      ["LOGOUT", "OK Goodbye"],
    ]);
    const other = client(model);
    expect(other.send("GET NUMLOGINS dummy")).toBe("NUMLOGINS dummy 1");
    c.disconnect();
    expect(other.send("GET NUMLOGINS dummy")).toBe("NUMLOGINS dummy 0");
  });

  it("lets a secondary LOGIN but not claim PRIMARY or FSD", () => {
    replay(client(makeModel()), [
      ["USERNAME monsecondary", "OK"],
      ["PASSWORD secondarypass", "OK"],
      ["LOGIN seq", "OK"],
      ["PRIMARY seq", "ERR ACCESS-DENIED"],
      ["FSD seq", "ERR ACCESS-DENIED"],
    ]);
  });
});

describe("session: SET, INSTCMD, TRACKING, FSD (§13.4, §13.5)", () => {
  it("applies SET, checks RW and length, tracks results, latches FSD", () => {
    const model = makeModel();
    replay(client(model), [
      ["USERNAME admin", "OK"],
      ["PASSWORD adminpass", "OK"],
      ["SET VAR dummy ups.load 55", "OK"],
      ["GET VAR dummy ups.load", 'VAR dummy ups.load "55"'],
      ['SET VAR dummy ups.model "Quoted Model Name"', "OK"],
      ["GET VAR dummy ups.model", 'VAR dummy ups.model "Quoted Model Name"'],
      ["SET VAR dummy no.such.var 1", "ERR VAR-NOT-SUPPORTED"],
      ["SET VAR nosuch ups.load 1", "ERR UNKNOWN-UPS"],
      ["SET VAR dummy driver.name x", "ERR READONLY"],
      ["SET VAR dummy ups.load", "ERR INVALID-ARGUMENT"],
      [`SET VAR dummy ups.model "${"X".repeat(40)}"`, "ERR TOO-LONG"],
      ["SET VAR dummy ups.load abc", "OK"],
      ["INSTCMD dummy load.off", "OK"],
      ["INSTCMD dummy no.such.cmd", "ERR CMD-NOT-SUPPORTED"],
      ["GET TRACKING", "OFF"],
      ["SET TRACKING", "ERR INVALID-ARGUMENT"],
      ["SET TRACKING maybe", "ERR INVALID-ARGUMENT"],
      ["SET TRACKING ON", "OK"],
      ["GET TRACKING", "ON"],
      ["SET VAR dummy ups.load 60", "OK TRACKING 00000000-0000-4000-8000-000000000001"],
      ["GET TRACKING 00000000-0000-4000-8000-000000000001", "SUCCESS"],
      ["get tracking 00000000-0000-4000-8000-000000000001", "SUCCESS"],
      ["GET TRACKING 00000000-0000-0000-0000-000000000000", "ERR UNKNOWN"],
      // dummy-ups answers load.off as unknown: upsd says OK, the tracked result is ERR UNKNOWN
      ["INSTCMD dummy load.off", "OK TRACKING 00000000-0000-4000-8000-000000000002"],
      ["GET TRACKING 00000000-0000-4000-8000-000000000002", "ERR UNKNOWN"],
      ["INSTCMD dummy load.on", "ERR CMD-NOT-SUPPORTED"],
      ["INSTCMD dummy test.battery.start", "ERR CMD-NOT-SUPPORTED"],
      ["SET TRACKING OFF", "OK"],
      ["GET TRACKING 00000000-0000-4000-8000-000000000001", "ERR FEATURE-NOT-CONFIGURED"],
      ["LOGIN dummy", "ERR ACCESS-DENIED"],
      ["GET VAR dummy ups.status", 'VAR dummy ups.status "OL"'],
      ["FSD nosuch", "ERR UNKNOWN-UPS"],
      ["FSD dummy", "OK FSD-SET"],
      ["GET VAR dummy ups.status", 'VAR dummy ups.status "FSD OL"'],
      ['SET VAR dummy ups.model ""', "OK"],
      ["GET VAR dummy ups.model", "ERR VAR-NOT-SUPPORTED"],
      ["INSTCMD nosuch load.off", "ERR UNKNOWN-UPS"],
      ["INSTCMD dummy", "ERR INVALID-ARGUMENT"],
      ["FSD", "ERR INVALID-ARGUMENT"],
    ]);
    // the latch is per UPS and seen by every connection, in GET and in LIST VAR
    const other = client(model);
    expect(other.send("LIST VAR dummy")).toContain('VAR dummy ups.status "FSD OL"');
    expect(other.send("GET VAR seq ups.status")).toBe('VAR seq ups.status "OL"');
  });

  it("with nutguard_instcmds: CAL during a battery test, OFF after load.off, tracked as SUCCESS", () => {
    replay(client(makeModel(0, { commandEffects: true })), [
      ["USERNAME admin", "OK"],
      ["PASSWORD adminpass", "OK"],
      [
        "LIST CMD dummy",
        "BEGIN LIST CMD dummy\nCMD dummy load.off\nCMD dummy load.on\nCMD dummy test.battery.start\nCMD dummy test.battery.stop\nEND LIST CMD dummy",
      ],
      ["INSTCMD dummy test.battery.start", "OK"],
      ["GET VAR dummy ups.status", 'VAR dummy ups.status "OL CAL"'],
      ["INSTCMD dummy test.battery.stop", "OK"],
      ["INSTCMD dummy load.off", "OK"],
      ["GET VAR dummy ups.status", 'VAR dummy ups.status "OL OFF"'],
      ["INSTCMD dummy load.on", "OK"],
      ["GET VAR dummy ups.status", 'VAR dummy ups.status "OL"'],
      ["SET TRACKING ON", "OK"],
      ["INSTCMD dummy load.off", "OK TRACKING 00000000-0000-4000-8000-000000000001"],
      ["GET TRACKING 00000000-0000-4000-8000-000000000001", "SUCCESS"],
    ]);
  });

  it("needs the instcmd right for INSTCMD", () => {
    replay(client(makeModel()), [
      ["USERNAME monprimary", "OK"],
      ["PASSWORD primarypass", "OK"],
      ["INSTCMD dummy load.off", "ERR ACCESS-DENIED"],
    ]);
  });
});

describe("session: escaping, name case, server.*, arity (§13.6)", () => {
  it("matches upsd 2.8.0 reply for reply", () => {
    replay(client(makeModel()), [
      ["GET UPSDESC quirky", 'UPSDESC quirky "values with \\"quotes\\", \\\\ and spaces"'],
      ["GET UPSDESC nosuch", "ERR UNKNOWN-UPS"],
      [
        "GET VAR quirky device.description",
        'VAR quirky device.description "Rack \\"A\\"  slot \\#3 \\\\ left"',
      ],
      ["GET VAR quirky ups.id", 'VAR quirky ups.id "multi word value"'],
      ["GET VAR DUMMY ups.status", 'VAR DUMMY ups.status "OL"'],
      ["LIST CMD Dummy", "BEGIN LIST CMD Dummy\nCMD Dummy load.off\nEND LIST CMD Dummy"],
      ["GET VAR dummy UPS.STATUS", 'VAR dummy UPS.STATUS "OL"'],
      ["Get Var dummy ups.status", 'VAR dummy ups.status "OL"'],
      ["GET VAR nosuch server.version", 'VAR nosuch server.version "2.8.0"'],
      ["GET VAR dummy server.info", `VAR dummy server.info "${VER}"`],
      ["GET VAR dummy server.nosuch", "ERR VAR-NOT-SUPPORTED"],
      ["GET VAR dummy ups.status # trailing comment", 'VAR dummy ups.status "OL"'],
      ["GET VAR dummy=ups.status", "ERR VAR-NOT-SUPPORTED"],
      ['GET VAR "dummy" "ups.status" extra words are ignored', 'VAR dummy ups.status "OL"'],
      ['GET VAR dummy "ups.status"x', 'VAR dummy ups.status "OL"'],
      ["GET VAR dummy ups\\.status", 'VAR dummy ups.status "OL"'],
      ["", "ERR UNKNOWN-COMMAND"],
      ["NETVER extra", "ERR INVALID-ARGUMENT"],
      ["USERNAME", "ERR INVALID-ARGUMENT"],
      ["LOGOUT now", "ERR INVALID-ARGUMENT"],
      ["GET TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263", "ERR FEATURE-NOT-CONFIGURED"],
      ["SET TRACKING maybe", "ERR USERNAME-REQUIRED"],
      ["GET NUMLOGINS", "ERR INVALID-ARGUMENT"],
      ["GET NUMLOGINS nosuch", "ERR UNKNOWN-UPS"],
      ["LIST RW nosuch", "ERR UNKNOWN-UPS"],
      ["LIST ENUM dummy", "ERR INVALID-ARGUMENT"],
      ["LIST CLIENT nosuch", "ERR UNKNOWN-UPS"],
      ["PRIMARY dummy", "ERR USERNAME-REQUIRED"],
      ["PASSWORD only-password", "OK"],
      ["LOGIN dummy", "ERR USERNAME-REQUIRED"],
      ['USERNAME "two words"', "OK"],
      ["GET CMDDESC dummy no.such.cmd", 'CMDDESC dummy no.such.cmd "Description unavailable"'],
      ["LOGOUT", "OK Goodbye"],
    ]);
  });

  it("cuts reply lines at 512 bytes as upsd does", () => {
    const c = client(makeModel());
    const name = "v".repeat(600);
    expect(c.send(`GET DESC dummy ${name}`)).toBe(`DESC dummy ${name}`.slice(0, 512));
  });
});

describe("session: a driver that is not running", () => {
  it("answers DRIVER-NOT-CONNECTED for data, but LIST UPS, NUMLOGINS and LIST CLIENT still work", () => {
    const model = makeModel();
    model
      .findUps("dummy")!
      .sim.loadFile({ error: "Can't open /nut/etc/dummy.dev: No such file or directory" }, 0);
    const c = client(model);
    expect(c.send("GET VAR dummy ups.status")).toBe("ERR DRIVER-NOT-CONNECTED");
    expect(c.send("LIST VAR dummy")).toBe("ERR DRIVER-NOT-CONNECTED");
    expect(c.send("GET NUMLOGINS dummy")).toBe("NUMLOGINS dummy 0");
    expect(c.send("LIST CLIENT dummy")).toBe("BEGIN LIST CLIENT dummy\nEND LIST CLIENT dummy");
    expect(c.send("LIST UPS")).toContain("UPS dummy");
  });
});

describe("session: any request gets exactly one answer", () => {
  const command = fc.constantFrom(
    "GET",
    "LIST",
    "SET",
    "INSTCMD",
    "USERNAME",
    "PASSWORD",
    "LOGIN",
    "LOGOUT",
    "PRIMARY",
    "MASTER",
    "FSD",
    "VER",
    "HELP",
    "STARTTLS",
    "TRACKING",
    "x",
  );
  const word = fc.oneof(
    fc.constantFrom(
      "VAR",
      "TYPE",
      "DESC",
      "CMDDESC",
      "UPSDESC",
      "NUMLOGINS",
      "TRACKING",
      "RW",
      "CMD",
      "ENUM",
      "RANGE",
      "CLIENT",
      "UPS",
      "ON",
      "OFF",
    ),
    fc.constantFrom(
      "dummy",
      "seq",
      "quirky",
      "nosuch",
      "ups.status",
      "ups.load",
      "driver.name",
      "load.off",
      "admin",
      "adminpass",
      "",
    ),
    fc.string({ maxLength: 40 }),
  );

  it("never throws, answers one line or one framed list, each line at most 512 bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(command, fc.array(word, { maxLength: 5 })), { maxLength: 30 }),
        (requests) => {
          const c = client(makeModel());
          for (const [cmd, args] of requests) {
            if (c.closed) break;
            const lines = c
              .send(
                [cmd, ...args]
                  .map((w) => `"${w.replace(/[\\"#]/g, "\\$&").replace(/[^\x20-\x7e]/g, "")}"`)
                  .join(" "),
              )
              .split("\n");
            expect(lines[0]).not.toBe("");
            expect(lines.every((l) => l.length <= 512)).toBe(true);
            if (lines.length > 1) {
              expect(lines[0]).toMatch(/^BEGIN LIST /);
              expect(lines.at(-1)).toBe(`END ${lines[0]!.slice("BEGIN ".length)}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
