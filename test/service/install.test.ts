import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  installService,
  JITLESS_MIN_NODE,
  nodeMajorOf,
  renderUnit,
  UNIT_TYPES,
  unitNodeMajor,
} from "../../src/service/install.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "nutguard-install-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const unitsDir = new URL("../../units/", import.meta.url).pathname;
const OPT = "/usr/bin/node /opt/nutguard/dist/cli/main.js";
const install = (type: (typeof UNIT_TYPES)[number], command = OPT) =>
  installService({ type, root, unitsDir, command });
const unitLines = (text: string) =>
  text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("["));

describe("install-service", () => {
  for (const type of UNIT_TYPES) {
    it(`installs the ${type} unit with ExecStart pointing at this nutguard, plus tmpfiles.d and sysusers.d`, () => {
      const report = install(type);
      const unit = readFileSync(join(root, "etc/systemd/system/nutguard-monitor.service"), "utf8");
      expect(unitLines(unit)).toContain(`Type=${type}`);
      const execStart = unitLines(unit).find((l) => l.startsWith("ExecStart="));
      expect(execStart).toBe(
        `ExecStart=/usr/bin/node /opt/nutguard/dist/cli/main.js monitor ${type === "forking" ? "-B" : "-F"}`,
      );
      expect(unitLines(unit)).toContain("ExecReload=/bin/kill -HUP $MAINPID");
      expect(unitLines(unit)).toContain("Restart=on-failure");
      expect(unit).not.toMatch(/^RuntimeDirectory=/m);
      if (type === "notify") expect(unitLines(unit)).toContain("NotifyAccess=main");
      if (type === "forking") expect(unitLines(unit)).toContain("PIDFile=/run/nutguard/nutguard-monitor.pid");
      else expect(unit).not.toMatch(/^PIDFile=/m);
      expect(readFileSync(join(root, "etc/tmpfiles.d/nutguard.conf"), "utf8")).toMatch(
        /^d \/run\/nutguard 0770 root nut - -$/m,
      );
      expect(readFileSync(join(root, "etc/sysusers.d/nutguard.conf"), "utf8")).toMatch(/^u nut - /m);
      expect(report.ran).toEqual([]);
    });
  }

  it("installs the exporter's unit beside it, pointing at the same nutguard, and enables neither", () => {
    const report = install("notify");
    const unit = readFileSync(join(root, "etc/systemd/system/nutguard-exporter.service"), "utf8");
    expect(unitLines(unit)).toContain("ExecStart=/usr/bin/node /opt/nutguard/dist/cli/main.js exporter");
    expect(unitLines(unit)).toContain("ExecReload=/bin/kill -HUP $MAINPID");
    expect(unitLines(unit)).toContain("DynamicUser=yes");
    expect(report.written).toContain(join(root, "etc/systemd/system/nutguard-exporter.service"));
    expect(report.written.filter((p) => p.includes(".wants/"))).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  it("warns that the exporter's unit cannot run a nutguard kept under /home or /root", () => {
    const report = installService({
      type: "notify",
      root,
      unitsDir,
      command: "/usr/bin/node /root/ng/main.js",
    });
    expect(report.warnings).toEqual([
      "nutguard-exporter.service cannot run /usr/bin/node /root/ng/main.js: it runs as a dynamic user that does not see /home or /root (ProtectHome=yes); install nutguard elsewhere (e.g. npm install -g) to use it",
    ]);
  });

  it("warns, on a host with the nutguard package, that its copies override the package's units", () => {
    mkdirSync(join(root, "usr/lib/systemd/system"), { recursive: true });
    writeFileSync(join(root, "usr/lib/systemd/system/nutguard-monitor.service"), "[Service]\n");
    const report = install("notify");
    expect(report.warnings).toEqual([
      `the nutguard package's units are installed (${join(root, "usr/lib/systemd/system/nutguard-monitor.service")}): the units written to /etc/systemd/system now override them, and package upgrades no longer change what runs; remove /etc/systemd/system/nutguard-monitor.service and /etc/systemd/system/nutguard-exporter.service to go back to the package's`,
    ]);
  });

  it.each([
    [24, '"NODE_OPTIONS=--max-semi-space-size=1 --jitless"'],
    [25, '"NODE_OPTIONS=--max-semi-space-size=1 --jitless"'],
    // V8 11 (Node 20) and 12.4 (Node 22, seen with 22.23.5) warn "disabling flag --expose_wasm" at
    // every start under --jitless; V8 13.6 (Node 24) does not. Instead, one compile thread (RSS of the
    // monitor's early tier-up on Node 20)
    [22, '"NODE_OPTIONS=--max-semi-space-size=1 --v8-pool-size=1"'],
    [20, '"NODE_OPTIONS=--max-semi-space-size=1 --v8-pool-size=1"'],
  ])("on Node %i the monitor units start Node with Environment=%s", (major, env) => {
    for (const type of UNIT_TYPES) {
      const name = `nutguard-monitor.${type}.service`;
      const unit = renderUnit(readFileSync(join(unitsDir, name), "utf8"), OPT, major);
      expect([name, unitLines(unit).filter((l) => l.includes("NODE_OPTIONS"))]).toEqual([
        name,
        [`Environment=${env}`],
      ]);
    }
  });

  it("the exporter caps V8's young generation (the HTTP surface's garbage) on every Node", () => {
    for (const major of [20, 24]) {
      const unit = renderUnit(readFileSync(join(unitsDir, "nutguard-exporter.service"), "utf8"), OPT, major);
      expect(unitLines(unit).filter((l) => l.includes("NODE_OPTIONS"))).toEqual([
        "Environment=NODE_OPTIONS=--max-semi-space-size=1",
      ]);
    }
  });

  it("takes the unit's Node from its command: this Node's version, or unknown for another binary", () => {
    const running = { execPath: "/usr/lib/nutguard/bin/node", version: "v24.22.3" };
    expect([
      unitNodeMajor("/usr/lib/nutguard/bin/node /usr/lib/nutguard/dist/cli/nutguard.cjs", running),
      unitNodeMajor("/usr/bin/node /opt/nutguard/dist/cli/main.js", running),
      unitNodeMajor("/usr/bin/nutguard", running),
    ]).toEqual([24, 0, 0]);
  });

  it("installs the monitor unit without --jitless when --command names another Node", () => {
    install("notify", "/opt/other-node/bin/node /opt/nutguard/dist/cli/main.js");
    const unit = readFileSync(join(root, "etc/systemd/system/nutguard-monitor.service"), "utf8");
    expect(unitLines(unit)).toContain('Environment="NODE_OPTIONS=--max-semi-space-size=1 --v8-pool-size=1"');
  });

  it("installs the monitor unit for this Node when the command is this Node's", () => {
    install("notify", `${process.execPath} /opt/nutguard/dist/cli/main.js`);
    const unit = readFileSync(join(root, "etc/systemd/system/nutguard-monitor.service"), "utf8");
    expect(unitLines(unit)).toContain(
      nodeMajorOf(process.version) >= JITLESS_MIN_NODE
        ? 'Environment="NODE_OPTIONS=--max-semi-space-size=1 --jitless"'
        : 'Environment="NODE_OPTIONS=--max-semi-space-size=1 --v8-pool-size=1"',
    );
  });

  it("reads the Node major from a version string", () => {
    expect([nodeMajorOf("v24.22.3"), nodeMajorOf("20.20.2"), nodeMajorOf("x")]).toEqual([24, 20, 0]);
  });

  it("refuses a command that would break ExecStart=", () => {
    expect(() => renderUnit("ExecStart=/usr/local/bin/nutguard monitor -F", "/bin/x\n/bin/y")).toThrow(
      'Unusable command for ExecStart=: "/bin/x\\n/bin/y"',
    );
    expect(() => renderUnit("ExecStart=/usr/local/bin/nutguard monitor -F", "/bin/x;rm")).toThrow(
      'Unusable command for ExecStart=: "/bin/x;rm"',
    );
    expect(renderUnit("ExecStart=/usr/local/bin/nutguard monitor -F", "/usr/bin/node /opt/ng/main.js")).toBe(
      "ExecStart=/usr/bin/node /opt/ng/main.js monitor -F",
    );
  });
});
