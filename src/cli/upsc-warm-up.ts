/**
 * Runs upsc's parsing, client and output code once against an in-memory upsd, so that a V8 start-up
 * snapshot built after it holds that code compiled. Used by both snapshots: upsc's own
 * (src/cli/upsc-snapshot.ts) and the whole CLI's (src/cli/nutguard-snapshot.ts).
 * Must not: open sockets or touch stdio, argv or the environment (whatever it touches is frozen into the blob).
 */
import { Duplex } from "node:stream";
import { NutClient } from "../client/client.js";
import { splitAddr, splitName } from "../protocol/upsname.js";
import { getopt } from "../tools/getopt.js";
import { connectTimeoutMs } from "../tools/tool-support.js";
import {
  formatClients,
  formatJsonFailure,
  formatUpsList,
  formatValue,
  formatVariables,
} from "../tools/upsc-output.js";
import { OPTSTRING } from "./upsc.js";

/** Replies of an in-memory upsd to the requests upsc sends. */
const WARM_UP_REPLIES: Record<string, string> = {
  "LIST VAR ups":
    'BEGIN LIST VAR ups\nVAR ups ups.status "OL"\nVAR ups device.model "a \\"b\\" c"\nEND LIST VAR ups\n',
  "LIST UPS": 'BEGIN LIST UPS\nUPS ups "description"\nEND LIST UPS\n',
  "LIST CLIENT ups": "BEGIN LIST CLIENT ups\nCLIENT ups 127.0.0.1\nEND LIST CLIENT ups\n",
  "GET VAR ups ups.status": 'VAR ups ups.status "OL"\n',
  "GET VAR ups nosuch.var": "ERR VAR-NOT-SUPPORTED\n",
  LOGOUT: "OK Goodbye\n",
};

/** Runs upsc's parsing, client and output code once, so the snapshot holds it compiled. */
export async function warmUpUpsc(): Promise<void> {
  for (const json of [false, true]) {
    getopt(json ? ["-j", "-W", "5", "ups@localhost:3493", "x"] : ["-l", "localhost"], OPTSTRING);
    splitName("ups@127.0.0.1:3493");
    splitAddr("127.0.0.1:3493");
    connectTimeoutMs(json ? "5" : undefined, {});
  }
  const server = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("latin1").split("\n").filter(Boolean)) {
        this.push(WARM_UP_REPLIES[line] ?? "ERR UNKNOWN-COMMAND\n", "latin1");
      }
      done();
    },
  });
  // the constructor is protected: NutClient.connect() opens a socket, which a snapshot must not hold
  const client = new (
    NutClient as unknown as new (
      s: Duplex,
      host: string,
      port: number,
      timeoutMs: number,
    ) => NutClient
  )(server, "warm-up", 3493, 1000);
  const vars = await client.listVar("ups");
  const ups = await client.listUps();
  const clients = await client.listClient("ups");
  const value = await client.getVar("ups", "ups.status");
  const failure = await client.getVar("ups", "nosuch.var").catch((err: unknown) => err);
  await client.close();
  server.destroy();
  for (const json of [false, true]) {
    formatVariables(
      vars.map((v) => [v.name, v.value] as const),
      json,
    );
    formatUpsList(ups, json, json);
    formatClients(clients, json);
    formatValue(value, json);
    formatJsonFailure({ kind: "list-vars", upsname: "ups" }, String(failure), true);
  }
}
