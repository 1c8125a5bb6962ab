import { describe, expect, it } from "vitest";
import { splitAddr, splitName } from "../../src/protocol/upsname.js";

describe("splitName / splitAddr (libupsclient parity)", () => {
  it("defaults the host to localhost and the port to 3493", () => {
    expect(splitName("dummy")).toEqual({
      ok: true,
      value: { upsname: "dummy", host: "localhost", port: 3493 },
    });
    expect(splitName("dummy@10.0.0.1")).toEqual({
      ok: true,
      value: { upsname: "dummy", host: "10.0.0.1", port: 3493 },
    });
  });

  it("reads ports and bracketed IPv6 literals", () => {
    expect(splitName("ups@127.0.0.1:4000")).toEqual({
      ok: true,
      value: { upsname: "ups", host: "127.0.0.1", port: 4000 },
    });
    expect(splitAddr("[::1]:4001")).toEqual({ ok: true, value: { host: "::1", port: 4001 } });
    expect(splitAddr("[::1]")).toEqual({ ok: true, value: { host: "::1", port: 3493 } });
  });

  it("rejects what NUT rejects, with NUT's diagnostic", () => {
    expect(splitName(undefined)).toEqual({
      ok: false,
      diagnostic: "upscli_splitname: can't parse empty string",
    });
    expect(splitName("@host")).toMatchObject({
      ok: false,
      diagnostic: "upscli_splitname: got empty upsname string",
    });
    expect(splitName("ups:3493")).toMatchObject({
      ok: false,
      diagnostic: "upscli_splitname: port specified, but not a hostname",
    });
    expect(splitName("dummy@")).toMatchObject({ ok: false });
    for (const bad of ["host:", "host:0", "host:abc", "host:70000"]) {
      expect(splitAddr(bad)).toEqual({
        ok: false,
        diagnostic: "upscli_splitaddr: no port number specified after ':' separator",
      });
    }
    expect(splitAddr("[::1")).toMatchObject({ ok: false });
  });

  it("takes a port with trailing junk as strtol does", () => {
    expect(splitAddr("h:80x")).toEqual({ ok: true, value: { host: "h", port: 80 } });
  });
});
