/**
 * nutguard server simulating one UPS "ups" from a dummy-ups sequence file, on the given clock (a
 * VirtualClock plays the sequence's TIMERs in simulated time), with the stock test users
 * (DEFAULT_UPSD_USERS) on 127.0.0.1, a free port. The files go into `dir`.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startServer } from "../../src/server/server.js";
import type { Clock } from "../../src/util/clock.js";
import type { Logger } from "../../src/util/log.js";
import { DEFAULT_UPSD_USERS } from "./nut-stack.js";

export async function startSequenceServer(dir: string, sequence: string, clock: Clock, log: Logger) {
  await writeFile(join(dir, "ups.seq"), sequence);
  await writeFile(join(dir, "ups.conf"), `[ups]\n\tdriver = dummy-ups\n\tport = ${join(dir, "ups.seq")}\n`);
  await writeFile(join(dir, "upsd.conf"), "LISTEN 127.0.0.1 0\n");
  await writeFile(join(dir, "upsd.users"), DEFAULT_UPSD_USERS);
  const server = await startServer({ confPath: dir, log, clock });
  return { server, port: server.addresses[0]!.port };
}
