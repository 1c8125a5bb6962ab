/**
 * A real NUT data server inside a test container: Debian's own units (nut-driver-enumerator,
 * nut-driver@<ups>, nut-server; Debian 11: nut-driver, nut-server) running dummy-ups and upsd on 127.0.0.1:3493 of the container's
 * private network, with the same devices and users as the host-side NUT harness.
 *
 * Must not: start NUT's upsmon (nut-monitor.service) — tests that want one configure it themselves —
 * or touch anything outside the container.
 */
import { expect } from "vitest";
import { type Container, waitFor } from "./container.js";
import { DEFAULT_DEVICES, DEFAULT_USERS } from "./nut-stack.js";

export const CONTAINER_NUT_HOST = "127.0.0.1";
export const CONTAINER_NUT_PORT = 3493;

/** upsd.users accounts: the host-side NUT harness's (nut-stack.ts), as { user, password }. */
export const CONTAINER_NUT_USERS = {
  admin: { user: DEFAULT_USERS.admin.user, password: DEFAULT_USERS.admin.pass },
  primary: { user: DEFAULT_USERS.primary.user, password: DEFAULT_USERS.primary.pass },
  secondary: { user: DEFAULT_USERS.secondary.user, password: DEFAULT_USERS.secondary.pass },
} as const;

const { admin, primary, secondary } = CONTAINER_NUT_USERS;
/** upsd.users; NUT 2.7.4 (Debian 11) knows only the old words master/slave. */
function upsdUsers(legacy: boolean): string {
  return (
    `[${admin.user}]\n\tpassword = ${admin.password}\n\tactions = SET FSD\n\tinstcmds = ALL\n` +
    `[${primary.user}]\n\tpassword = ${primary.password}\n\tupsmon ${legacy ? "master" : "primary"}\n` +
    `[${secondary.user}]\n\tpassword = ${secondary.password}\n\tupsmon ${legacy ? "slave" : "secondary"}\n`
  );
}

/** The MONITOR type word for a primary on this container's NUT (2.7.4 knows only "master"). */
export function primaryWord(ct: Container): "primary" | "master" {
  return ct.suite === "bullseye" ? "master" : "primary";
}

/** The device files of nut-stack.ts's devices: dummy (static OL), seq (OL 5 s, OB 5 s, OB LB 20 s), quirky. */
function deviceFile(name: string): { file: string; content: string } {
  const spec = DEFAULT_DEVICES[name];
  if (!spec)
    throw new Error(`no such test device: ${name} (have ${Object.keys(DEFAULT_DEVICES).join(", ")})`);
  return spec.seq !== undefined
    ? { file: `${name}.seq`, content: spec.seq }
    : { file: `${name}.dev`, content: spec.dev ?? "" };
}

export interface ContainerNutOptions {
  /** Which of nut-stack.ts's devices to define (default: ["dummy"]). */
  devices?: string[];
}

/**
 * Writes /etc/nut (MODE=standalone, ups.conf, upsd.conf, upsd.users, device files; root:nut 0640).
 * Before boot, systemd starts NUT at boot; on a running container the units are (re)started here.
 * Either way, resolves once upsd serves every device.
 */
export async function startContainerNut(ct: Container, options: ContainerNutOptions = {}): Promise<void> {
  const devices = options.devices ?? ["dummy"];
  const conf = { mode: "0640", owner: "root:nut" };
  await ct.writeFile("/etc/nut/nut.conf", "MODE=standalone\n", conf);
  await ct.writeFile(
    "/etc/nut/ups.conf",
    devices
      .map((d) => `[${d}]\n\tdriver = dummy-ups\n\tport = ${deviceFile(d).file}\n\tdesc = "${d}"\n`)
      .join(""),
    conf,
  );
  for (const d of devices) await ct.writeFile(`/etc/nut/${deviceFile(d).file}`, deviceFile(d).content, conf);
  await ct.writeFile("/etc/nut/upsd.conf", `LISTEN ${CONTAINER_NUT_HOST} ${CONTAINER_NUT_PORT}\n`, conf);
  await ct.writeFile("/etc/nut/upsd.users", upsdUsers(ct.suite === "bullseye"), conf);
  if (!ct.isRunning) return;
  const wasRunning = (await ct.exec(["systemctl", "is-active", "--quiet", "nut-server.service"])).code === 0;
  if (ct.suite === "bullseye") {
    // NUT 2.7.4: one nut-driver.service runs `upsdrvctl start` for every ups.conf section
    await ct.run(["systemctl", "restart", "nut-driver.service"]);
  } else {
    // The enumerator (also triggered by its .path unit when ups.conf changes) turns ups.conf sections
    // into nut-driver@<name> units and starts new ones; `start` waits for a run already under way.
    await ct.run(["systemctl", "start", "nut-driver-enumerator.service"]);
    // drivers already running keep their old ups.conf settings until restarted
    if (wasRunning) await ct.run(["systemctl", "restart", "nut-driver.target"]);
  }
  await ct.run(["systemctl", "restart", "nut-server.service"]);
  await waitForContainerNut(ct, devices);
}

/** Resolves once `upsc <ups>@127.0.0.1 ups.status` gives a real status (not WAIT) for every device. */
export async function waitForContainerNut(ct: Container, devices: string[] = ["dummy"]): Promise<void> {
  for (const d of devices) {
    await waitFor(
      `upsd to serve ${d} inside ${ct.machine}`,
      async () => {
        const r = await ct.exec(["upsc", `${d}@${CONTAINER_NUT_HOST}`, "ups.status"]);
        return r.code === 0 && r.stdout.trim() !== "" && r.stdout.trim() !== "WAIT";
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }
}

/**
 * Sets a variable of a dummy-ups device through upsd (as admin), e.g. ups.status "OB LB", and waits
 * until upsd serves the new value (upsrw returns once upsd has passed the SET on, before the driver
 * has applied it). upsd prefixes a latched FSD to ups.status: a primary may have raised it already.
 */
export async function setUpsVar(ct: Container, ups: string, name: string, value: string): Promise<void> {
  const { user, password } = CONTAINER_NUT_USERS.admin;
  await ct.run([
    "upsrw",
    "-s",
    `${name}=${value}`,
    "-u",
    user,
    "-p",
    password,
    `${ups}@${CONTAINER_NUT_HOST}`,
  ]);
  await waitFor(
    `${ups}'s ${name} to read '${value}'`,
    async () => {
      const got = (await ct.exec(["upsc", `${ups}@${CONTAINER_NUT_HOST}`, name])).stdout.trim();
      return got === value || (name === "ups.status" && got === `FSD ${value}`);
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

/**
 * `nutguard upsc <target>` prints what NUT's `upsc` prints, byte for byte. The data is live (dummy-ups
 * turns `driver.state` between updateinfo and quiet every poll), so ours is compared with NUT's taken
 * just before and just after it, and the three are read again (up to three times) when the data moved
 * between them. Returns our output.
 */
export async function expectUpscLikeNut(ct: Container, target: string): Promise<string> {
  let ours = "";
  let after = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await ct.run(["upsc", target]);
    ours = await ct.run(["nutguard", "upsc", target]);
    after = await ct.run(["upsc", target]);
    if (ours === before || ours === after) return ours;
  }
  expect(ours).toBe(after);
  return ours;
}
