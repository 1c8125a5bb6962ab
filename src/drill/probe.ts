/**
 * Reading a monitored UPS's real upsd, read-only (I/O). On one connection: `LIST VAR` and
 * `LIST CLIENT`, then LOGOUT. On a second connection of the drill's own, the credentials check:
 * USERNAME, PASSWORD, LOGIN and an immediate LOGOUT (upsd checks a password only at LOGIN). Never
 * SET, INSTCMD, FSD or PRIMARY: this module must not send them.
 */
import { NutClient } from "../client/client.js";
import type { MonitorEntry } from "../config/upsmon-conf.js";
import { NutServerError } from "../protocol/errors.js";
import { describeError } from "../tools/tool-support.js";
import type { RealUpsProbe } from "./drill-types.js";

const TIMEOUT_MS = 5000;

function connect(m: MonitorEntry): Promise<NutClient> {
  return NutClient.connect({
    host: m.host,
    port: m.port,
    connectTimeoutMs: TIMEOUT_MS,
    requestTimeoutMs: TIMEOUT_MS,
  });
}

async function checkCredentials(m: MonitorEntry): Promise<RealUpsProbe["credentials"]> {
  let client: NutClient;
  try {
    client = await connect(m);
  } catch (err) {
    return { result: "unchecked", why: describeError(err) };
  }
  try {
    await client.username(m.username);
    await client.password(m.password);
    await client.login(m.upsName);
    return { result: "ok" };
  } catch (err) {
    if (err instanceof NutServerError) return { result: "rejected", error: `${err.code} (${err.message})` };
    return { result: "unchecked", why: describeError(err) };
  } finally {
    await client.close();
  }
}

/** What the drill may know about one MONITOR line's UPS, read once. */
export async function probeRealUps(m: MonitorEntry): Promise<RealUpsProbe> {
  const probe: RealUpsProbe = {
    monitor: m,
    unreachable: undefined,
    vars: {},
    credentials: { result: "unchecked", why: "upsd not reachable" },
    clients: undefined,
  };
  let client: NutClient;
  try {
    client = await connect(m);
  } catch (err) {
    probe.unreachable = describeError(err);
    return probe;
  }
  try {
    for (const v of await client.listVar(m.upsName)) probe.vars[v.name] = v.value;
    probe.clients = await client.listClient(m.upsName).catch(() => undefined);
  } catch (err) {
    probe.unreachable = describeError(err);
  } finally {
    await client.close();
  }
  // An unknown UPS cannot be logged in to either; a stopped driver still can (LOGIN needs no driver).
  if (!(probe.unreachable !== undefined && /unknown ups/i.test(probe.unreachable)))
    probe.credentials = await checkCredentials(m);
  return probe;
}
