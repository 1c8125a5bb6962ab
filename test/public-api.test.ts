/**
 * The package's public API (src/index.ts): the list of names is pinned (a change to it is a decision,
 * made here), nothing is re-exported wholesale, and the library example (docs/monitor-library.md, linked from the README) runs
 * as written against a simulated UPS.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { describe, expect, it, vi } from "vitest";
import * as api from "../src/index.js";
import { startServer } from "../src/server/server.js";
import { createMemoryLogger } from "../src/util/log.js";

const ROOT = join(import.meta.dirname, "..");

const RUNTIME_NAMES = [
  "AccessDeniedError",
  "AlreadyLoggedInError",
  "AlreadySetPasswordError",
  "AlreadySetUsernameError",
  "AlreadySslModeError",
  "CRITICAL_RULES",
  "DRILL_SCENARIOS",
  "DrillConfigError",
  "CmdNotSupportedError",
  "ConfigError",
  "DASHBOARD_DEMAND",
  "DEFAULT_LOG_FORMAT",
  "DataStaleError",
  "DriverNotConnectedError",
  "ERR_MESSAGES",
  "FeatureNotConfiguredError",
  "FeatureNotSupportedError",
  "InstcmdFailedError",
  "InvalidArgumentError",
  "InvalidPasswordError",
  "InvalidUsernameError",
  "InvalidValueError",
  "MissingArgumentError",
  "NOTIFY_TYPES",
  "NUT_DEFAULT_PORT",
  "NutAbortError",
  "NutClient",
  "NutConnectionError",
  "NutError",
  "NutProtocolError",
  "NutReplyMismatchError",
  "NutServerError",
  "NutSession",
  "NutTimeoutError",
  "NutTlsError",
  "PasswordIncorrectError",
  "PasswordRequiredError",
  "ReadonlyError",
  "STATUS_ONLY",
  "ServerDisconnectedError",
  "SetFailedError",
  "Tokenizer",
  "TooLongError",
  "TrackingFailedError",
  "TrackingUnknownError",
  "UnencodableValueError",
  "UnknownCommandError",
  "UnknownInstcmdError",
  "UnknownTypeError",
  "UnknownUpsError",
  "UnknownVarError",
  "UsernameRequiredError",
  "VarNotSupportedError",
  "VarUnknownError",
  "VirtualClock",
  "compileLogFormat",
  "composeMonitor",
  "renderDrillReport",
  "runDrill",
  "createMemoryLogger",
  "createStderrLogger",
  "demandOf",
  "encodeCommand",
  "encodeWord",
  "escapeValue",
  "formatClients",
  "formatRwEntry",
  "formatUpsList",
  "formatValue",
  "formatVariables",
  "getopt",
  "loadUpsmonConfFile",
  "parseUpsConf",
  "parseUpsdConf",
  "parseUpsdUsers",
  "parseUpsmonConf",
  "planRwType",
  "quoteValue",
  "realClock",
  "renderLogLine",
  "splitAddr",
  "splitName",
  "startServer",
  "startTlsOnSocket",
  "strftime",
  "tokenizeText",
];

const TYPE_NAMES = [
  "ClockTimer",
  "Clock",
  "CommandAccepted",
  "ComposeMonitorOptions",
  "ConnectOptions",
  "CriticalReason",
  "DrillFinding",
  "DrillOptions",
  "DrillReport",
  "DrillScenario",
  "DrillScenarioRun",
  "DrillTimelineEntry",
  "KnownErrCode",
  "LinkState",
  "Logger",
  "MonitorEntry",
  "MonitorEvent",
  "MonitorEventKind",
  "MonitorExit",
  "MonitorExitReason",
  "MonitorExtension",
  "MonitorExtensionContext",
  "MonitorHandle",
  "MonitorHost",
  "MonitorListener",
  "MonitorRole",
  "MonitorSettingsSnapshot",
  "MonitorSnapshot",
  "NotifyType",
  "NutLinkOptions",
  "NutSessionOptions",
  "NutTlsOptions",
  "PollDemand",
  "PollDemandSource",
  "RangeEntry",
  "RequestOptions",
  "RunningServer",
  "SessionState",
  "SessionStateChange",
  "SessionTimers",
  "ShutdownPhase",
  "StartServerOptions",
  "StartTlsOutcome",
  "TokenizedLine",
  "TrackingStatus",
  "UpsAddress",
  "UpsEntry",
  "UpsIdentity",
  "UpsReadings",
  "UpsSnapshot",
  "UpsTarget",
  "UpsmonConfig",
  "UpsmonParseResult",
  "VarEntry",
  "VarType",
];

/** The names src/index.ts exports as types (`type X` in a list, or an `export type { ... }` list). */
function typeNamesIn(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const part of m[2]!
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const isType = m[1] !== undefined || part.startsWith("type ");
      if (!isType) continue;
      const name = part
        .replace(/^type /, "")
        .split(/\s+as\s+/)
        .at(-1)!;
      names.push(name);
    }
  }
  return names.sort();
}

/** Bundle a documentation example against src/index.ts (as "nutguard") in `dir`, run it, return what it logged. */
async function runExample(dir: string, source: string): Promise<string[]> {
  const entry = join(dir, "example.ts");
  await writeFile(entry, source);
  const out = join(dir, "example.mjs");
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    alias: { nutguard: join(ROOT, "src/index.ts") },
    logLevel: "silent",
  });
  const printed: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void printed.push(line));
  try {
    await import(pathToFileURL(out).href);
  } finally {
    spy.mockRestore();
  }
  return printed;
}

describe("public API (src/index.ts)", () => {
  it("exports exactly the pinned runtime names", () => {
    expect(Object.keys(api).sort()).toEqual([...RUNTIME_NAMES].sort());
  });

  it("names every export, types included: no `export *`, one name for the NUT port", async () => {
    const source = await readFile(join(ROOT, "src/index.ts"), "utf8");
    expect(source).not.toMatch(/^export \*/m);
    expect(typeNamesIn(source)).toEqual([...TYPE_NAMES].sort());
    expect(api.NUT_DEFAULT_PORT).toBe(3493);
    expect(Object.keys(api).filter((k) => /PORT/.test(k))).toEqual(["NUT_DEFAULT_PORT"]);
  });
});

describe("docs/monitor-library.md (linked from the README): the monitor as a library", () => {
  it("the example starts a monitor, subscribes, reads a snapshot and stops, as written", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("(docs/monitor-library.md)");
    const section = await readFile(join(ROOT, "docs/monitor-library.md"), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = await mkdtemp(join(tmpdir(), "nutguard-readme-"));
    try {
      // a UPS named myups, and the monitor's user, on a free port instead of 3493
      await writeFile(join(dir, "myups.dev"), "ups.status: OL CHRG\nbattery.charge: 97\n");
      await writeFile(
        join(dir, "ups.conf"),
        `[myups]\n\tdriver = dummy-ups\n\tport = ${join(dir, "myups.dev")}\n`,
      );
      await writeFile(join(dir, "upsd.conf"), "LISTEN 127.0.0.1 0\n");
      await writeFile(join(dir, "upsd.users"), "[monuser]\n\tpassword = secret\n\tupsmon secondary\n");
      const server = await startServer({ confPath: dir, log: createMemoryLogger() });
      const port = server.addresses[0]!.port;
      expect(example).toContain("127.0.0.1:3493");
      let printed: string[];
      try {
        printed = await runExample(dir, example.replace("127.0.0.1:3493", `127.0.0.1:${port}`));
      } finally {
        await server.close();
      }
      expect(printed).toEqual([`myups@127.0.0.1:${port}: OL CHRG, charge 97 %, link connected`, "stopped"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("docs/drill.md: the drill as a library", () => {
  it("the example runs a drill and prints its report and findings, as written", async () => {
    const section = await readFile(join(ROOT, "docs/drill.md"), "utf8");
    const example = /## As a library\n\n```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = await mkdtemp(join(tmpdir(), "nutguard-drill-doc-"));
    try {
      // the UPS's upsd does not answer (a free port): the drill plays a plain profile and says so
      const conf = join(dir, "upsmon.conf");
      await writeFile(conf, 'MONITOR ups@127.0.0.1:1 1 mon pw primary\nSHUTDOWNCMD "/bin/true"\n');
      expect(example).toContain('"/etc/nut/upsmon.conf"');
      const printed = await runExample(dir, example.replace('"/etc/nut/upsmon.conf"', JSON.stringify(conf)));
      expect(printed[0]).toContain(`nutguard drill: ${conf}`);
      expect(printed[0]).toMatch(/t\+\d+m\d\ds +SHUTDOWNCMD +\/bin\/true {2}\(recorded, not run\)/);
      expect(printed[1]).toBe("minsupplies-unreachable");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
