/**
 * A NOTIFY_SOCKET for tests: binds an AF_UNIX datagram socket (unix-dgram) in a temp dir and
 * records every datagram, as systemd would receive sd_notify messages.
 */
import { createRequire } from "node:module";
import { join } from "node:path";

interface DgramSocket {
  bind(path: string): void;
  close(): void;
  on(event: "message", listener: (buf: Buffer) => void): void;
  on(event: "error", listener: (err: Error) => void): void;
}

export interface NotifyListener {
  path: string;
  messages: string[];
  /** Resolves when a datagram containing `assignment` (e.g. "READY=1") has arrived, counting from message `from`. */
  waitFor(assignment: string, timeoutMs?: number, from?: number): Promise<string>;
  close(): void;
}

export function listenNotify(dir: string): NotifyListener {
  const require = createRequire(import.meta.url);
  const dgram = require("unix-dgram") as { createSocket(t: "unix_dgram"): DgramSocket };
  const path = join(dir, "notify.sock");
  const socket = dgram.createSocket("unix_dgram");
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  socket.on("message", (buf) => {
    messages.push(buf.toString());
    for (const w of waiters.splice(0)) w();
  });
  socket.on("error", () => {});
  socket.bind(path);
  const find = (assignment: string, from: number) =>
    messages.slice(from).find((m) => m.split("\n").includes(assignment));
  return {
    path,
    messages,
    waitFor(assignment, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${assignment} in ${JSON.stringify(messages)}`)),
          timeoutMs,
        );
        const check = () => {
          const hit = find(assignment, from);
          if (hit !== undefined) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () => socket.close(),
  };
}
