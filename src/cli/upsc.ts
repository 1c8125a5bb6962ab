/**
 * `nutguard upsc` (also runnable as plain `upsc`): NUT's upsc with the same flags, stdout bytes,
 * stderr messages and exit codes, plus the JSON forms of NUT 2.8.5+ (`-j`).
 * Thin: argv → one request → formatted output (src/tools/upsc-output.ts). Never sends STARTTLS.
 */
import type { NutClient } from "../client/client.js";
import { splitAddr, splitName, type UpsAddress } from "../protocol/upsname.js";
import { getopt } from "../tools/getopt.js";
import {
  connectTimeoutMs,
  connectTo,
  describeError,
  guardStdout,
  isUnknownCommand,
  ToolExit,
  versionBanner,
} from "../tools/tool-support.js";
import {
  formatClients,
  formatJsonFailure,
  formatUpsList,
  formatValue,
  formatVariables,
  type UpscQuery,
} from "../tools/upsc-output.js";

export const OPTSTRING = "+DhlLcVW:jA:";

function help(): string {
  return `NUT read-only client program to display UPS variables (nutguard).

usage: upsc [-j] -l | -L [<hostname>[:port]]
       upsc [-j] <ups> [<variable>]
       upsc [-j] -c <ups>

Option:
  -j         - display output in JSON format

First form (lists UPSes):
  -l         - lists each UPS on <hostname>, one per line.
  -L         - lists each UPS followed by its description (from ups.conf).
               Default hostname: localhost

Second form (lists variables and values):
  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form
  <variable> - optional, display this variable only.
               Default: list all variables for <host>

Third form (lists clients connected to a device):
  -c         - lists each client connected on <ups>, one per line.
  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form

Common arguments:
  -V         - display the version of this software
  -W <secs>  - network timeout for initial connections (default: 10)
  -A <name>  - accepted for compatibility; nutguard's upsc does not authenticate
  -D         - raise debugging level
  -h         - display this help text
`;
}

/** A failure after which upsc prints `Error: <message>` (and, with -j, the JSON error on stdout). */
class UpscFailure extends Error {}

export async function run(argv: string[]): Promise<number> {
  guardStdout();
  let json = false;
  try {
    return await upsc(argv, (on) => {
      json = on;
    });
  } catch (err) {
    if (err instanceof ToolExit) {
      process.stderr.write(err.stderr);
      return err.code;
    }
    process.stderr.write(`Error: ${describeError(err)}\n`);
    if (json) process.stdout.write(formatJsonFailure(undefined, describeError(err), false));
    return 1;
  }
}

async function upsc(argv: string[], setJson: (on: boolean) => void): Promise<number> {
  const { options, operands } = getopt(argv, OPTSTRING);
  let listUps = false;
  let withDescriptions = false;
  let listClients = false;
  let json = false;
  let timeoutOption: string | undefined;
  for (const opt of options) {
    switch (opt.letter) {
      case "l":
        listUps = true;
        break;
      case "L":
        listUps = true;
        withDescriptions = true;
        break;
      case "c":
        listClients = true;
        break;
      case "j":
        json = true;
        break;
      case "W":
        timeoutOption = opt.value;
        break;
      case "D":
      case "A":
        break;
      case "V":
        process.stdout.write(versionBanner("upsc"));
        return 0;
      default:
        if (opt.diagnostic) process.stderr.write(`upsc: ${opt.diagnostic}\n`);
        process.stdout.write(help());
        return 0;
    }
  }
  setJson(json);

  const fail = (message: string, query?: UpscQuery, requestSent = false): number => {
    if (json) process.stdout.write(formatJsonFailure(query, message, requestSent));
    process.stderr.write(`Error: ${message}\n`);
    return 1;
  };

  let timeoutMs: number;
  try {
    timeoutMs = connectTimeoutMs(timeoutOption, process.env);
  } catch (err) {
    return fail(describeError(err).replace(/^Error: /, ""));
  }

  let addr: UpsAddress;
  let query: UpscQuery;
  if (listUps) {
    const split = splitAddr(operands[0] ?? "localhost");
    if (!split.ok) {
      process.stderr.write(`${split.diagnostic}\n`);
      return fail("invalid hostname.\nRequired format: [hostname[:port]]");
    }
    addr = split.value;
    query = { kind: "list-ups", withDescriptions };
  } else {
    const split = splitName(operands[0]);
    if (!split.ok) {
      if (operands[0] !== undefined) process.stderr.write(`${split.diagnostic}\n`);
      return fail("invalid UPS definition.\nRequired format: upsname[@hostname[:port]]");
    }
    addr = split.value;
    const upsname = split.value.upsname;
    if (listClients) query = { kind: "list-clients", upsname };
    else if (operands.length > 1) query = { kind: "get-var", upsname, varname: operands[1]! };
    else query = { kind: "list-vars", upsname };
  }

  let client: NutClient;
  try {
    client = await connectTo(addr, timeoutMs);
  } catch (err) {
    return fail(describeError(err));
  }
  try {
    process.stdout.write(await answer(client, query, json));
    return 0;
  } catch (err) {
    if (err instanceof UpscFailure) return fail(err.message, query, true);
    return fail(describeError(err), query, true);
  } finally {
    await client.close();
  }
}

async function answer(client: NutClient, query: UpscQuery, json: boolean): Promise<string> {
  const tooOld = (err: unknown, message: string): never => {
    throw new UpscFailure(isUnknownCommand(err) ? message : describeError(err));
  };
  switch (query.kind) {
    case "get-var": {
      if (!query.varname.includes(".")) throw new UpscFailure("old-style variable names are not supported");
      const value = await client
        .getVar(query.upsname, query.varname)
        .catch((err) => tooOld(err, "variable unknown (old upsd detected)"));
      return formatValue(value, json);
    }
    case "list-vars": {
      const vars = await client
        .listVar(query.upsname)
        .catch((err) => tooOld(err, "upsd is too old to support this query"));
      return formatVariables(
        vars.map((v) => [v.name, v.value] as const),
        json,
      );
    }
    case "list-ups": {
      const list = await client
        .listUps()
        .catch((err) => tooOld(err, "upsd is too old to support this query"));
      return formatUpsList(list, query.withDescriptions, json);
    }
    case "list-clients": {
      const list = await client
        .listClient(query.upsname)
        .catch((err) => tooOld(err, "upsd is too old to support this query"));
      return formatClients(list, json);
    }
  }
}
