import { describe, expect, it } from "vitest";
import { parseNutguardConf } from "../../src/config/nutguard-conf.js";
import { ConfigError } from "../../src/config/reader.js";
import {
  type ChannelConfig,
  channelsFromConf,
  DEFAULT_CHANNEL_EVENTS,
} from "../../src/notify/channel-config.js";
import { resolveChannel } from "../../src/notify/secrets.js";

const read = (text: string) => channelsFromConf(parseNutguardConf(text, "/etc/nut/nutguard.conf"));
const one = (text: string) => read(text)[0]!;

describe("notification channels from nutguard.conf", () => {
  it("reads the issue's example: a webhook with its events", () => {
    const ch = one(
      '[ops]\n  type = webhook\n  url = "http://127.0.0.1:8080/hook"\n  events = ONBATT ONLINE LOWBATT FSD SHUTDOWN COMMBAD COMMOK\n',
    );
    expect(ch).toMatchObject({
      name: "ops",
      type: "webhook",
      url: { value: "http://127.0.0.1:8080/hook" },
      delaySec: 0,
      timeoutSec: 10,
      line: 1,
    });
    expect([...ch.events]).toEqual(["ONBATT", "ONLINE", "LOWBATT", "FSD", "SHUTDOWN", "COMMBAD", "COMMOK"]);
    expect(ch.ups).toBeUndefined();
  });

  const cases: { name: string; text: string; expect: Partial<Record<string, unknown>> }[] = [
    {
      name: "default events",
      text: "[a]\ntype = slack\nurl = https://hooks.slack.test/T/B/x\n",
      expect: { events: new Set(DEFAULT_CHANNEL_EVENTS) },
    },
    {
      name: "events case-insensitive, repeatable",
      text: "[a]\ntype = discord\nurl = https://d.test/api/webhooks/1/x\nevents = onbatt\nevents = Fsd\n",
      expect: { events: new Set(["ONBATT", "FSD"]) },
    },
    {
      name: "ups filter and delay",
      text: "[a]\ntype = slack\nurl = https://s.test/x\nups = nas@localhost rack\ndelay = 30\ntimeout = 3\n",
      expect: { ups: ["nas@localhost", "rack"], delaySec: 30, timeoutSec: 3 },
    },
    {
      name: "ntfy defaults",
      text: "[p]\ntype = ntfy\ntopic = ups-alerts\n",
      expect: {
        server: "https://ntfy.sh",
        topic: { value: "ups-alerts" },
        token: undefined,
        priority: undefined,
      },
    },
    {
      name: "ntfy server, token file, named priority",
      text: "[p]\ntype = ntfy\nserver = http://127.0.0.1:2586/\ntopic = t\ntoken_file = /etc/nut/ntfy.token\npriority = high\n",
      expect: {
        server: "http://127.0.0.1:2586",
        token: { file: "/etc/nut/ntfy.token", line: 5 },
        priority: 4,
      },
    },
    {
      name: "email defaults to STARTTLS on 587",
      text: "[m]\ntype = email\nsmtp_host = mail.test\nfrom = ups@nas.test\nto = a@x.test b@x.test\n",
      expect: { smtpPort: 587, smtpSecurity: "starttls", to: ["a@x.test", "b@x.test"], smtpUser: undefined },
    },
    {
      name: "email TLS on 465 with auth",
      text: '[m]\ntype = email\nsmtp_host = mail.test\nsmtp_security = TLS\nsmtp_user = u\nsmtp_password = p\nfrom = "UPS <ups@nas.test>"\nto = a@x.test\n',
      expect: {
        smtpPort: 465,
        smtpSecurity: "tls",
        smtpUser: "u",
        smtpPassword: { value: "p" },
        from: "UPS <ups@nas.test>",
      },
    },
    {
      name: "apprise urls and a urls file",
      text: "[a]\ntype = apprise\nurls = ntfy://t tgram://x/y\nurls_file = /etc/nut/apprise.urls\n",
      expect: {
        command: "apprise",
        urls: [{ value: "ntfy://t" }, { value: "tgram://x/y" }, { file: "/etc/nut/apprise.urls", line: 4 }],
      },
    },
  ];
  it.each(cases)("$name", ({ text, expect: want }) => {
    expect(one(text)).toMatchObject(want as Partial<ChannelConfig>);
  });

  const errors: { text: string; error: string }[] = [
    {
      text: "[a]\ntype = pager\n",
      error: ':2: unknown channel type "pager" (known: webhook, ntfy, email, slack, discord, apprise)',
    },
    {
      text: "[a]\ntype = webhook\nurl = http://x/\nsecret = 1\n",
      error: ':4: unknown setting "secret" in [a]',
    },
    { text: "[a]\ntype = webhook\n", error: ':1: [a] needs "url =" or "url_file ="' },
    {
      text: "[a]\ntype = webhook\nurl = ftp://x/\n",
      error: ':3: "ftp://x/" is not an http:// or https:// URL',
    },
    {
      text: "[a]\ntype = webhook\nurl = http://x/\nevents = ONBATT POWEROUT\n",
      error: ':4: unknown notify type "POWEROUT" in events',
    },
    {
      text: "[a]\ntype = webhook\nurl = http://x/\ndelay = soon\n",
      error: ':4: delay must be a whole number from 0 to 86400, not "soon"',
    },
    {
      text: "[a]\ntype = webhook\nurl = http://x/\ntimeout = 0\n",
      error: ":4: timeout must be a whole number from 1 to 86400",
    },
    {
      text: "[a]\ntype = webhook\nurl = http://x/\ntoken = t\ntoken_file = /f\n",
      error: ":5: give token or token_file, not both",
    },
    {
      text: '[a]\ntype = webhook\nurl = http://x/\ntemplate = "{ups} {volts}"\n',
      error: ":4: template: unknown field {volts}",
    },
    { text: "[a]\ntype = ntfy\n", error: ':1: [a] needs "topic =" or "topic_file ="' },
    {
      text: "[a]\ntype = ntfy\ntopic = t\npriority = 9\n",
      error: ":4: priority must be a whole number from 1 to 5",
    },
    { text: "[m]\ntype = email\nfrom = a@b.c\nto = d@e.f\n", error: ':1: [m] (email) needs "smtp_host ="' },
    { text: "[m]\ntype = email\nsmtp_host = h\nfrom = a@b.c\n", error: ':1: [m] (email) needs "to ="' },
    {
      text: "[m]\ntype = email\nsmtp_host = h\nfrom = nobody\nto = d@e.f\n",
      error: ':4: "nobody" is not an e-mail address',
    },
    {
      text: "[m]\ntype = email\nsmtp_host = h\nsmtp_security = ssl\nfrom = a@b.c\nto = d@e.f\n",
      error: ':4: smtp_security must be starttls, tls or none, not "ssl"',
    },
    {
      text: "[m]\ntype = email\nsmtp_host = h\nsmtp_user = u\nfrom = a@b.c\nto = d@e.f\n",
      error: ":4: smtp_user and smtp_password go together",
    },
    { text: "[a]\ntype = apprise\n", error: ':1: [a] (apprise) needs "urls =" or "urls_file ="' },
  ];
  it.each(errors)("refuses: $error", ({ text, error }) => {
    let caught: unknown;
    try {
      read(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(`/etc/nut/nutguard.conf${error}`);
  });
});

describe("secrets", () => {
  const files: Record<string, string> = {
    "/s/token": " #s3cret \n",
    "/s/urls": "# my services\nntfy://a\n\njson://127.0.0.1:1/x\n",
    "/s/empty": "\n",
    "/s/hook": "ftp://nope/\n",
  };
  const reader = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error(`Can't open ${path}: No such file or directory`);
    return text;
  };
  it("reads a *_file whole minus its final newline (util/secret-file.ts), urls_file one URL a line", () => {
    expect(
      resolveChannel(one("[a]\ntype = webhook\nurl = http://x/\ntoken_file = /s/token\n"), reader),
    ).toMatchObject({ token: " #s3cret " });
    expect(
      resolveChannel(one("[a]\ntype = apprise\nurls = ntfy://z\nurls_file = /s/urls\n"), reader),
    ).toMatchObject({
      urls: ["ntfy://z", "ntfy://a", "json://127.0.0.1:1/x"],
    });
  });
  it.each([
    [
      "[a]\ntype = webhook\nurl = http://x/\ntoken_file = /s/none\n",
      "nutguard.conf:4: cannot read token_file: Can't open /s/none: No such file or directory",
    ],
    ["[a]\ntype = ntfy\ntopic_file = /s/empty\n", "nutguard.conf:3: topic_file /s/empty is empty"],
    [
      "[a]\ntype = slack\nurl_file = /s/hook\n",
      "nutguard.conf:3: the url in /s/hook is not an http:// or https:// URL",
    ],
  ])("names the *_file line when it fails: %s", (text, error) => {
    expect(() => resolveChannel(one(text), reader)).toThrow(error);
  });
});
