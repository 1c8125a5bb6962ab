import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quotedValueAfter, splitSimpleReply } from "../../src/client/reply-words.js";
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

describe("quotedValueAfter: the value of an echoed reply, without splitting the line", () => {
  const ask = ["VAR", "dummy", "ups.status"];
  it.each([
    ['VAR dummy ups.status "OL"', "OL"],
    ['VAR dummy ups.status "OL CHRG"', "OL CHRG"],
    ['VAR dummy ups.status ""', ""],
    ['VAR dummy ups.status "a"b"', undefined], // a second quote: the tokenizer decides
    ['VAR dummy ups.status "x\\"', undefined], // an escape
    ['VAR dummy ups.status "#1"', undefined],
    ['VAR dummy ups.status "', undefined],
    ["VAR dummy ups.status OL", undefined],
    ['VAR dummy ups.load "OL"', undefined], // another variable
    ['VAR dummy  ups.status "OL"', undefined],
    ['VAR dummy ups.status "OL" x"', undefined],
    ["ERR VAR-NOT-SUPPORTED", undefined],
    ["", undefined],
  ])("%j", (line, value) => {
    expect(quotedValueAfter(line, ask)).toBe(value);
    if (value !== undefined) expect(splitLine(line)).toEqual([...ask, value]);
  });

  it("where it answers, the tokenizer gives the echoed words and that value (property)", () => {
    const bareWord = fc.stringMatching(/^[A-Za-z0-9._:/@+-]{1,6}$/);
    const char = fc.constantFrom(" ", '"', "a", "B", "7", ".", "#", "=", "\\", "\t", "\u00e9");
    const randomTail = fc.array(char, { maxLength: 20 }).map((cs) => cs.join(""));
    const simpleValue = fc.array(fc.constantFrom(" ", "a", "B", "7", "."), { maxLength: 8 });
    const tail = fc.oneof(
      randomTail,
      simpleValue.map((cs) => `${cs.join("")}"`),
    );
    let answered = 0;
    fc.assert(
      fc.property(
        fc.array(bareWord, { minLength: 1, maxLength: 3 }),
        tail,
        fc.boolean(),
        (words, rest, echo) => {
          // half the lines echo the words and then go on at random, half are random altogether
          const line = echo ? `${words.join(" ")} "${rest}` : rest;
          const value = quotedValueAfter(line, words);
          // the same line inside a read buffer, between other lines, gives the same answer
          const buffer = `${rest}\n${line}\n${words.join(" ")} "x"`;
          expect(quotedValueAfter(buffer, words, rest.length + 1, rest.length + 1 + line.length)).toBe(value);
          if (value === undefined) return;
          answered++;
          expect(splitLine(line)).toEqual([...words, value]);
        },
      ),
      { numRuns: 5000 },
    );
    expect(answered).toBeGreaterThan(500);
  });
});
