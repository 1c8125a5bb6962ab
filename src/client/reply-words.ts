/**
 * Splitting reply lines into words, fast: most upsd replies (`VAR ups ups.status "OL"`) use only
 * printable ASCII without `\`, `#` or `=`, and for those NUT's tokenizer reduces to "words are
 * separated by spaces; a double-quoted word ends at the next quote". This file does that by slicing
 * and hands every other line to the real tokenizer (src/protocol/tokenizer.ts). Property tests
 * check both give the same words on any line, and that quotedValueAfter (the value of an echoed
 * `VAR ups var "value"` reply, without splitting) gives the tokenizer's last word where it answers.
 *
 * Must not: change any tokenizer rule. When in doubt, return undefined and let the tokenizer decide.
 */

const MAX_WORD = 512;
const MAX_WORDS = 32;

/** Printable ASCII except `#` (comment), `=` (word of its own) and `\` (escape). */
function isSimple(c: number): boolean {
  return c >= 0x20 && c <= 0x7e && c !== 0x23 && c !== 0x3d && c !== 0x5c;
}

/**
 * The words of a simple reply line, or undefined when the line needs the full tokenizer.
 * One pass: every character is checked as it is scanned (hot path: every reply line).
 */
export function splitSimpleReply(line: string): string[] | undefined {
  const n = line.length;
  if (n > MAX_WORD) return undefined;
  const words: string[] = [];
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 0x20) {
      i++;
      continue;
    }
    let j = i + 1;
    if (c === 0x22) {
      while (j < n && line.charCodeAt(j) !== 0x22) {
        if (!isSimple(line.charCodeAt(j))) return undefined;
        j++;
      }
      if (j === n) return undefined; // unterminated quote: the tokenizer reports it
      words.push(line.slice(i + 1, j));
      i = j + 1;
    } else {
      if (!isSimple(c)) return undefined;
      while (j < n && line.charCodeAt(j) !== 0x20) {
        if (!isSimple(line.charCodeAt(j))) return undefined;
        j++;
      }
      words.push(line.slice(i, j));
      i = j;
    }
  }
  return words.length > MAX_WORDS ? undefined : words;
}

/**
 * The value of a reply that is `words` echoed (each a bare word, e.g. `["VAR", ups, varName]`), a
 * space and one double-quoted simple value: `VAR ups ups.status "OL"` gives `OL` without splitting
 * the line. Undefined for any other line (the caller then splits it in full). Where it answers,
 * the tokenizer's words for the line are `words` followed by that value. The line is
 * `text[from, to)`, so a reader can look at lines in its buffer without cutting them out first.
 */
export function quotedValueAfter(
  text: string,
  words: readonly string[],
  from = 0,
  to = text.length,
): string | undefined {
  if (to - from > MAX_WORD || to <= from || text.charCodeAt(to - 1) !== 0x22) return undefined;
  let i = from;
  // indexed loops on the hot paths: the interpreter (Node 24 --jitless, and any Node before its tier-up)
  // does not remove an iterator
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (w.length === 0 || !text.startsWith(w, i) || text.charCodeAt(i + w.length) !== 0x20) return undefined;
    i += w.length + 1;
  }
  const end = to - 1; // the closing quote
  if (i >= end || text.charCodeAt(i) !== 0x22) return undefined;
  for (let j = i + 1; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22 || !isSimple(c)) return undefined;
  }
  return text.slice(i + 1, end);
}
