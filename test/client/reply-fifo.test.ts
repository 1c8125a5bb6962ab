import { describe, expect, it } from "vitest";
import { newPending, type Reply, type SendSpec } from "../../src/client/pending-request.js";
import { ReplyFifo } from "../../src/client/reply-fifo.js";
import { type NutConnectionError, NutReplyMismatchError } from "../../src/protocol/errors.js";

/**
 * The FIFO without a socket: its host records what it writes, hands over and fails; every request
 * takes a callback, so what each request got is known synchronously.
 */
function fifo(maxInFlight = 100) {
  const host = {
    written: [] as string[],
    failed: [] as string[],
    handedOver: [] as string[],
    idle: 0,
  };
  const f: ReplyFifo = new ReplyFifo(
    {
      write: (wire) => host.written.push(wire),
      fail: (err) => {
        const detail = (err as { detail?: string }).detail;
        host.failed.push(`${(err as NutConnectionError).code}: ${detail ?? err.message}`);
        f.failAll(err);
      },
      handOver: (rest) => host.handedOver.push(rest),
      idle: () => host.idle++,
    },
    maxInFlight,
  );
  const got: string[] = [];
  const send = (spec: SendSpec, handOver = false) => {
    const p = newPending(spec, undefined, handOver, undefined, (err, value) => {
      const detail = (err as { detail?: string } | undefined)?.detail;
      if (err) got.push(`${spec.label} failed: ${err.constructor.name}: ${detail ?? err.message}`);
      else if (Array.isArray(value))
        got.push(`${spec.label}: [${(value as Reply[]).map((r) => r.line).join(" | ")}]`);
      else if (typeof value === "string") got.push(`${spec.label}: ${value}`);
      else got.push(`${spec.label}: ${(value as Reply).line}`);
    });
    f.add(p, 0);
  };
  const getVar = (ups: string, name: string) =>
    send({
      line: `GET VAR ${ups} ${name}`,
      label: "GET VAR",
      expect: ["VAR"],
      echo: [ups, name],
      valueAfter: ["VAR", ups, name],
    });
  return { f, host, got, send, getVar };
}

describe("ReplyFifo", () => {
  it("matches replies to requests in order across any chunking, lists included", () => {
    const { f, host, got, send, getVar } = fifo();
    getVar("ups", "ups.status");
    send({ line: "LIST VAR ups", label: "LIST VAR", listQuery: ["VAR", "ups"] });
    getVar("ups", "battery.charge");
    const text =
      'VAR ups ups.status "OL"\nBEGIN LIST VAR ups\nVAR ups battery.charge "100"\nEND LIST VAR ups\nVAR ups battery.charge "97"\n';
    for (let i = 0; i < text.length; i += 7) f.read(text.slice(i, i + 7));
    expect(got).toEqual(["GET VAR: OL", 'LIST VAR: [VAR ups battery.charge "100"]', "GET VAR: 97"]);
    expect([host.written.length, host.idle, host.failed, f.length]).toEqual([3, 1, [], 0]);
  });

  it("writes at most maxInFlight requests ahead of their replies, the rest as replies make room", () => {
    const { f, host, getVar } = fifo(2);
    for (const v of ["a", "b", "c", "d"]) getVar("ups", v);
    expect(host.written).toEqual(["GET VAR ups a\n", "GET VAR ups b\n"]);
    f.read('VAR ups a "1"\n');
    expect(host.written).toEqual(["GET VAR ups a\n", "GET VAR ups b\n", "GET VAR ups c\n"]);
  });

  it("a reply that does not answer its request fails it and closes the connection for the rest", () => {
    const { f, host, got, getVar } = fifo();
    getVar("ups", "ups.status");
    getVar("ups", "battery.charge");
    f.read('VAR ups battery.charge "97"\nVAR ups ups.status "OL"\n');
    expect(got).toEqual([
      `GET VAR failed: ${NutReplyMismatchError.name}: reply does not answer GET VAR ups ups.status: VAR ups battery.charge "97"`,
      'GET VAR failed: NutConnectionError: Connection closed: a reply did not answer its request (reply does not answer GET VAR ups ups.status: VAR ups battery.charge "97"), later replies could not be matched',
    ]);
    expect(host.failed.map((l) => l.split(":")[0])).toEqual(["PROTOCOL-DESYNC"]);
    expect(f.length).toBe(0);
  });

  it("stops reading at a successful STARTTLS reply and hands over what came after it", () => {
    const { f, host, got, send } = fifo();
    send({ line: "STARTTLS", label: "STARTTLS" }, true);
    f.read("OK STARTTLS\n\x16\x03\x01");
    expect([got, host.handedOver]).toEqual([["STARTTLS: OK STARTTLS"], ["\x16\x03\x01"]]);
  });

  it("fails the connection on a reply line with no request, or longer than 64 KiB", () => {
    const a = fifo();
    a.f.read("OK\n");
    expect(a.host.failed).toEqual(["PROTOCOL-ERROR: reply with no request pending: OK"]);
    const b = fifo();
    b.getVar("ups", "ups.status");
    b.f.read("x".repeat(64 * 1024 + 1));
    expect(b.got).toEqual(["GET VAR failed: NutProtocolError: reply line longer than 65536 bytes"]);
  });
});
