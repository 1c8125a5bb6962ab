/**
 * Encoding words for NUT's line protocol and config files (the inverse of tokenizer.ts).
 *
 * NUT escapes exactly `\`, `"` and `#` with a backslash (`pconf_encode()`), and protects spaces by
 * quoting. Bytes outside 0x20..0x7E cannot be transported (upsd drops them), so the encoder refuses
 * them instead of letting them vanish silently. Pure: no I/O.
 */

const ESCAPED = /[\\"#]/g;
const BARE_WORD = /^[A-Za-z0-9._:/@+-]+$/;
const TRANSPORTABLE = /^[\x20-\x7e]*$/;

export class UnencodableValueError extends Error {
  readonly code = "UNENCODABLE-VALUE";
  constructor(readonly value: string) {
    super(
      `Value cannot be sent over the NUT protocol (control or non-ASCII characters): ${JSON.stringify(value)}`,
    );
    this.name = "UnencodableValueError";
  }
}

/** True when `value` contains only characters the protocol can carry (printable ASCII). */
export function isTransportable(value: string): boolean {
  return TRANSPORTABLE.test(value);
}

/** Backslash-escape `\`, `"` and `#` (NUT's PCONF_ESCAPE set); nothing else is touched. */
export function escapeValue(value: string): string {
  return value.replace(ESCAPED, (ch) => "\\" + ch);
}

/** A value as NUT writes it in replies: always in double quotes, escaped. */
export function quoteValue(value: string): string {
  assertTransportable(value);
  return '"' + escapeValue(value) + '"';
}

/** A word as a careful client sends it: bare when it is a plain token, otherwise quoted and escaped. */
export function encodeWord(word: string): string {
  // a bare word is printable ASCII, so one test settles the common case (hot path: every GET VAR)
  return BARE_WORD.test(word) ? word : quoteValue(word);
}

/** A command line (without the trailing LF): each word encoded, separated by single spaces. */
export function encodeCommand(words: readonly string[]): string {
  return words.map(encodeWord).join(" ");
}

function assertTransportable(value: string): void {
  if (!isTransportable(value)) throw new UnencodableValueError(value);
}
