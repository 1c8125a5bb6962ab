/**
 * NUT's word splitter (the `pconf` state machine of common/parseconf.c), as a pure streaming decoder.
 * Pure: StringDecoder only turns UTF-8 bytes into text, across chunk boundaries.
 *
 * One tokenizer serves the network protocol in both directions and every NUT config file
 * (upsmon.conf, upsd.conf, ups.conf, upsd.users, dummy-ups .dev/.seq). It does no I/O: feed it
 * bytes or text, it hands back complete lines as arrays of words.
 *
 * Rules (see the reference, protocol.md §2):
 *  - words are separated by runs of whitespace (space, tab, CR, VT, FF); LF ends a line;
 *  - `"` starts a quoted word (possibly empty) that ends at the next unescaped `"`;
 *    characters right after the closing quote begin a new word;
 *  - `\` takes the next character literally, inside or outside quotes;
 *  - `#` outside quotes starts a comment to the end of the line; unescaped inside quotes it is a
 *    parse error ("Unbalanced word due to unescaped # in quotes");
 *  - `=` is always a word of its own;
 *  - a LF inside an open quote does not end the line (the LF itself is dropped);
 *  - characters below 0x20 (control characters) are dropped from words, as NUT does (CVE-2012-2944
 *    hardening); DEL is kept;
 *  - unlike NUT, which drops every byte above 0x7F, text outside ASCII is kept: a config file's
 *    UTF-8 (a message template, a NOTIFYMSG) reaches its reader whole. Bytes are decoded as UTF-8
 *    (a malformed sequence becomes U+FFFD, visible, never dropped); text is taken as is. Whether
 *    non-ASCII is acceptable is the reader's decision: the NUT protocol carries ASCII only, so the
 *    server refuses such requests and the encoder refuses to send them;
 *  - a word longer than 512 characters (UTF-16 code units, a surrogate pair never split) is cut to
 *    512, a line keeps at most 32 words.
 *
 * This module must not do I/O and must not know about commands: callers interpret the words.
 */
import { StringDecoder } from "node:string_decoder";

export const MAX_WORD_LENGTH = 512;
export const MAX_WORDS_PER_LINE = 32;

export interface TokenizerLimits {
  /** Longest word kept; the rest of a longer word is dropped silently (NUT: 512). */
  maxWordLength: number;
  /** Most words kept per line; further words are dropped silently (NUT: 32). */
  maxWords: number;
}

export const NUT_LIMITS: TokenizerLimits = { maxWordLength: MAX_WORD_LENGTH, maxWords: MAX_WORDS_PER_LINE };

/** A line the tokenizer produced: its words, or a parse error for that line. */
export type TokenizedLine =
  | { kind: "line"; words: string[]; lineNumber: number }
  | { kind: "error"; message: string; lineNumber: number };

enum State {
  FindWordStart = 0,
  Collect = 1,
  CollectLiteral = 2,
  Quoted = 3,
  QuotedLiteral = 4,
  Comment = 5,
  /** After a parse error in a config file: ignore the rest of the line. */
  SkipLine = 6,
}

const LF = 0x0a;
const QUOTE = 0x22;
const HASH = 0x23;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;

function isSpace(c: number): boolean {
  // C isspace() minus LF, which is handled separately: space, \t, \v, \f, \r
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d;
}

/** NUT's hardening drops control characters (below 0x20); DEL and everything above it is kept. */
function isKeptChar(c: number): boolean {
  return c >= 0x20;
}

export interface FeedOptions {
  /**
   * What to do with the rest of the chunk after a parse error. upsd discards the remaining bytes
   * of the read in which the error occurred; config readers keep going with the next line.
   */
  discardRestOfChunkOnError?: boolean;
}

/**
 * Streaming tokenizer. Not thread-safe, not reentrant: one instance per byte stream.
 */
export class Tokenizer {
  private state: State = State.FindWordStart;
  private words: string[] = [];
  private word: number[] = [];
  private inWord = false;
  /** The current word reached maxWordLength: the rest of it is dropped (as NUT). */
  private wordFull = false;
  /** UTF-8 → text for byte input; a sequence split between two chunks is completed by the next. */
  private readonly utf8 = new StringDecoder("utf8");
  /** Physical line being read (1-based); a quoted word may span lines. */
  private lineNumber = 1;
  /** Physical line on which the current logical line started. */
  private lineStart = 1;
  private readonly limits: TokenizerLimits;

  constructor(limits: Partial<TokenizerLimits> = {}) {
    this.limits = { ...NUT_LIMITS, ...limits };
  }

  /** True while a line has been started but not finished (partial data buffered). */
  get hasPartialLine(): boolean {
    return this.inWord || this.words.length > 0 || this.state !== State.FindWordStart;
  }

  /** Feed bytes (Buffer/Uint8Array, decoded as UTF-8) or text (taken as is). */
  feed(chunk: Uint8Array | string, options: FeedOptions = {}): TokenizedLine[] {
    const out: TokenizedLine[] = [];
    const text = typeof chunk === "string" ? chunk : this.utf8.write(chunk as Buffer);
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const result = this.step(text.charCodeAt(i));
      if (result !== undefined) {
        out.push(result);
        if (result.kind === "error" && options.discardRestOfChunkOnError) {
          // upsd drops the remaining bytes of the read; the next read starts a fresh line.
          this.reset();
          this.lineNumber++;
          this.lineStart = this.lineNumber;
          break;
        }
      }
    }
    return out;
  }

  /**
   * End of input (a file's end, or a closed connection): a final line without LF is returned as a
   * line, as NUT's config reader does. Returns undefined when nothing was pending.
   */
  end(): TokenizedLine | undefined {
    const rest = this.utf8.end(); // an incomplete UTF-8 sequence at the end: U+FFFD, not nothing
    for (let i = 0; i < rest.length; i++) this.step(rest.charCodeAt(i));
    if (this.state === State.SkipLine) {
      this.reset();
      return undefined;
    }
    if (!this.hasPartialLine) return undefined;
    if (this.state === State.Quoted || this.state === State.QuotedLiteral) {
      const line = this.lineNumber;
      this.reset();
      return { kind: "error", message: "Unbalanced word due to unterminated quote", lineNumber: line };
    }
    return this.step(LF);
  }

  private reset(): void {
    this.state = State.FindWordStart;
    this.words = [];
    this.word = [];
    this.inWord = false;
    this.wordFull = false;
  }

  private addChar(c: number): void {
    if (!isKeptChar(c) || this.wordFull) return;
    const room = this.limits.maxWordLength - this.word.length;
    // a high surrogate needs its low half beside it: with one place left the word ends here
    if (room <= 0 || (room === 1 && c >= 0xd800 && c <= 0xdbff)) {
      this.wordFull = true;
      return;
    }
    this.word.push(c);
  }

  private endWord(): void {
    if (!this.inWord) return;
    if (this.words.length < this.limits.maxWords) this.words.push(String.fromCharCode(...this.word));
    this.word = [];
    this.inWord = false;
    this.wordFull = false;
  }

  private endLine(): TokenizedLine {
    this.endWord();
    const line: TokenizedLine = { kind: "line", words: this.words, lineNumber: this.lineStart };
    this.lineNumber++;
    this.lineStart = this.lineNumber;
    this.words = [];
    this.state = State.FindWordStart;
    return line;
  }

  private error(message: string): TokenizedLine {
    const line: TokenizedLine = { kind: "error", message, lineNumber: this.lineNumber };
    this.reset();
    this.state = State.SkipLine;
    return line;
  }

  private startWord(): void {
    this.inWord = true;
    this.word = [];
    this.wordFull = false;
  }

  private step(c: number): TokenizedLine | undefined {
    switch (this.state) {
      case State.FindWordStart:
        if (c === LF) return this.endLine();
        if (isSpace(c)) return undefined;
        if (c === HASH) {
          this.state = State.Comment;
          return undefined;
        }
        if (c === QUOTE) {
          this.startWord();
          this.state = State.Quoted;
          return undefined;
        }
        if (c === EQUALS) {
          this.startWord();
          this.addChar(c);
          this.endWord();
          return undefined;
        }
        this.startWord();
        if (c === BACKSLASH) {
          this.state = State.CollectLiteral;
          return undefined;
        }
        this.addChar(c);
        this.state = State.Collect;
        return undefined;

      case State.Collect:
        if (c === LF) return this.endLine();
        if (isSpace(c)) {
          this.endWord();
          this.state = State.FindWordStart;
          return undefined;
        }
        if (c === HASH) {
          this.endWord();
          this.state = State.Comment;
          return undefined;
        }
        if (c === BACKSLASH) {
          this.state = State.CollectLiteral;
          return undefined;
        }
        if (c === EQUALS) {
          this.endWord();
          this.startWord();
          this.addChar(c);
          this.endWord();
          this.state = State.FindWordStart;
          return undefined;
        }
        this.addChar(c);
        return undefined;

      case State.CollectLiteral:
        this.addChar(c);
        this.state = State.Collect;
        return undefined;

      case State.Quoted:
        if (c === QUOTE) {
          this.endWord();
          this.state = State.FindWordStart;
          return undefined;
        }
        if (c === BACKSLASH) {
          this.state = State.QuotedLiteral;
          return undefined;
        }
        if (c === HASH) return this.error("Unbalanced word due to unescaped # in quotes");
        this.addChar(c); // a LF here is dropped by addChar: the quoted word continues
        if (c === LF) this.lineNumber++;
        return undefined;

      case State.QuotedLiteral:
        this.addChar(c);
        this.state = State.Quoted;
        return undefined;

      case State.Comment:
        if (c === LF) return this.endLine();
        return undefined;

      case State.SkipLine:
        if (c === LF) {
          this.lineNumber++;
          this.lineStart = this.lineNumber;
          this.state = State.FindWordStart;
        }
        return undefined;
    }
  }
}

/** Split one complete line (without its LF) into words. Throws on a parse error. */
export function splitLine(line: string): string[] {
  const t = new Tokenizer();
  const results = t.feed(line + "\n");
  const first = results[0];
  if (first === undefined) {
    const tail = t.end();
    if (tail?.kind === "error") throw new SyntaxError(tail.message);
    return tail?.kind === "line" ? tail.words : [];
  }
  if (first.kind === "error") throw new SyntaxError(first.message);
  return first.words;
}

/** Tokenize a whole config file's text into lines with line numbers (parse errors included). */
export function tokenizeText(text: string): TokenizedLine[] {
  const t = new Tokenizer();
  const lines = t.feed(text);
  const tail = t.end();
  if (tail) lines.push(tail);
  return lines;
}
