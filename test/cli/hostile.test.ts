/**
 * Hostile servers: malformed, truncated, oversized or never-arriving replies must end each tool with
 * a clear message and a non-zero exit: never a stack trace, never a hang.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeAction, type FakeServer, startFakeServer } from "../helpers/fake-server.js";
import { bracketLines, NUTGUARD_BIN, runOurs, runOurUpslog, type ToolRun, upslogArgs } from "./run-tool.js";

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(onLine: (line: string) => FakeAction): Promise<string> {
  server = await startFakeServer({ onLine });
  return `127.0.0.1:${server.port}`;
}

function expectCleanFailure(r: ToolRun, message: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.signal).toBeNull();
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("tools facing a hostile server", () => {
  it("upsc: a reply that is not a list", async () => {
    const addr = await serve((l) => (l.startsWith("LIST") ? "GARBAGE\n" : "OK Goodbye\n"));
    expectCleanFailure(await runOurs("upsc", [`ups@${addr}`]), /^Error: Protocol error\n$/);
  });

  it("upsc: a list cut off by the server closing the connection", async () => {
    const addr = await serve((l) =>
      l.startsWith("LIST")
        ? { write: 'BEGIN LIST VAR ups\nVAR ups ups.status "OL"\n', thenClose: true }
        : null,
    );
    const r = await runOurs("upsc", [`ups@${addr}`]);
    expectCleanFailure(r, /^Error: Server disconnected\n$/);
    expect(r.stdout).toBe("");
  });

  it("upsc: a reply line far longer than NUT ever sends", async () => {
    const addr = await serve((l) =>
      l.startsWith("GET") ? `VAR ups ups.status "${"x".repeat(200_000)}"\n` : null,
    );
    expectCleanFailure(await runOurs("upsc", [`ups@${addr}`, "ups.status"]), /^Error: Protocol error\n$/);
  });

  it("upsc: a reply that never arrives ends after the -W timeout", async () => {
    const addr = await serve(() => null);
    expectCleanFailure(await runOurs("upsc", ["-W", "1", `ups@${addr}`, "ups.status"]), /^Error: .*no reply/);
  });

  it("upsc: a reply with too few words", async () => {
    const addr = await serve((l) => (l.startsWith("GET") ? "VAR ups\n" : null));
    expectCleanFailure(await runOurs("upsc", [`ups@${addr}`, "ups.status"]), /^Error: /);
  });

  it("upsc -j: still prints a JSON error", async () => {
    const addr = await serve((l) => (l.startsWith("LIST") ? "GARBAGE\n" : null));
    const r = await runOurs("upsc", ["-j", `ups@${addr}`]);
    expectCleanFailure(r, /^Error: Protocol error\n$/);
    expect(JSON.parse(r.stdout)).toEqual({ error: "Protocol error" });
  });

  it("upscmd: a nonsense answer to INSTCMD", async () => {
    const addr = await serve((l) => (l.startsWith("INSTCMD") ? "WHAT\n" : "OK\n"));
    expectCleanFailure(
      await runOurs("upscmd", ["-u", "a", "-p", "b", `ups@${addr}`, "load.off"]),
      /^(Unexpected response from upsd: WHAT|Instant command failed: Protocol error)\n$/,
    );
  });

  it("upscmd -w: tracking that never finishes ends after -t", async () => {
    const addr = await serve((l) => {
      if (l.startsWith("INSTCMD")) return "OK TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263\n";
      if (l.startsWith("GET TRACKING")) return "PENDING\n";
      return "OK\n";
    });
    expectCleanFailure(
      await runOurs("upscmd", ["-w", "-t", "1", "-u", "a", "-p", "b", `ups@${addr}`, "load.off"]),
      /^Can't receive status tracking information: timeout\n$/,
    );
  });

  it("upsrw: a server that hangs up in the middle of the listing", async () => {
    const addr = await serve((l) =>
      l.startsWith("LIST RW")
        ? { write: 'BEGIN LIST RW ups\nRW ups a.b "1"\nEND LIST RW ups\n' }
        : { close: true },
    );
    const r = await runOurs("upsrw", [`ups@${addr}`]);
    expectCleanFailure(r, /^(Error|do_number): /);
  });

  it("upslog: garbage replies are logged as NA, and the logger carries on", async () => {
    const addr = await serve((l) => (l.startsWith("GET") ? "GARBAGE\n" : null));
    const r = await runOurUpslog(`ups@${addr}`, 2, "[%VAR ups.status%]");
    expect(r.code).toBe(0);
    expect(bracketLines(r)).toEqual(["[NA]", "[NA]"]);
  });

  it("upsc, upslog: a reader that goes away (| head) ends them quietly, as SIGPIPE ends NUT's", async () => {
    const addr = await serve((l) => (l.startsWith("GET") ? 'VAR ups ups.status "OL"\n' : null));
    const pidDir = mkdtempSync(join(tmpdir(), "nutguard-epipe-"));
    try {
      for (const args of [
        ["upsc", `ups@${addr}`, "ups.status"],
        [
          "upslog",
          ...upslogArgs({ system: `ups@${addr}`, logFile: "-", pidFile: join(pidDir, "p.pid"), polls: 5 }),
        ],
      ]) {
        const child = spawn(process.execPath, [NUTGUARD_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.stdout.destroy();
        const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
        expect(code).toBe(141);
        expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
      }
      expect(existsSync(join(pidDir, "p.pid"))).toBe(false);
    } finally {
      rmSync(pidDir, { recursive: true, force: true });
    }
  });
});
