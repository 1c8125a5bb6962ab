import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installService, renderUnit, UNIT_TYPES } from "../../src/service/install.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "nutguard-install-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const unitsDir = new URL("../../units/", import.meta.url).pathname;
const unitLines = (text: string) =>
  text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("["));

describe("install-service", () => {
  for (const type of UNIT_TYPES) {
    it(`installs the ${type} unit with ExecStart pointing at this nutguard, plus tmpfiles.d and sysusers.d`, () => {
      const report = installService({
        type,
        root,
        unitsDir,
        command: "/usr/bin/node /opt/nutguard/dist/cli/main.js",
      });
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
