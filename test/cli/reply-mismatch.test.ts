/**
 * The tools facing replies that do not answer their request (issue 10, item 1): another UPS's
 * status, another variable's type, another command's OK, a list closed for another query. Each tool
 * prints libupsclient's "Protocol error" (upscmd/upsrw: NUT's `Unexpected response from upsd: <line>`
 * for the command's own reply) and exits 1; upslog logs NA. None prints the wrong reply's data.
 * Where NUT's tool reacts to the same server, it runs beside ours (runNut).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";
import { bracketLines, observable, runNut, runOurs, runOurUpslog } from "./run-tool.js";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ID = "2DDC5036-F665-4D29-BE4C-0374D091D263";

/** An upsd-like server whose answers to `hostile` requests are replaced by `override(words)`. */
async function serve(override: (w: string[]) => string | undefined): Promise<string> {
  server = await startFakeServer({
    onLine: (line): FakeAction => {
      const w = line.split(" ");
      const o = override(w);
      if (o !== undefined) return o;
      if (w[0] === "LOGOUT") return { write: "OK Goodbye\n", thenClose: true };
      if (w[0] === "GET" && w[1] === "VAR") return `VAR ${w[2]} ${w[3]} "OL"\n`;
      if (w[0] === "GET" && w[1] === "TYPE") return `TYPE ${w[2]} ${w[3]} RW STRING:8\n`;
      if (w[0] === "GET" && w[1] === "DESC") return `DESC ${w[2]} ${w[3]} "Description"\n`;
      if (w[0] === "GET" && w[1] === "CMDDESC") return `CMDDESC ${w[2]} ${w[3]} "Turn off"\n`;
      if (w[0] === "LIST" && w[1] === "CMD")
        return `BEGIN LIST CMD ${w[2]}\nCMD ${w[2]} load.off\nEND LIST CMD ${w[2]}\n`;
      if (w[0] === "LIST" && w[1] === "RW")
        return `BEGIN LIST RW ${w[2]}\nRW ${w[2]} ups.id "1"\nEND LIST RW ${w[2]}\n`;
      if (w[0] === "LIST" && w[1] === "VAR") {
        return `BEGIN LIST VAR ${w[2]}\nVAR ${w[2]} ups.status "OL"\nEND LIST VAR ${w[2]}\n`;
      }
      if (w[0] === "STARTTLS") return "ERR FEATURE-NOT-CONFIGURED\n";
      return "OK\n";
    },
  });
  return `ups@127.0.0.1:${server.port}`;
}

const OTHER_UPS_ON_BATTERY = (w: string[]) =>
  w[0] === "GET" && w[1] === "VAR" ? `VAR otherups ${w[3]} "OB LB"\n` : undefined;

describe("upsc", () => {
  it("GET VAR answered for another UPS: `Error: Protocol error`, exit 1, as NUT's upsc", async () => {
    const ups = await serve(OTHER_UPS_ON_BATTERY);
    const ours = observable(await runOurs("upsc", [ups, "ups.status"]));
    expect(ours).toEqual({ stdout: "", errors: ["Error: Protocol error"], code: 1 });
    expect(observable(await runNut("upsc", [ups, "ups.status"]))).toEqual(ours);
  });

  it("-j: the JSON error, never the other UPS's value", async () => {
    const ups = await serve(OTHER_UPS_ON_BATTERY);
    const r = await runOurs("upsc", ["-j", ups, "ups.status"]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("OB LB");
    expect(JSON.parse(r.stdout)).toMatchObject({ error: "Protocol error" });
  });

  it("a list ended for another UPS: `Error: Protocol error` (NUT's upsc accepts any END LIST)", async () => {
    const ups = await serve((w) =>
      w[0] === "LIST"
        ? `BEGIN LIST VAR ${w[2]}\nVAR ${w[2]} ups.status "OL"\nEND LIST VAR otherups\n`
        : undefined,
    );
    const r = await runOurs("upsc", [ups]);
    expect(observable(r)).toEqual({ stdout: "", errors: ["Error: Protocol error"], code: 1 });
  });
});

describe("upscmd and upsrw", () => {
  it("upscmd -l: another command's description is `Error: Protocol error`, not a made-up listing", async () => {
    const ups = await serve((w) => (w[1] === "CMDDESC" ? `CMDDESC ${w[2]} load.on "Turn on"\n` : undefined));
    const r = await runOurs("upscmd", ["-l", ups]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: Protocol error\n");
    expect(r.stdout).not.toContain("Turn on");
  });

  it("upsrw: another variable's type is `Error: Protocol error`", async () => {
    const ups = await serve((w) => (w[1] === "TYPE" ? `TYPE ${w[2]} ups.model RW STRING:3\n` : undefined));
    const r = await runOurs("upsrw", [ups]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: Protocol error\n");
  });

  it("upscmd -w: a plain OK where tracking was asked for is an unexpected response", async () => {
    const ups = await serve(() => undefined);
    const r = await runOurs("upscmd", ["-w", "-u", "a", "-p", "b", ups, "load.off"]);
    expect(observable(r)).toEqual({ stdout: "", errors: ["Unexpected response from upsd: OK"], code: 1 });
  });

  it("upsrw -s: `OK TRACKING <id>` on a connection without tracking is an unexpected response", async () => {
    const ups = await serve((w) => (w[0] === "SET" && w[1] === "VAR" ? `OK TRACKING ${ID}\n` : undefined));
    const r = await runOurs("upsrw", ["-s", "ups.id=2", "-u", "a", "-p", "b", ups]);
    expect(observable(r)).toEqual({
      stdout: "",
      errors: [`Unexpected response from upsd: OK TRACKING ${ID}`],
      code: 1,
    });
  });
});

describe("upslog", () => {
  it("another UPS's status is logged as NA (as NUT's upslog logs a failed read), and it reconnects", async () => {
    const ups = await serve(OTHER_UPS_ON_BATTERY);
    const r = await runOurUpslog(ups, 2, "[%VAR ups.status%]");
    expect(r.code).toBe(0);
    expect(bracketLines(r)).toEqual(["[NA]", "[NA]"]);
    // the connection that gave a wrong answer is not trusted again
    expect(server!.connectionCount).toBe(2);
  });
});
