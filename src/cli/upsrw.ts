/**
 * `nutguard upsrw`: NUT's upsrw. Without `-s` it lists the writable variables (description, type,
 * ENUM/RANGE options with SELECTED); `-s var=value` or `-s var` (prompting for the value) sets one,
 * with `-u`/`-p` (prompted when missing) and `-w`/`-t` tracking. Unlike NUT, end of input at the
 * value prompt is an error instead of sending garbage.
 * Thin: argv → src/tools/upsrw-listing.ts and src/tools/admin-request.ts.
 */
import type { NutClient } from "../client/client.js";
import {
  authenticate,
  completeCredentials,
  DEFAULT_TRACKING_TIMEOUT_SEC,
  performAdminRequest,
} from "../tools/admin-request.js";
import { connectToUps, parseAdminArgs, runAdminTool } from "../tools/admin-tool.js";
import { LineReader } from "../tools/prompt.js";
import { describeError, fatal, listFailure, unlessServerError } from "../tools/tool-support.js";
import { formatRwEntry, planRwType, type RwEntry } from "../tools/upsrw-listing.js";

const OPTSTRING = "+Dhls:p:t:u:wVW:A:";

const HELP = `NUT administration client program to set variables within UPS hardware (nutguard).

usage: upsrw [-h]
       upsrw [-s <variable>] [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups>


  -s <variable>	specify variable to be changed
		use -s VAR=VALUE to avoid prompting for value
  -l            show all possible read/write variables.
  -u <username> set username for command authentication
  -p <password> set password for command authentication
  -w            wait for the completion of setting by the driver
                and return its actual result from the device
  -t <timeout>	set a timeout when using -w (in seconds, default: ${DEFAULT_TRACKING_TIMEOUT_SEC})

  <ups>         UPS identifier - <upsname>[@<hostname>[:<port>]]

Common arguments:
  -V         - display the version of this software
  -W <secs>  - network timeout for initial connections (default: 10)
  -D         - raise debugging level
  -h         - display this help text

Call without -s to show all possible read/write variables (same as -l).
`;

export function run(argv: string[]): Promise<number> {
  return runAdminTool(() => upsrw(argv));
}

async function upsrw(argv: string[]): Promise<number> {
  let setvar: string | undefined;
  const inv = parseAdminArgs(argv, {
    prog: "upsrw",
    optstring: OPTSTRING,
    help: HELP,
    onOption: (opt) => {
      if (opt.letter === "s") setvar = opt.value;
      else if (opt.letter !== "l") return false;
      else if (setvar !== undefined) {
        process.stderr.write("Listing mode requested, overriding setvar specified earlier!\n");
        setvar = undefined;
      }
      return true;
    },
  });
  if (typeof inv === "number") return inv;
  const { client, upsname } = await connectToUps(inv.operands[0]!, inv.timeoutMs);
  try {
    if (setvar === undefined) {
      await listRw(client, upsname);
      return 0;
    }
    const input = new LineReader(process.stdin);
    const creds = await completeCredentials(inv, input);
    await authenticate(client, creds);
    const eq = setvar.indexOf("=");
    let varname = setvar;
    let value: string | undefined;
    if (eq >= 0) {
      varname = setvar.slice(0, eq);
      value = setvar.slice(eq + 1);
    } else {
      process.stdout.write(`Enter new value for ${varname}: `);
      value = await input.readLine();
      if (value === undefined) throw fatal("Error: no value given (end of input)");
    }
    if (!varname.includes(".")) throw fatal("Error: old variable names are not supported");
    await performAdminRequest(
      client,
      inv.trackTimeoutSec,
      "set variable",
      () => client.setVar(upsname, varname, value as string),
      "Set variable failed",
    );
    return 0;
  } finally {
    await client.close();
  }
}

async function listRw(client: NutClient, upsname: string): Promise<void> {
  let names: string[];
  try {
    names = (await client.listRw(upsname)).map((v) => v.name);
  } catch (err) {
    throw listFailure(err);
  }
  // Request everything for every variable at once (pipelined), then print in order.
  const entries = names.map((name) => fetchRwEntry(client, upsname, name));
  // A failure ends the tool at the first entry that fails; the later ones must not go unhandled.
  for (const e of entries) e.catch(() => {});
  for (const entry of entries) {
    process.stdout.write(formatRwEntry(await entry));
  }
}

async function fetchRwEntry(client: NutClient, upsname: string, name: string): Promise<RwEntry> {
  const descP = unlessServerError(client.getDesc(upsname, name));
  const typeP = unlessServerError(client.getType(upsname, name).then((t) => planRwType(t.flags)));
  const valueP = unlessServerError(client.getVar(upsname, name));
  const [description, type, value] = await Promise.all([descP, typeP, valueP]);
  const entry: RwEntry = { name, description, type, value: value ?? "" };
  const kind = type?.plan.kind;
  if (kind === undefined || kind === "none") return entry;
  if (value === undefined) throw fatal(`do_${kind}: can't get current value of ${name}`);
  try {
    if (kind === "enum") entry.enumValues = await client.listEnum(upsname, name);
    if (kind === "range") {
      entry.ranges = (await client.listRange(upsname, name)).map(
        (r) => [String(r.min), String(r.max)] as const,
      );
    }
  } catch (err) {
    throw fatal(`Error: ${describeError(err)}`);
  }
  return entry;
}
