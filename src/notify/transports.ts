/**
 * The I/O of notification channels: one delivery attempt, bounded by the channel's timeout, as a
 * `SendResult` (never a throw). HTTP through node:http/https (no connection pool, nothing followed),
 * e-mail through nodemailer (loaded on first use), apprise as a child process with an argv array
 * (never a shell), killed at the timeout.
 */
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { readConfigFile } from "../util/config-file-read.js";
import { appriseArgs, type HttpRequestSpec, httpRequestFor, type RenderedNotification } from "./requests.js";
import { httpOutcome, type SendResult, smtpOutcome } from "./retry.js";
import type { ReadyChannel } from "./secrets.js";

/** One delivery attempt; `signal` aborts it (the monitor is stopping): it then resolves at once. */
export type Transport = (n: RenderedNotification, signal?: AbortSignal) => Promise<SendResult>;

const STOPPED: SendResult = { ok: false, transient: false, reason: "stopped" };

/** Calls `onAbort` when `signal` aborts (at once if it already has); returns the undo. */
function onAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    queueMicrotask(onAbort);
    return () => {};
  }
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/** The transport of a channel. `env`: added to apprise's environment (the drill's NUTGUARD_DRILL=1). */
export function transportFor(ch: ReadyChannel, env?: Readonly<Record<string, string>>): Transport {
  const timeoutMs = ch.timeoutSec * 1000;
  switch (ch.type) {
    case "webhook":
    case "ntfy":
    case "slack":
    case "discord":
      return (n, signal) => postHttp(httpRequestFor(ch, n), timeoutMs, signal);
    case "apprise":
      return (n, signal) => runApprise(ch.command, appriseArgs(ch.urls, n), timeoutMs, signal, env);
    case "email":
      return emailTransport(ch, timeoutMs);
  }
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : (e.message ?? String(err));
}

/**
 * POST the request; resolves with the outcome within `timeoutMs` (the response body is read and
 * dropped). node:http/https are loaded on first use (a monitor without channels never loads them).
 */
export async function postHttp(
  spec: HttpRequestSpec,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SendResult> {
  const url = new URL(spec.url);
  const { request: send } =
    url.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      undo();
      req.destroy();
      resolve(r);
    };
    const body = Buffer.from(spec.body, "utf8");
    const req = send(url, {
      method: "POST",
      agent: false,
      headers: { ...spec.headers, "Content-Length": String(body.length) },
    });
    const timer = setTimeout(
      () => finish({ ok: false, transient: true, reason: `no answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    const undo = onAbort(signal, () => finish(STOPPED));
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => finish(httpOutcome(res.statusCode ?? 0, res.statusMessage ?? "")));
      res.on("error", (err) => finish({ ok: false, transient: true, reason: errorText(err) }));
    });
    req.on("error", (err) => finish({ ok: false, transient: true, reason: errorText(err) }));
    req.end(body);
  });
}

/** Run apprise with argv; exit 0 = delivered. Its output is kept for the reason of a failure. */
export function runApprise(
  command: string,
  args: string[],
  timeoutMs: number,
  signal?: AbortSignal,
  env?: Readonly<Record<string, string>>,
): Promise<SendResult> {
  return new Promise((resolve) => {
    let output = "";
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      undo();
      resolve(r);
    };
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      shell: false,
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    const keep = (chunk: Buffer) => {
      if (output.length < 4000) output += chunk.toString("utf8");
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({
        ok: false,
        transient: true,
        reason: `${command} did not finish within ${timeoutMs / 1000} s`,
      });
    }, timeoutMs);
    const undo = onAbort(signal, () => {
      child.kill("SIGKILL");
      finish(STOPPED);
    });
    child.on("error", (err) =>
      finish({ ok: false, transient: false, reason: `cannot run ${command}: ${errorText(err)}` }),
    );
    child.on("close", (code, killedBy) => {
      if (code === 0) return finish({ ok: true });
      const last = output.trim().split("\n").filter(Boolean).pop();
      const how = killedBy ? `killed by ${killedBy}` : `exit status ${code}`;
      // apprise exits 1 when a service failed (worth another try), 2+ for usage/URL errors.
      finish({ ok: false, transient: code === 1, reason: `${command}: ${how}${last ? `: ${last}` : ""}` });
    });
  });
}

type Mailer = { sendMail(m: object): Promise<unknown>; close(): void };

function emailTransport(ch: Extract<ReadyChannel, { type: "email" }>, timeoutMs: number): Transport {
  return async (n, signal) => {
    let mailer: Mailer;
    // the TCP connection is ours (nodemailer's getSocket hook), so a timeout or a stopping monitor can
    // close it: nodemailer itself has no way to abandon a send
    let socket: Socket | undefined;
    try {
      const nodemailer = (await import("nodemailer")).default;
      const { connect } = await import("node:net");
      mailer = nodemailer.createTransport({
        getSocket: (
          _options: unknown,
          done: (err: Error | null, socket?: { connection: Socket }) => void,
        ) => {
          const s = connect({ host: ch.smtpHost, port: ch.smtpPort });
          socket = s;
          const failed = (err: Error) => done(err);
          s.once("error", failed);
          s.once("connect", () => {
            s.off("error", failed);
            done(null, { connection: s });
          });
        },
        host: ch.smtpHost,
        port: ch.smtpPort,
        secure: ch.smtpSecurity === "tls",
        requireTLS: ch.smtpSecurity === "starttls",
        ignoreTLS: ch.smtpSecurity === "none",
        auth: ch.smtpUser === undefined ? undefined : { user: ch.smtpUser, pass: ch.smtpPassword ?? "" },
        tls: ch.smtpCaFile === undefined ? undefined : { ca: readConfigFile(ch.smtpCaFile) },
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      }) as Mailer;
    } catch (err) {
      return { ok: false, transient: false, reason: errorText(err) };
    }
    let timer: NodeJS.Timeout | undefined;
    let undo = () => {};
    const timeout = new Promise<SendResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, transient: true, reason: `no answer within ${timeoutMs / 1000} s` }),
        timeoutMs,
      );
      undo = onAbort(signal, () => resolve(STOPPED));
    });
    const send = mailer
      .sendMail({ from: ch.from, to: [...ch.to], subject: n.title, text: n.payload.message })
      .then(
        (): SendResult => ({ ok: true }),
        (err: Error & { responseCode?: number; code?: string }): SendResult =>
          err.code === "EAUTH"
            ? { ok: false, transient: false, reason: `SMTP authentication refused: ${err.message}` }
            : smtpOutcome(err.responseCode, err.message),
      );
    try {
      return await Promise.race([send, timeout]);
    } finally {
      clearTimeout(timer);
      undo();
      socket?.destroy();
      mailer.close();
    }
  };
}
