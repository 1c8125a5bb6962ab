/**
 * The e-mail channel against a real SMTP server on loopback (npm smtp-server): STARTTLS on the
 * submission port with AUTH, implicit TLS, refused credentials (not retried) and a temporary 451
 * (retried). The certificate comes from the test PKI; the channel trusts it through smtp_ca_file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadChannels } from "../../src/notify/load.js";
import { ChannelNotifier } from "../../src/notify/notifier.js";
import { createMemoryLogger } from "../../src/util/log.js";
import { makeTestPki, type TestPki } from "../helpers/tls-certs.js";
import { channelsFrom, notification, snapshotOf, UPS, upsSnapshot } from "./notify-fixtures.js";

interface Mail {
  from: string;
  to: string[];
  user: string | undefined;
  secure: boolean;
  data: string;
}

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki?.remove();
});

const servers: SMTPServer[] = [];
const notifiers: ChannelNotifier[] = [];
afterEach(async () => {
  for (const n of notifiers.splice(0)) n.stop();
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function startSmtp(options: Partial<SMTPServerOptions>, onData?: (count: number) => Error | undefined) {
  const { readFileSync } = await import("node:fs");
  const mails: Mail[] = [];
  const authTries: string[] = [];
  let attempts = 0;
  const server = new SMTPServer({
    key: readFileSync(pki.serverKeyFile),
    cert: readFileSync(pki.serverCertFile),
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, callback) {
      authTries.push(`${auth.username}:${auth.password}`);
      if (auth.username === "ups" && auth.password === "s3cret") callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const refuse = onData?.(++attempts);
        if (refuse) return callback(refuse);
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          secure: session.secure,
          data: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
    logger: false,
    ...options,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, authTries };
}

function notifierFor(conf: string, channels = channelsFrom(conf)) {
  const log = createMemoryLogger(9);
  const snapshot = snapshotOf(upsSnapshot(UPS, "OB LB", 12, 90));
  const n = new ChannelNotifier({
    channels,
    snapshot: () => snapshot,
    hostName: "nas",
    log,
  });
  notifiers.push(n);
  return { n, log };
}

const mailConf = (port: number, extra: string) =>
  `[mail]\ntype = email\nsmtp_host = 127.0.0.1\nsmtp_port = ${port}\nsmtp_ca_file = ${pki.caFile}\n` +
  `from = "UPS <ups@nas.test>"\nto = ops@example.test oncall@example.test\n${extra}`;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

describe("e-mail channel (real SMTP server on loopback)", () => {
  it("STARTTLS + AUTH: the mail arrives over TLS, authenticated, with subject and text", async () => {
    const smtp = await startSmtp({ secure: false });
    const { n, log } = notifierFor(mailConf(smtp.port, "smtp_user = ups\nsmtp_password = s3cret\n"));
    n.onEvent(notification("LOWBATT"));
    await n.idle();
    expect(log.lines.filter((l) => l.level !== "debug")).toEqual([]);
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail).toMatchObject({
      from: "ups@nas.test",
      to: ["ops@example.test", "oncall@example.test"],
      user: "ups",
      secure: true,
    });
    expect(mail.data).toMatch(
      new RegExp(`^Subject: nutguard on nas: LOWBATT ${UPS.replace(/\./g, "\\.")}\r$`, "m"),
    );
    expect(mail.data.replace(/=\r\n/g, "")).toContain(
      `UPS ${UPS} battery is low (status OB LB, charge 12 %, runtime 90 s) on nas`,
    );
  });

  it("UTF-8 in nutguard.conf's title and template reaches the subject and the text whole", async () => {
    const smtp = await startSmtp({ secure: false });
    const dir = mkdtempSync(join(tmpdir(), "ng-utf8-mail-"));
    try {
      const file = join(dir, "nutguard.conf");
      const conf = mailConf(
        smtp.port,
        'smtp_user = ups\nsmtp_password = s3cret\ntitle = "Stromausfall – {upsname} ⚡"\ntemplate = "Batterie bei {charge} % – Grüße aus dem Büro 🔋"\n',
      );
      writeFileSync(file, conf, "utf8");
      const { n, log } = notifierFor(conf, loadChannels(file));
      n.onEvent(notification("LOWBATT"));
      await n.idle();
      expect(log.lines.filter((l) => l.level !== "debug")).toEqual([]);
      const mail = smtp.mails[0]!;
      const subject = /^Subject: (.*(?:\r\n[ \t].*)*)\r$/m.exec(mail.data)![1]!;
      expect(decodeEncodedWords(subject)).toBe(`Stromausfall – ${UPS.split("@")[0]} ⚡`);
      expect(mail.data).toMatch(/^Content-Type: text\/plain; charset=utf-8\r$/m);
      expect(decodeBody(mail.data)).toContain("Batterie bei 12 % – Grüße aus dem Büro 🔋");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("smtp_security = tls: implicit TLS from the first byte", async () => {
    const smtp = await startSmtp({ secure: true });
    const { n } = notifierFor(
      mailConf(smtp.port, "smtp_security = tls\nsmtp_user = ups\nsmtp_password = s3cret\n"),
    );
    n.onEvent(notification("FSD"));
    await n.idle();
    expect(smtp.mails.map((m) => [m.secure, m.user])).toEqual([[true, "ups"]]);
  });

  it("STARTTLS is required: a server that does not offer it gets nothing", async () => {
    const smtp = await startSmtp({ secure: false, disabledCommands: ["STARTTLS"], authOptional: true });
    const { n, log } = notifierFor(mailConf(smtp.port, "timeout = 2\n"));
    n.onEvent(notification("ONBATT"));
    await until(() => log.lines.some((l) => l.level === "warning"));
    expect(smtp.mails).toEqual([]);
    expect(log.lines.find((l) => l.level === "warning")?.message).toMatch(
      /^notify \[mail\]: cannot deliver ONBATT for .*STARTTLS/,
    );
  });

  it("refused credentials: not retried", async () => {
    const smtp = await startSmtp({ secure: false });
    const { n, log } = notifierFor(mailConf(smtp.port, "smtp_user = ups\nsmtp_password = wrong\n"));
    n.onEvent(notification("ONBATT"));
    await n.idle();
    expect(smtp.authTries).toEqual(["ups:wrong"]);
    expect(smtp.mails).toEqual([]);
    expect(log.lines.filter((l) => l.level !== "debug").map((l) => l.message)).toEqual([
      expect.stringMatching(
        /^notify \[mail\]: cannot deliver ONBATT for .*: SMTP authentication refused: .*535.*; not retried/,
      ),
    ]);
  });

  it("a temporary 451 is retried and then delivered", async () => {
    const smtp = await startSmtp({ secure: false }, (count) =>
      count === 1 ? Object.assign(new Error("Try again later"), { responseCode: 451 }) : undefined,
    );
    const { n, log } = notifierFor(mailConf(smtp.port, "smtp_user = ups\nsmtp_password = s3cret\n"));
    n.onEvent(notification("ONBATT"));
    await n.idle();
    expect(smtp.mails).toHaveLength(1);
    expect(log.lines.filter((l) => l.level !== "debug").map((l) => l.message)).toEqual([
      expect.stringMatching(/^notify \[mail\]: cannot deliver ONBATT for .*451.*; retrying for up to 600 s$/),
      "notify [mail]: delivering again after 1 failed try",
    ]);
  });
});

/** RFC 2047 encoded words (=?UTF-8?Q|B?...?=), whitespace between two of them dropped, as a mail reader does. */
function decodeEncodedWords(header: string): string {
  const joined = header.replace(/\r\n[ \t]/g, " ").replace(/\?=\s+=\?/g, "?==?");
  return joined.replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_m, enc: string, text: string) => {
    if (enc.toUpperCase() === "B") return Buffer.from(text, "base64").toString("utf8");
    return Buffer.from(qpBytes(text.replace(/_/g, " "))).toString("utf8");
  });
}

/** The text part after the headers, quoted-printable or 8bit, decoded to text. */
function decodeBody(data: string): string {
  const body = data.slice(data.indexOf("\r\n\r\n") + 4);
  if (!/^Content-Transfer-Encoding: quoted-printable\r$/im.test(data)) return body;
  return Buffer.from(qpBytes(body.replace(/=\r\n/g, ""))).toString("utf8");
}

function qpBytes(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "=" && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, "utf8"));
  }
  return bytes;
}
