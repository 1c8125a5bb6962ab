/**
 * upsc's JSON output (NUT 2.8.5+, `upsc -j`), byte for byte: two-space indentation, every value a
 * JSON string, escaping as NUT's `json_print_esc()` (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
 * `\u00XX` for other control characters; nothing else). Pure: builds strings, prints nothing.
 */

export function jsonEscape(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out;
}

const q = (s: string): string => `"${jsonEscape(s)}"`;

/** `{\n  "k": "v",\n  ...\n}\n`; `{\n\n}\n` when empty (NUT prints the newlines regardless). */
export function jsonObject(entries: ReadonlyArray<readonly [string, string]>): string {
  return `{\n${entries.map(([k, v]) => `  ${q(k)}: ${q(v)}`).join(",\n")}\n}\n`;
}

/** `[\n  "a",\n  "b"\n]\n`; `[\n\n]\n` when empty. */
export function jsonArray(items: readonly string[]): string {
  return `[\n${items.map((v) => `  ${q(v)}`).join(",\n")}\n]\n`;
}

/** `"value"\n` */
export function jsonString(value: string): string {
  return `${q(value)}\n`;
}

/** The one-line error object upsc prints when nothing else was printed yet: `{"error": "<msg>"}\n`. */
export function jsonError(message: string): string {
  return `{"error": ${q(message)}}\n`;
}

/** The error inside an already opened object (upsc -j <ups> after `{\n`): `{\n  "error": "<msg>"\n}\n`. */
export function jsonErrorInObject(message: string): string {
  return `{\n  "error": ${q(message)}\n}\n`;
}
