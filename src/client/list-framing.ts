/**
 * How the lines of a LIST reply are recognised, as libupsclient checks them: `BEGIN LIST <query>`
 * (case-insensitive) or `ERR …` first, then items that start with the query words, then `END LIST`
 * (compared case-sensitively) followed by the query words (case-insensitive; stricter than
 * libupsclient, which accepts any `END LIST`). Pure: no I/O.
 */

export type ListLine = "error" | "begin" | "item" | "end" | "unexpected";

/** What a reply line is for a LIST `query` (the words after LIST), before or after its BEGIN line. */
export function classifyListLine(
  words: readonly string[],
  query: readonly string[],
  begun: boolean,
): ListLine {
  if (!begun) {
    if (words[0] === "ERR") return "error";
    const isBegin =
      words[0]?.toUpperCase() === "BEGIN" &&
      words[1]?.toUpperCase() === "LIST" &&
      startsWith(words, 2, query);
    return isBegin ? "begin" : "unexpected";
  }
  if (words[0] === "END" && words[1] === "LIST") {
    // libupsclient stops at any `END LIST`; upsd always echoes the query there, and an END for
    // another query means the replies are out of step
    return words.length === query.length + 2 && startsWith(words, 2, query) ? "end" : "unexpected";
  }
  return words.length > query.length && startsWith(words, 0, query) ? "item" : "unexpected";
}

/** `words[from…]` starts with `prefix`, case-insensitively (upsd echoes the client's spelling). */
function startsWith(words: readonly string[], from: number, prefix: readonly string[]): boolean {
  if (words.length - from < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (words[from + i]!.toUpperCase() !== prefix[i]!.toUpperCase()) return false;
  }
  return true;
}
