/**
 * The I/O of notification channels: one delivery attempt, bounded by the channel's timeout, as a
 * `SendResult` (never a throw). HTTP through node:http/https (no connection pool, nothing followed),
 * e-mail through nodemailer (loaded on first use), apprise as a child process with an argv array
 * (never a shell), killed at the timeout.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { appriseArgs, type HttpRequestSpec, httpRequestFor, type RenderedNotification } from "./requests.js";
import { httpOutcome, type SendResult, smtpOutcome } from "./retry.js";
import type { ReadyChannel } from "./secrets.js";

export type Transport = (n: RenderedNotification) => Promise<SendResult>;

/** The transport of a channel. */
export function transportFor(ch: ReadyChannel): Transport {
  const timeoutMs = ch.timeoutSec * 1000;
  switch (ch.type) {
    case "webhook":
    case "ntfy":
    case "slack":
    case "discord":
      return (n) => postHttp(httpRequestFor(ch, n), timeoutMs);
    case "apprise":
      return (n) => runApprise(ch.command, appriseArgs(ch.urls, n), timeoutMs);
    case "email":
      return emailTransport(ch, timeoutMs);
  }
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : (e.message ?? String(err));
}

/** POST the request; resolves with the outcome within `timeoutMs` (the response body is read and dropped). */
export function postHttp(spec: HttpRequestSpec, timeoutMs: number): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const url = new URL(spec.url);
    const body = Buffer.from(spec.body, "utf8");
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, {
      method: "POST",
      agent: false,
      headers: { ...spec.headers, "Content-Length": String(body.length) },
    });
    const timer = setTimeout(
      () => finish({ ok: false, transient: true, reason: `no answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
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
export function runApprise(command: string, args: string[], timeoutMs: number): Promise<SendResult> {
  return new Promise((resolve) => {
    let output = "";
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], shell: false });
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
    child.on("error", (err) =>
      finish({ ok: false, transient: false, reason: `cannot run ${command}: ${errorText(err)}` }),
    );
    child.on("close", (code, signal) => {
      if (code === 0) return finish({ ok: true });
      const last = output.trim().split("\n").filter(Boolean).pop();
      const how = signal ? `killed by ${signal}` : `exit status ${code}`;
      // apprise exits 1 when a service failed (worth another try), 2+ for usage/URL errors.
      finish({ ok: false, transient: code === 1, reason: `${command}: ${how}${last ? `: ${last}` : ""}` });
    });
  });
}

type Mailer = { sendMail(m: object): Promise<unknown>; close(): void };

function emailTransport(ch: Extract<ReadyChannel, { type: "email" }>, timeoutMs: number): Transport {
  return async (n) => {
    let mailer: Mailer;
    try {
      const nodemailer = (await import("nodemailer")).default;
      mailer = nodemailer.createTransport({
        host: ch.smtpHost,
        port: ch.smtpPort,
        secure: ch.smtpSecurity === "tls",
        requireTLS: ch.smtpSecurity === "starttls",
        ignoreTLS: ch.smtpSecurity === "none",
        auth: ch.smtpUser === undefined ? undefined : { user: ch.smtpUser, pass: ch.smtpPassword ?? "" },
        tls: ch.smtpCaFile === undefined ? undefined : { ca: readFileSync(ch.smtpCaFile) },
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      }) as Mailer;
    } catch (err) {
      return { ok: false, transient: false, reason: errorText(err) };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<SendResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, transient: true, reason: `no answer within ${timeoutMs / 1000} s` }),
        timeoutMs,
      );
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
      mailer.close();
    }
  };
}
