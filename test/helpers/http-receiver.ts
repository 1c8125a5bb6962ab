/**
 * A local HTTP server standing in for webhook/ntfy/Slack/Discord endpoints (and apprise's json://
 * target): it records every request (method, path, headers, body) and answers from a script of
 * replies (a status, or "hang" to never answer). Binds 127.0.0.1 on a free port.
 * Must not: answer anything it was not scripted to (the default reply is 200).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = number | "hang";

export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Hung requests whose client gave up (closed the connection). */
  readonly abandoned: number;
  /** Replies for the next requests, in order; after them every request gets `fallback`. */
  script(replies: Reply[], fallback?: Reply): void;
  /** Resolves when `count` requests have arrived. */
  waitFor(count: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let replies: Reply[] = [];
  let fallback: Reply = 200;
  const hung = new Set<ServerResponse>();
  let abandoned = 0;
  let waiters: { count: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const reply = replies.shift() ?? fallback;
      if (reply === "hang") {
        hung.add(res);
        res.on("close", () => {
          if (hung.delete(res)) abandoned++;
        });
      } else {
        res.statusCode = reply;
        res.end(reply >= 400 ? "no" : "");
      }
      waiters = waiters.filter((w) => {
        if (requests.length < w.count) return true;
        w.resolve();
        return false;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get abandoned() {
      return abandoned;
    },
    script(next, otherwise = 200) {
      replies = [...next];
      fallback = otherwise;
    },
    async waitFor(count) {
      if (requests.length < count) await new Promise<void>((resolve) => waiters.push({ count, resolve }));
      return requests.slice(0, count);
    },
    async close() {
      for (const res of [...hung]) {
        hung.delete(res);
        res.destroy();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
