/**
 * `nutguard upscmd`: NUT's upscmd. `-l <ups>` lists instant commands with their descriptions;
 * otherwise `[-u user] [-p pass] [-w [-t sec]] <ups> <command> [<value>]` runs one, prompting for
 * missing credentials. Unlike NUT, a parameter is sent quoted, so a multi-word value arrives whole.
 * Thin: argv → src/tools/admin-request.ts.
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
import { fatal, listFailure, unlessServerError } from "../tools/tool-support.js";

const OPTSTRING = "+Dlhu:p:t:wVW:A:";

const HELP = `NUT administration client program to initiate instant commands on UPS hardware (nutguard).

usage: upscmd [-h]
       upscmd [-l <ups>]
       upscmd [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups> <command> [<value>]


  -l <ups>	show available commands on UPS <ups>
  -u <username>	set username for command authentication
  -p <password>	set password for command authentication
  -w            wait for the completion of command by the driver
                and return its actual result from the device
  -t <timeout>	set a timeout when using -w (in seconds, default: ${DEFAULT_TRACKING_TIMEOUT_SEC})

  <ups>		UPS identifier - <upsname>[@<hostname>[:<port>]]
  <command>	Valid instant command - test.panel.start, etc.
  [<value>]	Additional data for command - number of seconds, etc.

Common arguments:
  -V         - display the version of this software
  -W <secs>  - network timeout for initial connections (default: 10)
  -D         - raise debugging level
  -h         - display this help text
`;

export function run(argv: string[]): Promise<number> {
  return runAdminTool(() => upscmd(argv));
}

async function upscmd(argv: string[]): Promise<number> {
  let list = false;
  const inv = parseAdminArgs(argv, {
    prog: "upscmd",
    optstring: OPTSTRING,
    help: HELP,
    onOption: (opt) => opt.letter === "l" && (list = true),
  });
  if (typeof inv === "number") return inv;
  const { operands } = inv;
  const { client, upsname } = await connectToUps(operands[0]!, inv.timeoutMs);
  try {
    if (list) {
      await listCommands(client, upsname);
      return 0;
    }
    if (operands.length < 2) {
      process.stdout.write(HELP);
      return 0;
    }
    const cmd = operands[1]!;
    const param = operands[2];
    if (!cmd.includes(".")) throw fatal("Error: old command names are not supported");
    await authenticate(client, await completeCredentials(inv, new LineReader(process.stdin)));
    await performAdminRequest(
      client,
      inv.trackTimeoutSec,
      "command",
      () => client.instcmd(upsname, cmd, param),
      "Instant command failed",
    );
    return 0;
  } finally {
    await client.close();
  }
}

async function listCommands(client: NutClient, upsname: string): Promise<void> {
  let commands: string[];
  try {
    commands = await client.listCmd(upsname);
  } catch (err) {
    throw listFailure(err);
  }
  // Pipelined: every description is requested before the first reply is read.
  const descriptions = await Promise.all(
    commands.map((c) => unlessServerError(client.getCmdDesc(upsname, c))),
  );
  let out = `Instant commands supported on UPS [${upsname}]:\n\n`;
  commands.forEach((c, i) => {
    const desc = descriptions[i];
    out += desc === undefined ? `${c}\n` : `${c} - ${desc}\n`;
  });
  process.stdout.write(out);
}
