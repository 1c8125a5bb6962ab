/**
 * The one way nutguard reads a configuration or data file (upsmon.conf, nutguard.conf, upsd.conf,
 * ups.conf, upsd.users, dummy-ups .dev/.seq files, CERTFILE): the file must be a regular file (after
 * following symlinks) of at most MAX_CONFIG_FILE_BYTES. Anything else — a directory, /dev/zero, a
 * FIFO, a symlink loop, a file we may not read, a file too large — is refused at once with a message
 * naming the file, before a byte is read into memory. Only a file that does not exist (ENOENT) is
 * "missing", which callers of an optional file may take as "use the defaults".
 *
 * The type and size are checked on the opened descriptor (fstat), not on the name, so the file
 * cannot be swapped between the check and the read; it is opened non-blocking so that a FIFO cannot
 * hang the open itself.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

/** Largest configuration or data file nutguard reads: 1 MiB (NUT's own files are a few kB). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** strerror() texts for the errors an open can give, as NUT's "Can't open <file>: <reason>" prints them. */
const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ELOOP: "Too many levels of symbolic links",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  ENAMETOOLONG: "File name too long",
  ENXIO: "No such device or address",
  EIO: "Input/output error",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
};

export class ConfigFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    /** The errno code when the open or read failed (ENOENT: the file does not exist). */
    readonly code?: string,
  ) {
    super(message);
    this.name = "ConfigFileError";
  }

  /** The file does not exist (and nothing else is wrong with it). */
  get missing(): boolean {
    return this.code === "ENOENT";
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Read a whole configuration file; throws ConfigFileError (naming the file) when it may not be used.
 * "utf8" (the default) is strict: a file that is not UTF-8 text is refused with the line of the first
 * bad byte (config files keep their text whole, and a Latin-1 file must not turn into U+FFFD
 * silently); a UTF-8 byte order mark at the start is removed.
 */
export function readConfigFile(path: string, encoding: BufferEncoding = "utf8"): string {
  const bytes = readConfigBytes(path);
  if (encoding !== "utf8" && encoding !== "utf-8") return bytes.toString(encoding);
  return decodeUtf8(path, bytes);
}

/**
 * NUT's own client files (upsmon.conf, upssched.conf), which NUT reads byte by byte and drops every
 * byte above 0x7F: a file written years ago in Latin-1 works with NUT's upsmon, so it must not stop
 * nutguard's monitor. The text is read as UTF-8 with a bad byte as U+FFFD; a bad byte in a comment
 * says nothing, one in a setting gives a warning naming file, line and column (the setting keeps a
 * U+FFFD where NUT would have dropped the byte; MONITOR's credentials must be ASCII and are refused).
 * Every other problem throws ConfigFileError as readConfigFile does.
 */
export function readNutConfigFile(path: string): { text: string; warnings: string[] } {
  const bytes = readConfigBytes(path);
  const warnings: string[] = [];
  let more = 0;
  // one pass, line by line (a 1 MiB Latin-1 file must not cost a rescan per bad byte)
  for (let lineStart = 0, line = 1; lineStart < bytes.length; line++) {
    let end = bytes.indexOf(0x0a, lineStart);
    if (end < 0) end = bytes.length;
    const bad = lineStart + firstInvalidUtf8(bytes.subarray(lineStart, end));
    // the first bad byte decides: a comment runs to the end of the line
    if (bad < end && !inComment(bytes, lineStart, bad)) {
      if (warnings.length < MAX_ENCODING_WARNINGS) {
        warnings.push(
          `${path}:${line}: not UTF-8 text (byte 0x${hex(bytes[bad]!)} at column ${bad - lineStart + 1}): read as U+FFFD; save the file as UTF-8`,
        );
      } else more++;
    }
    lineStart = end + 1;
  }
  if (more > 0) warnings.push(`${path}: ${more} more lines are not UTF-8 text`);
  return { text: new TextDecoder("utf-8").decode(bytes), warnings }; // BOM removed, as in readConfigFile
}

/** Lines named one by one before the rest are counted. */
const MAX_ENCODING_WARNINGS = 10;

/** Whether offset `at` lies after an unquoted `#` on the line starting at `lineStart`. */
function inComment(b: Uint8Array, lineStart: number, at: number): boolean {
  let quoted = false;
  for (let i = lineStart; i < at; i++) {
    const c = b[i];
    if (c === 0x5c)
      i++; // backslash: the next byte is literal
    else if (c === 0x22) quoted = !quoted;
    else if (c === 0x23 && !quoted) return true;
  }
  return false;
}

function lineOf(b: Uint8Array, at: number): { line: number; lineStart: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (b[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, lineStart };
}

const hex = (byte: number) => byte.toString(16).toUpperCase().padStart(2, "0");

/** The file's bytes, with every check of readConfigFile. */
function readConfigBytes(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = (code && STRERROR[code]) ?? (err as Error).message;
    throw new ConfigFileError(path, `Can't open ${path}: ${reason}`, code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new ConfigFileError(path, `Can't use ${path}: it is ${kindOf(st)}, not a regular file`);
    }
    if (st.size > MAX_CONFIG_FILE_BYTES) throw tooLarge(path, st.size);
    // read to the end, at most one byte past the limit: a file that grows meanwhile is refused too
    const buf = Buffer.allocUnsafe(MAX_CONFIG_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_FILE_BYTES) throw tooLarge(path, undefined);
    }
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = (code && STRERROR[code]) ?? (err as Error).message;
    throw new ConfigFileError(path, `Can't read ${path}: ${reason}`, code);
  } finally {
    closeSync(fd);
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a UTF-8 file (BOM removed), or a ConfigFileError at the line of the first bad byte. */
function decodeUtf8(path: string, bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const { line, lineStart } = lineOf(bytes, at);
    throw new ConfigFileError(
      path,
      `${path}:${line}: not UTF-8 text (byte 0x${hex(bytes[at]!)} at column ${at - lineStart + 1}); save the file as UTF-8`,
    );
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // [length, lowest and highest allowed second byte] (no overlongs, surrogates or > U+10FFFF)
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n > b.length) return i;
    const second = b[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n;
  }
  return b.length;
}

/** `bytes`: the size fstat gave; undefined when the file grew past the limit while being read. */
function tooLarge(path: string, bytes: number | undefined): ConfigFileError {
  const size = bytes === undefined ? "it grew while being read" : `${bytes} bytes`;
  return new ConfigFileError(
    path,
    `Can't use ${path}: it is larger than 1 MiB (${size}), the limit for a configuration file`,
  );
}

/**
 * Like readConfigFile, but a file that does not exist gives undefined (the caller's defaults).
 * Every other problem (unreadable, a directory, a symlink loop, too large) still throws.
 */
export function readOptionalConfigFile(path: string, encoding: BufferEncoding = "utf8"): string | undefined {
  try {
    return readConfigFile(path, encoding);
  } catch (err) {
    if (err instanceof ConfigFileError && err.missing) return undefined;
    throw err;
  }
}
