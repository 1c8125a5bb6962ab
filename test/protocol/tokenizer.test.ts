import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeCommand, encodeWord, quoteValue, UnencodableValueError } from "../../src/protocol/encoder.js";
import { splitLine, Tokenizer, tokenizeText } from "../../src/protocol/tokenizer.js";

function words(line: string): string[] {
  return splitLine(line);
}

describe("tokenizer: NUT pconf parity", () => {
  it.each([
    ["GET VAR dummy ups.status", ["GET", "VAR", "dummy", "ups.status"]],
    ["GET  VAR\tdummy  ups.load extra", ["GET", "VAR", "dummy", "ups.load", "extra"]],
    [
      'VAR quirky device.description "Rack \\"A\\"  slot \\#3 \\\\ left"',
      ["VAR", "quirky", "device.description", 'Rack "A"  slot #3 \\ left'],
    ],
    ['SET VAR dummy ups.model ""', ["SET", "VAR", "dummy", "ups.model", ""]],
    ['GET VAR dummy "ups.status"x', ["GET", "VAR", "dummy", "ups.status", "x"]],
    ["GET VAR dummy ups\\.status", ["GET", "VAR", "dummy", "ups.status"]],
    ["GET VAR dummy ups.status # trailing comment", ["GET", "VAR", "dummy", "ups.status"]],
    ["GET VAR dummy=ups.status", ["GET", "VAR", "dummy", "=", "ups.status"]],
    ["a=b", ["a", "=", "b"]],
    ["VER\r", ["VER"]],
    ["GET VAR dummy ups.\x01status", ["GET", "VAR", "dummy", "ups.status"]],
    // upsd drops bytes above 0x7F; nutguard keeps text (the server then refuses the request)
    ["GET VAR dummy ups.st\u00e4atus", ["GET", "VAR", "dummy", "ups.st\u00e4atus"]],
    ["GET VAR dummy ups.sta\x7ftus", ["GET", "VAR", "dummy", "ups.sta\x7ftus"]],
    ["", []],
    ["   # only a comment", []],
  ])("%j splits like upsd", (line, expected) => {
    expect(words(line)).toEqual(expected);
  });

  it("rejects an unescaped # inside quotes as upsd does", () => {
    expect(() => words('GET VAR dummy "ups#status"')).toThrow("Unbalanced word due to unescaped # in quotes");
  });

  it("continues a quoted word across a newline, dropping the newline", () => {
    const t = new Tokenizer();
    expect(t.feed('GET VAR dummy "ups.status\n')).toEqual([]);
    expect(t.feed('x"\n')).toEqual([
      { kind: "line", words: ["GET", "VAR", "dummy", "ups.statusx"], lineNumber: 1 },
    ]);
  });

  it("assembles a line delivered one byte at a time", () => {
    const t = new Tokenizer();
    const out = [];
    for (const ch of 'VAR dummy ups.status "OL"\n') out.push(...t.feed(ch));
    expect(out).toEqual([{ kind: "line", words: ["VAR", "dummy", "ups.status", "OL"], lineNumber: 1 }]);
  });

  it.each([
    [
      "a template in UTF-8",
      'message = "Stromausfall – Batterie bei {charge} %"',
      ["message", "=", "Stromausfall – Batterie bei {charge} %"],
    ],
    ["outside the BMP (a surrogate pair)", "title = ⚡🔋", ["title", "=", "⚡🔋"]],
    ["escaped and bare", "x = Gr\\üße", ["x", "=", "Grüße"]],
    ["a control character is still dropped", 'x = "a\tb"', ["x", "=", "ab"]],
  ])("keeps text outside ASCII whole: %s", (_what, line, expected) => {
    expect(words(line)).toEqual(expected);
  });

  it("decodes bytes as UTF-8, across chunk boundaries; a malformed byte becomes U+FFFD, never nothing", () => {
    const bytes = Buffer.from('VAR ups device.location "Büro – Keller"\n');
    const t = new Tokenizer();
    const out = [];
    for (const b of bytes) out.push(...t.feed(Buffer.from([b])));
    expect(out).toEqual([
      { kind: "line", words: ["VAR", "ups", "device.location", "Büro – Keller"], lineNumber: 1 },
    ]);
    const latin1 = new Tokenizer().feed(Buffer.from("VAR ups x B\xfcro\n", "latin1"));
    expect(latin1).toEqual([{ kind: "line", words: ["VAR", "ups", "x", "B\ufffdro"], lineNumber: 1 }]);
    const cutShort = new Tokenizer();
    expect(cutShort.feed(Buffer.from([0x61, 0xe2, 0x80]))).toEqual([]);
    expect(cutShort.end()).toEqual({ kind: "line", words: ["a\ufffd"], lineNumber: 1 });
  });

  it("cuts a long word without splitting a surrogate pair", () => {
    const w = words(`GET ${"x".repeat(511)}🔋🔋`)[1]!;
    expect(w).toBe("x".repeat(511));
    expect(words(`GET ${"x".repeat(510)}🔋🔋`)[1]).toBe(`${"x".repeat(510)}🔋`);
  });

  it("cuts words at 512 characters and lines at 32 words", () => {
    const long = "x".repeat(600);
    expect(words(`GET ${long}`)[1]).toHaveLength(512);
    const many = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    expect(words(many)).toHaveLength(32);
  });

  it("numbers config lines and reports parse errors with their line", () => {
    const lines = tokenizeText('A 1\n\nB "x#y"\nC 3');
    expect(lines).toEqual([
      { kind: "line", words: ["A", "1"], lineNumber: 1 },
      { kind: "line", words: [], lineNumber: 2 },
      { kind: "error", message: "Unbalanced word due to unescaped # in quotes", lineNumber: 3 },
      { kind: "line", words: ["C", "3"], lineNumber: 4 },
    ]);
  });

  it("discards the rest of a chunk after a parse error when asked (upsd's behaviour)", () => {
    const t = new Tokenizer();
    const out = t.feed('GET VAR dummy "ups#status"\nVER\n', { discardRestOfChunkOnError: true });
    expect(out).toHaveLength(1);
    expect(out[0]!.kind).toBe("error");
    expect(t.feed("VER\n")).toEqual([{ kind: "line", words: ["VER"], lineNumber: 2 }]);
  });
});

describe("encoder", () => {
  it("escapes exactly backslash, quote and hash, and quotes values", () => {
    expect(quoteValue('a "b" \\ #c')).toBe('"a \\"b\\" \\\\ \\#c"');
    expect(quoteValue("")).toBe('""');
    expect(encodeWord("ups.status")).toBe("ups.status");
    expect(encodeWord("two words")).toBe('"two words"');
    expect(encodeCommand(["SET", "VAR", "ups", "x", ""])).toBe('SET VAR ups x ""');
  });

  it("refuses characters the protocol cannot carry", () => {
    expect(() => encodeWord("tab\there")).toThrow(UnencodableValueError);
    expect(() => encodeWord("caf\u00e9")).toThrow(UnencodableValueError);
  });

  it("round-trips any printable ASCII string through encode then decode", () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    });
    const special = fc.constantFrom("", " ", '"', "\\", "#", "=", '\\"', "a b", "# x", '""');
    fc.assert(
      fc.property(fc.oneof(printable, special), (value) => {
        expect(splitLine(`SET VAR ups var ${quoteValue(value)}`)).toEqual([
          "SET",
          "VAR",
          "ups",
          "var",
          value,
        ]);
        expect(splitLine(encodeCommand(["X", value]))).toEqual(["X", value]);
      }),
      { numRuns: 2000 },
    );
  });
});
