/**
 * Splitting reply lines into words, fast: most upsd replies (`VAR ups ups.status "OL"`) use only
 * printable ASCII without `\`, `#` or `=`, and for those NUT's tokenizer reduces to "words are
 * separated by spaces; a double-quoted word ends at the next quote". This file does that by slicing
 * and hands every other line to the real tokenizer (src/protocol/tokenizer.ts). A property test
 * checks both give the same words on any line.
 *
 * Must not: change any tokenizer rule. When in doubt, return undefined and let the tokenizer decide.
 */

/** Printable ASCII except `#` (comment), `=` (word of its own) and `\` (escape). */
const SIMPLE_LINE = /^[\x20-\x22\x24-\x3c\x3e-\x5b\x5d-\x7e]*$/;
const MAX_WORD = 512;
const MAX_WORDS = 32;

/** The words of a simple reply line, or undefined when the line needs the full tokenizer. */
export function splitSimpleReply(line: string): string[] | undefined {
  if (line.length > MAX_WORD || !SIMPLE_LINE.test(line)) return undefined;
  const words: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 0x20) {
      i++;
    } else if (c === 0x22) {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return undefined; // unterminated quote: the tokenizer reports it
      words.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i + 1;
      while (j < n && line.charCodeAt(j) !== 0x20) j++;
      words.push(line.slice(i, j));
      i = j;
    }
  }
  return words.length > MAX_WORDS ? undefined : words;
}
