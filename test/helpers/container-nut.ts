/**
 * A real NUT data server inside a test container: Debian 12's own units (nut-driver-enumerator,
 * nut-driver@<ups>, nut-server) running dummy-ups and upsd on 127.0.0.1:3493 of the container's
 * private network, with the same devices and users as the host-side NUT harness.
 *
 * Must not: start NUT's upsmon (nut-monitor.service) — tests that want one configure it themselves —
 * or touch anything outside the container.
 */
import { type Container, waitFor } from "./container.js";

export const CONTAINER_NUT_HOST = "127.0.0.1";
export const CONTAINER_NUT_PORT = 3493;

/** upsd.users accounts (the same as the host-side NUT harness). */
export const CONTAINER_NUT_USERS = {
  admin: { user: "admin", password: "adminpass" },
  primary: { user: "monprimary", password: "primarypass" },
  secondary: { user: "monsecondary", password: "secondarypass" },
} as const;

const UPSD_USERS = `[admin]
\tpassword = adminpass
\tactions = SET FSD
\tinstcmds = ALL
[monprimary]
\tpassword = primarypass
\tupsmon primary
[monsecondary]
\tpassword = secondarypass
\tupsmon secondary
`;

/** dummy: static, on line (change it with setUpsVar). seq: OL 5 s → OB 5 s → OB LB 20 s, looping. */
const DEVICES: Record<string, { file: string; content: string }> = {
  dummy: {
    file: "dummy.dev",
    content: `ups.mfr: Dummy Manufacturer
ups.model: Dummy UPS
ups.status: OL
battery.charge: 100
battery.runtime: 3600
`,
  },
  seq: {
    file: "seq.seq",
    content: `ups.mfr: Dummy Manufacturer
ups.model: Dummy Sequence UPS
ups.status: OL
battery.charge: 100
battery.runtime: 3600
TIMER 5
ups.status: OB DISCHRG
battery.charge: 60
battery.runtime: 1200
TIMER 5
ups.status: OB LB DISCHRG
battery.charge: 10
battery.runtime: 120
TIMER 20
`,
  },
};

export interface ContainerNutOptions {
  /** Which devices to define (default: ["dummy"]). */
  devices?: ("dummy" | "seq")[];
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
      .map((d) => `[${d}]\n\tdriver = dummy-ups\n\tport = ${DEVICES[d]!.file}\n\tdesc = "${d}"\n`)
      .join(""),
    conf,
  );
  for (const d of devices) await ct.writeFile(`/etc/nut/${DEVICES[d]!.file}`, DEVICES[d]!.content, conf);
  await ct.writeFile("/etc/nut/upsd.conf", `LISTEN ${CONTAINER_NUT_HOST} ${CONTAINER_NUT_PORT}\n`, conf);
  await ct.writeFile("/etc/nut/upsd.users", UPSD_USERS, conf);
  if (!ct.isRunning) return;
  const wasRunning = (await ct.exec(["systemctl", "is-active", "--quiet", "nut-server.service"])).code === 0;
  // The enumerator (also triggered by its .path unit when ups.conf changes) turns ups.conf sections
  // into nut-driver@<name> units and starts new ones; `start` waits for a run already under way.
  await ct.run(["systemctl", "start", "nut-driver-enumerator.service"]);
  // drivers already running keep their old ups.conf settings until restarted
  if (wasRunning) await ct.run(["systemctl", "restart", "nut-driver.target"]);
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

/** Sets a variable of a dummy-ups device through upsd (as admin), e.g. ups.status "OB LB". */
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
}
