/**
 * Reading answers from the user the way NUT's tools do: `fgets()` lines from stdin for the user name
 * and upsrw's value, and `getpass()` for the password (no echo when stdin is a terminal).
 *
 * One LineReader per process: it buffers stdin so consecutive prompts read consecutive lines.
 * Must not: print anything but the prompts.
 */
import type { Readable, Writable } from "node:stream";

export class LineReader {
  private buffer = "";
  private ended = false;
  private waiting: (() => void) | undefined;
  private started = false;

  constructor(private readonly input: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => void }) {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.input.setEncoding("utf8");
    this.input.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    this.input.on("end", () => {
      this.ended = true;
      this.waiting?.();
    });
    this.input.on("error", () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  /** The next line without its newline; undefined at end of input. */
  async readLine(): Promise<string | undefined> {
    this.start();
    this.input.resume();
    try {
      for (;;) {
        const nl = this.buffer.indexOf("\n");
        if (nl >= 0) {
          const line = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          return line;
        }
        if (this.ended) {
          if (this.buffer === "") return undefined;
          const line = this.buffer;
          this.buffer = "";
          return line;
        }
        await new Promise<void>((resolve) => {
          this.waiting = resolve;
        });
        this.waiting = undefined;
      }
    } finally {
      this.input.pause();
    }
  }

  /** getpass(): prompt, then read a line with echo off when the input is a terminal. */
  async readSecret(prompt: string, promptOut: Writable): Promise<string | undefined> {
    promptOut.write(prompt);
    const tty = this.input.isTTY === true && typeof this.input.setRawMode === "function";
    if (!tty) return this.readLine();
    this.start();
    this.input.setRawMode!(true);
    try {
      let secret = "";
      for (;;) {
        const line = await this.readRawChars();
        if (line === undefined) return undefined;
        for (const ch of line) {
          if (ch === "\r" || ch === "\n") {
            promptOut.write("\n");
            return secret;
          }
          if (ch === "\x03" || ch === "\x04") return undefined;
          if (ch === "\x7f" || ch === "\b") secret = secret.slice(0, -1);
          else secret += ch;
        }
      }
    } finally {
      this.input.setRawMode!(false);
    }
  }

  private async readRawChars(): Promise<string | undefined> {
    this.input.resume();
    try {
      while (this.buffer === "" && !this.ended) {
        await new Promise<void>((resolve) => {
          this.waiting = resolve;
        });
        this.waiting = undefined;
      }
      if (this.buffer === "") return undefined;
      const chars = this.buffer;
      this.buffer = "";
      return chars;
    } finally {
      this.input.pause();
    }
  }
}
