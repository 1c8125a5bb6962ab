import { describe, expect, it } from "vitest";
import { dropPrivileges } from "../../src/service/privilege-drop.js";

// Only the refusals are tested in-process (a successful drop would change the test worker's identity);
// the drop itself is seen from outside in split-mode.test.ts and the container tests (monitor runs as nut).
describe("privilege drop of the monitor process", () => {
  it("refuses to keep root: RUN_AS_USER root is an error pointing at -p", () => {
    expect(() => dropPrivileges("root")).toThrow(
      "Refusing to run the monitor process as root (uid 0): set RUN_AS_USER to an unprivileged account, or use -p for one privileged process",
    );
  });

  it("an unknown account is fatal with upsmon's wording", () => {
    expect(() => dropPrivileges("no-such-user-nutguard")).toThrow("OS user no-such-user-nutguard not found");
  });
});
