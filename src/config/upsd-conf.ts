/**
 * upsd.conf reader: LISTEN addresses, MAXAGE, MAXCONN, CERTFILE, TRACKINGDELAY — the directives
 * nutguard server uses. Directives upsd knows but nutguard does not use are accepted with a
 * warning; unknown ones too (upsd only logs them). Pure: text in, object out, no file access.
 */

import { NUT_DEFAULT_PORT } from "../protocol/defaults.js";
import { ConfigError, readConfigLines } from "./reader.js";

export { NUT_DEFAULT_PORT };

export interface ListenAddress {
  host: string;
  port: number;
}

export interface UpsdConf {
  /** Empty means 127.0.0.1 port 3493 (upsd also adds ::1). */
  listen: ListenAddress[];
  maxAgeSec: number;
  maxConn: number;
  /** PEM file with the certificate and its private key, enabling STARTTLS. */
  certFile: string | undefined;
  trackingDelaySec: number;
  /** Non-fatal remarks, each "file:line: text". */
  warnings: string[];
}

const IGNORED = new Set([
  "STATEPATH",
  "CERTPATH",
  "CERTIDENT",
  "CERTREQUEST",
  "DISABLE_WEAK_SSL",
  "DEBUG_MIN",
]);

function positiveInt(
  file: string,
  line: number,
  keyword: string,
  value: string | undefined,
  min = 1,
): number {
  const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(
      file,
      line,
      `${keyword} needs a positive whole number, got ${JSON.stringify(value ?? "")}`,
    );
  }
  return n;
}

export function parseUpsdConf(text: string, file = "upsd.conf"): UpsdConf {
  const conf: UpsdConf = {
    listen: [],
    maxAgeSec: 15,
    maxConn: 1024,
    certFile: undefined,
    trackingDelaySec: 3600,
    warnings: [],
  };
  for (const { words, line } of readConfigLines(text, file)) {
    const keyword = words[0]!.toUpperCase();
    switch (keyword) {
      case "LISTEN": {
        const host = words[1];
        if (host === undefined) throw new ConfigError(file, line, "LISTEN needs an address");
        const port =
          words[2] === undefined ? NUT_DEFAULT_PORT : positiveInt(file, line, "LISTEN port", words[2], 0);
        if (port > 65535) throw new ConfigError(file, line, `LISTEN port ${port} is out of range`);
        conf.listen.push({ host, port }); // port 0 (a free port) is a nutguard extension, for tests
        break;
      }
      case "MAXAGE":
        conf.maxAgeSec = positiveInt(file, line, keyword, words[1]);
        break;
      case "MAXCONN":
        conf.maxConn = positiveInt(file, line, keyword, words[1]);
        break;
      case "TRACKINGDELAY":
        conf.trackingDelaySec = positiveInt(file, line, keyword, words[1]);
        break;
      case "CERTFILE":
        if (words[1] === undefined) throw new ConfigError(file, line, "CERTFILE needs a file name");
        conf.certFile = words[1];
        break;
      default:
        conf.warnings.push(
          IGNORED.has(keyword)
            ? `${file}:${line}: ${keyword} is not used by nutguard server`
            : `${file}:${line}: Unrecognized directive ${words[0]}`,
        );
    }
  }
  return conf;
}
