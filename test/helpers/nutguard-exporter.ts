/**
 * Test helper: runs the real `nutguard exporter` CLI (bundled from src/ by nutguardBundle()) as a child
 * process, learns where it listens from its log line, and offers small HTTP helpers for its routes.
 * Each exporter gets its own state directory (history) unless one is given, to test restarts.
 * Must not: signal anything it did not start, or listen beyond 127.0.0.1.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nutguardBundle } from "./nutguard-monitor.js";

export interface ExporterProcess {
  url: string;
  port: number;
  stateDir: string;
  stderr(): string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

export interface StartExporterOptions {
  args: string[];
  stateDir?: string;
  env?: Record<string, string>;
  /** Expect it to exit instead of listening (resolves with its exit code and stderr). */
}

export async function startExporter(o: StartExporterOptions): Promise<ExporterProcess> {
  const bundle = await nutguardBundle();
  const stateDir = o.stateDir ?? (await mkdtemp(join(tmpdir(), "nutguard-exporter-")));
  const child = spawn(process.execPath, [bundle, "exporter", "--http", "127.0.0.1:0", ...o.args], {
    env: { ...process.env, STATE_DIRECTORY: stateDir, NUT_CONFPATH: stateDir, ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stdout!.resume();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exporter did not listen within 15 s:\n${err}`)), 15_000);
    child.stderr!.on("data", (d: string) => {
      err += d;
      const m = /http: listening on https?:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited (${code}) before listening:\n${err}`));
    });
  });
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    stateDir,
    stderr: () => err,
    child,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
      if (o.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1; resolves with status, headers and body. */
export function request(
  url: string,
  o: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? "GET", headers: o.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** The events of a text/event-stream response as they arrive. */
export function openStream(url: string, headers: Record<string, string> = {}) {
  const events: { id: string | undefined; event: string; data: unknown }[] = [];
  let buf = "";
  let res: http.IncomingMessage | undefined;
  const req = http.get(url, { headers }, (r) => {
    res = r;
    r.setEncoding("utf8");
    r.on("data", (d: string) => {
      buf += d;
      let end: number;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const fields = new Map<string, string>();
        for (const line of block.split("\n")) {
          const c = line.indexOf(":");
          if (c > 0) fields.set(line.slice(0, c), line.slice(c + 1).trimStart());
        }
        if (fields.has("data")) {
          events.push({
            id: fields.get("id"),
            event: fields.get("event") ?? "message",
            data: JSON.parse(fields.get("data")!),
          });
        }
      }
    });
  });
  req.on("error", () => {});
  return {
    events,
    status: () => res?.statusCode,
    close: (): void => {
      req.destroy();
    },
  };
}
