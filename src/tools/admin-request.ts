/**
 * What upscmd and upsrw share (NUT `clients/upscmd.c` / `upsrw.c` / libupsclient's
 * `upscli_authenticate()`): logging in with `-u`/`-p` or prompting for them, `SET TRACKING ON` for
 * `-w`, and reporting the server's answer to an INSTCMD or SET: `OK` (plus HEAD's warning) or the
 * tracked result on stderr with exit 0, `Unexpected response from upsd: <line>` with exit 1, and
 * `Can't receive status tracking information: timeout` after `-t` seconds.
 *
 * Must not: print to stdout except the username prompt (NUT prints it there).
 */
import { userInfo } from "node:os";
import type { CommandAccepted, NutClient } from "../client/client.js";
import { NutReplyMismatchError, NutServerError } from "../protocol/errors.js";
import type { LineReader } from "./prompt.js";
import { describeError, fatal } from "./tool-support.js";

export const DEFAULT_TRACKING_TIMEOUT_SEC = 10;

export interface Credentials {
  user: string | undefined;
  pass: string | undefined;
}

function osUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** Prompts for what is missing (`Username (<os user>): ` on stdout, `Password: ` without echo). */
export async function completeCredentials(given: Credentials, input: LineReader): Promise<Credentials> {
  let user = given.user;
  let pass = given.pass;
  if (user === undefined) {
    const osUser = osUserName();
    process.stdout.write(osUser ? `Username (${osUser}): ` : "Username: ");
    const line = await input.readLine();
    if (line === undefined) {
      throw fatal("Error reading from stdin!\nAuthentication failed: Invalid username");
    }
    user = line.replace(/[\r\n]+$/, "");
    if (user === "") {
      if (!osUser) {
        throw fatal("No username available - even tried getpwuid\nAuthentication failed: Username required");
      }
      user = osUser;
    }
  }
  if (pass === undefined) {
    pass = await input.readSecret("Password: ", process.stderr);
    if (pass === undefined)
      throw fatal("getpass failed: end of input\nAuthentication failed: Invalid password");
  }
  return { user, pass };
}

/** USERNAME + PASSWORD; a refusal ends the tool as upscmd/upsrw do. */
export async function authenticate(client: NutClient, creds: Credentials): Promise<void> {
  try {
    await client.username(creds.user!);
  } catch (err) {
    throw fatal(`Set username failed: ${describeError(err)}\nAuthentication failed: ${describeError(err)}`);
  }
  try {
    await client.password(creds.pass!);
  } catch (err) {
    throw fatal(`Set password failed: ${describeError(err)}\nAuthentication failed: ${describeError(err)}`);
  }
}

/** `-w`: SET TRACKING ON, which must be answered with OK. `what` is "command" or "set variable". */
async function enableTracking(client: NutClient, what: string): Promise<void> {
  try {
    await client.setTracking(true);
  } catch (err) {
    if (err instanceof NutServerError || err instanceof NutReplyMismatchError) {
      throw fatal(`Enabling ${what} status tracking failed. upsd answered: ${err.replyLine}`);
    }
    throw fatal(`Enabling ${what} status tracking failed: ${describeError(err)}`);
  }
}

/**
 * Sends the request and turns its outcome into what NUT prints. `failedPrefix` is NUT's message for a
 * broken connection ("Instant command failed" / "Set variable failed"). A reply that does not answer
 * the request (NutReplyMismatchError: another command's OK, a TRACKING answer that does not fit `-w`)
 * is refused as NUT refuses a reply that is not OK: `Unexpected response from upsd: <line>`.
 */
async function submitAdminRequest(
  request: () => Promise<CommandAccepted>,
  failedPrefix: string,
): Promise<CommandAccepted> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof NutServerError || err instanceof NutReplyMismatchError) {
      throw fatal(`Unexpected response from upsd: ${err.replyLine}`);
    }
    throw fatal(`${failedPrefix}: ${describeError(err)}`);
  }
}

const OK_WARNING =
  "WARNING: 'OK' only means the NUT data server accepted\n" +
  "the request as valid, but as we did not wait for result,\n" +
  "we do not know if it was handled in fact.\n" +
  "You can export NUT_QUIET_OK_NOTRACKING=true to hide this message,\n" +
  "or use -w [-t SEC] option(s) to track the actual outcome.\n";

/**
 * Reports an accepted request on stderr: without a tracking id, `OK` (and HEAD's warning unless
 * NUT_QUIET_OK_NOTRACKING=true); with one, polls `GET TRACKING <id>` once a second until it is not
 * PENDING and prints the final line (`SUCCESS`, `ERR UNKNOWN`, ...). Exit status stays 0, as in NUT.
 */
async function reportOutcome(
  client: NutClient,
  accepted: CommandAccepted,
  trackTimeoutSec: number | undefined,
): Promise<void> {
  if (trackTimeoutSec === undefined || accepted.trackingId === undefined) {
    const quiet = process.env.NUT_QUIET_OK_NOTRACKING === "true";
    process.stderr.write(accepted.trackingId ? `OK TRACKING ${accepted.trackingId}\n` : "OK\n");
    if (!quiet) process.stderr.write(OK_WARNING);
    return;
  }
  const timeoutMs = trackTimeoutSec * 1000;
  const start = Date.now();
  for (;;) {
    if (Date.now() - start >= timeoutMs) {
      throw fatal("Can't receive status tracking information: timeout");
    }
    let result: string;
    try {
      result = await client.getTracking(accepted.trackingId, { timeoutMs });
    } catch (err) {
      if (err instanceof NutServerError) {
        result = err.replyLine;
      } else {
        throw fatal(`Can't receive status tracking information: ${describeError(err)}`);
      }
    }
    if (result !== "PENDING") {
      process.stderr.write(`${result}\n`);
      return;
    }
    await new Promise<void>((r) => setTimeout(r, 1000));
  }
}

/**
 * The whole admin exchange after login: `-w` enables tracking, the request is sent, its outcome
 * reported. `what` names it in NUT's messages ("command" / "set variable"); `failedPrefix` is NUT's
 * message for a broken connection.
 */
export async function performAdminRequest(
  client: NutClient,
  trackTimeoutSec: number | undefined,
  what: string,
  request: () => Promise<CommandAccepted>,
  failedPrefix: string,
): Promise<void> {
  if (trackTimeoutSec !== undefined) await enableTracking(client, what);
  const accepted = await submitAdminRequest(request, failedPrefix);
  await reportOutcome(client, accepted, trackTimeoutSec);
}
