/**
 * The live event stream (`text/event-stream`) to many clients. A write never waits for a client: a
 * client whose unsent data passes MAX_BUFFERED_BYTES is disconnected (it reconnects and catches up
 * with Last-Event-ID), so a slow or stalled reader can neither grow memory without bound nor delay
 * anyone. A comment line every HEARTBEAT_MS keeps proxies from closing idle streams.
 */
import type { ServerResponse } from "node:http";

export const MAX_BUFFERED_BYTES = 256 * 1024;
export const HEARTBEAT_MS = 15_000;

export interface SseMessage {
  /** Omitted for messages the history does not keep (they cannot be replayed). */
  id: number | undefined;
  event: string;
  data: unknown;
}

/** One message in the wire format (`data` is one line of JSON). */
export function formatSse(m: SseMessage): string {
  return `${m.id === undefined ? "" : `id: ${m.id}\n`}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
}

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  /** Clients dropped for being too slow, since start. */
  dropped = 0;

  constructor(readonly maxClients: number) {
    this.heartbeat = setInterval(() => this.send(": keep-alive\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.maxClients;
  }

  /** Take over a response: headers, the replayed backlog, then live messages until it closes. */
  add(res: ServerResponse, backlog: readonly SseMessage[]): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
    res.write(`retry: 3000\n\n${backlog.map(formatSse).join("")}`);
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
  }

  publish(m: SseMessage): void {
    this.send(formatSse(m));
  }

  private send(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.dropped++;
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  /** End every stream (clients reconnect by themselves), keep serving new ones. */
  disconnectAll(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
