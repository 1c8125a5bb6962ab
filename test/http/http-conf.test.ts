import { describe, expect, it } from "vitest";
import { parseNutguardConf, sectionsOf } from "../../src/config/nutguard-conf.js";
import { exporterFromSection } from "../../src/exporter/exporter-conf.js";
import { historyFromSection } from "../../src/history/history-conf.js";
import { checkExposure, httpFromSection, isLoopback, parseListen } from "../../src/http/http-conf.js";
import { httpSettingsFor, parseHttpFlags } from "../../src/http/settings.js";

const conf = (text: string) => parseNutguardConf(text, "/etc/nut/nutguard.conf");
const http = (text: string) => httpFromSection(sectionsOf(conf(text), "http")[0]!);

describe("[http]", () => {
  it.each([
    ["127.0.0.1:9399", "127.0.0.1", 9399],
    ["[::1]:9399", "::1", 9399],
    ["0.0.0.0:80", "0.0.0.0", 80],
    [":9399", "127.0.0.1", 9399],
    ["9399", "127.0.0.1", 9399],
    ["localhost:0", "localhost", 0],
  ])("listen %s → %s port %d", (text, host, port) => {
    expect(parseListen(text)).toEqual({ host, port, text });
  });

  it.each([
    ["127.0.0.1", '"127.0.0.1" has no port (ADDR:PORT)'],
    ["::1:9399", '"::1:9399": write an IPv6 address in brackets, [ADDR]:PORT'],
    ["127.0.0.1:99999", '"127.0.0.1:99999": port must be a number from 0 to 65535'],
    ["127.0.0.1:http", '"127.0.0.1:http": port must be a number from 0 to 65535'],
  ])("listen %s is refused: %s", (text, error) => {
    expect(parseListen(text)).toEqual({ error });
  });

  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["localhost", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.5", false],
    ["nut.example", false],
  ])("loopback(%s) = %s", (host, yes) => {
    expect(isLoopback(host)).toBe(yes);
  });

  it("reads every key", () => {
    const s = http(
      "[http]\n listen = 127.0.0.1:9399\n listen = [::1]:9399\n token_file = /etc/nut/token\n tls_cert = /c.pem\n tls_key = /k.pem\n",
    );
    expect(s.listen.map((l) => l.text)).toEqual(["127.0.0.1:9399", "[::1]:9399"]);
    expect(s.token).toEqual({ file: "/etc/nut/token", line: 4 });
    expect([s.tlsCert, s.tlsKey]).toEqual(["/c.pem", "/k.pem"]);
  });

  it.each([
    ["[http]\n port = 1\n", 'nutguard.conf:2: unknown setting "port" in [http] (known: listen, token'],
    [
      "[http]\n token = a\n token_file = /f\n",
      'nutguard.conf:3: give either "token" or "token_file", not both',
    ],
    ["[http]\n user = prom\n", 'nutguard.conf:2: "user" and "password" (or "password_file") go together'],
    ["[http]\n tls_key = /k\n", 'nutguard.conf:2: "tls_cert" and "tls_key" go together'],
    ["[http]\n listen = 1.2.3.4\n", 'nutguard.conf:2: listen: "1.2.3.4" has no port'],
    ["[http]\n listen = a:1 b:2\n", 'nutguard.conf:2: "listen" takes one ADDR:PORT per line'],
  ])("%j → %s", (text, message) => {
    expect(() => http(text)).toThrow(message);
  });

  it("refuses a non-loopback address without authentication, naming the setting", () => {
    const s = http("[http]\n listen = 127.0.0.1:9399\n listen = 0.0.0.0:9399\n");
    expect(checkExposure(s)).toBe(
      'refusing to listen on 0.0.0.0:9399 (/etc/nut/nutguard.conf [http]): it is not a loopback address and no authentication is configured; set "token" (or "token_file"), or "user" and "password" (or "password_file"), in [http] of /etc/nut/nutguard.conf',
    );
    expect(checkExposure(http("[http]\n listen = 0.0.0.0:9399\n token = t\n"))).toBeUndefined();
    expect(checkExposure(http("[http]\n listen = [::]:9399\n user = u\n password = p\n"))).toBeUndefined();
    expect(checkExposure(http("[http]\n listen = [::1]:9399\n"))).toBeUndefined();
  });

  it("--http replaces listen and keeps authentication from the file", () => {
    const c = conf("[http]\n listen = 127.0.0.1:1\n token = t\n");
    const s = httpSettingsFor(c, parseHttpFlags(["0.0.0.0:9399"]));
    expect(s.listen.map((l) => l.text)).toEqual(["0.0.0.0:9399"]);
    expect(checkExposure(s)).toBeUndefined();
    const open = httpSettingsFor(conf(""), parseHttpFlags(["0.0.0.0:9399"]));
    expect(checkExposure(open)).toContain("refusing to listen on 0.0.0.0:9399 (--http)");
    expect(() => parseHttpFlags(["nope"])).toThrow('--http "nope" has no port');
  });
});

describe("[history]", () => {
  const hist = (text: string, env: Record<string, string> = {}) =>
    historyFromSection(sectionsOf(conf(text), "history")[0], env);
  it.each([
    ["", {}, { dir: "/var/lib/nutguard", hours: 24 }],
    [
      "",
      { STATE_DIRECTORY: "/var/lib/nutguard-exporter:/var/lib/other" },
      { dir: "/var/lib/nutguard-exporter", hours: 24 },
    ],
    ["[history]\n dir = /srv/h\n hours = 48\n", { STATE_DIRECTORY: "/x" }, { dir: "/srv/h", hours: 48 }],
  ])("%j %j → %j", (text, env, expected) => {
    expect(hist(text, env)).toEqual(expected);
  });
  it.each([
    ["[history]\n dir = relative\n", 'nutguard.conf:2: "dir" must be an absolute path, got "relative"'],
    ["[history]\n hours = 0\n", 'nutguard.conf:2: "hours" must be a number of hours from 1 to 744, got "0"'],
    ["[history]\n size = 1\n", 'nutguard.conf:2: unknown setting "size" in [history]'],
  ])("%j → %s", (text, message) => {
    expect(() => hist(text)).toThrow(message);
  });
});

describe("[exporter]", () => {
  const exp = (text: string) => exporterFromSection(sectionsOf(conf(text), "exporter")[0]);
  it("targets (several per line or repeated), interval, credentials", () => {
    const s = exp(
      "[exporter]\n target = ups@a *@b:3494\n target = x@[::1]:3493\n interval = 10\n username = mon\n password = p\n",
    );
    expect(s.targets).toEqual([
      { host: "a", port: 3493, ups: "ups", text: "ups@a" },
      { host: "b", port: 3494, ups: undefined, text: "*@b:3494" },
      { host: "::1", port: 3493, ups: "x", text: "x@[::1]:3493" },
    ]);
    expect([s.intervalSec, s.username, s.password]).toEqual([10, "mon", { value: "p" }]);
  });
  it.each([
    [
      "[exporter]\n target = justahost\n",
      'nutguard.conf:2: target "justahost": a target is ups@host[:port] or *@host[:port]',
    ],
    [
      "[exporter]\n target = ups@host:0\n",
      "nutguard.conf:2: target \"ups@host:0\": upscli_splitaddr: no port number specified after ':' separator",
    ],
    ["[exporter]\n interval = 0.5\n", 'nutguard.conf:2: interval must be from 1 to 3600 seconds, got "0.5"'],
    ["[exporter]\n username = u\n", 'nutguard.conf:2: "username" and "password" go together'],
  ])("%j → %s", (text, message) => {
    expect(() => exp(text)).toThrow(message);
  });
});
