/**
 * Test fixture: a ServerModel over the same devices and users as the real-NUT stack
 * (test/helpers/nut-stack.ts), built in memory (no files), with deterministic tracking ids.
 */
import { parseCmdvartab } from "../../src/config/cmdvartab.js";
import { parseUpsdUsers } from "../../src/config/upsd-users.js";
import { splitLine } from "../../src/protocol/tokenizer.js";
import { ServerModel, type SessionState } from "../../src/server/model.js";
import { handleRequest } from "../../src/server/session.js";
import { DummyUpsSimulation } from "../../src/server/simulation.js";
import { DEFAULT_DEVICES, DEFAULT_UPSD_USERS } from "../helpers/nut-stack.js";

const CMDVARTAB = `VARDESC ups.status "UPS status"
CMDDESC load.off "Turn off the load immediately"
`;

/** `commandEffects`: every UPS has ups.conf's `nutguard_instcmds = yes` (the demo's setting). */
export function makeModel(nowMs = 0, o: { commandEffects?: boolean } = {}): ServerModel {
  let n = 0;
  const model = new ServerModel({
    users: parseUpsdUsers(DEFAULT_UPSD_USERS),
    descriptions: parseCmdvartab(CMDVARTAB),
    tlsConfigured: false,
    newTrackingId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  });
  const entries = Object.entries(DEFAULT_DEVICES).map(([name, spec]) => {
    const file = `/nut/etc/${name}.${spec.seq ? "seq" : "dev"}`;
    const sim = new DummyUpsSimulation({
      port: file,
      mode: spec.seq ? "dummy-loop" : "dummy-once",
      commandEffects: o.commandEffects ?? false,
    });
    sim.loadFile(spec.seq ?? spec.dev ?? "", nowMs);
    return { name, desc: spec.desc, sim, fsd: false };
  });
  model.setUps(entries);
  return model;
}

/** One client: send a raw request line, get the reply lines joined with LF (as the wire shows them). */
export function client(model: ServerModel, address = "127.0.0.1") {
  const session: SessionState = model.openSession(address);
  let closed = false;
  return {
    session,
    get closed() {
      return closed;
    },
    send(line: string, nowMs = 0): string {
      const out = handleRequest(model, session, splitLine(line), nowMs);
      if (out.close) closed = true;
      return out.replies.join("\n");
    },
    disconnect() {
      model.closeSession(session);
    },
  };
}
