import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitSimpleReply } from "../../src/client/reply-words.js";
import { splitLine } from "../../src/protocol/tokenizer.js";

describe("splitSimpleReply: the tokenizer's answer, faster, for simple reply lines", () => {
  it.each([
    ['VAR dummy ups.status "OL"', ["VAR", "dummy", "ups.status", "OL"]],
    ['UPS quirky "two  words"', ["UPS", "quirky", "two  words"]],
    ['SET VAR dummy ups.model ""', ["SET", "VAR", "dummy", "ups.model", ""]],
    ['a"b "c"d', ['a"b', "c", "d"]],
    ["  OK   ", ["OK"]],
  ])("%j", (line, words) => {
    expect(splitSimpleReply(line)).toEqual(words);
    expect(splitLine(line)).toEqual(words);
  });

  it("leaves lines with escapes, comments, = or an open quote to the tokenizer", () => {
    for (const line of ['VAR a b "x\\"y"', "A # c", "a=b", 'VAR a "open', "caf\u00e9", "a\tb"]) {
      expect(splitSimpleReply(line)).toBeUndefined();
    }
  });

  it("agrees with the tokenizer on any line (property)", () => {
    const alphabet = fc.constantFrom(" ", " ", '"', '"', "a", "B", "7", ".", "#", "=", "\\", "\t", "\u00e9");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 80 }), (chars) => {
        const line = chars.join("");
        const fast = splitSimpleReply(line);
        if (fast === undefined) return;
        expect(fast).toEqual(splitLine(line));
      }),
      { numRuns: 5000 },
    );
    const manyWords = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    expect(splitSimpleReply(manyWords)).toBeUndefined();
    expect(splitSimpleReply(`x ${"y".repeat(600)}`)).toBeUndefined();
  });
});
