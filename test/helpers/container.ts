/**
 * Test harness: a real systemd as PID 1 of a systemd-nspawn container, for tests of units, PID files,
 * sd_notify, tmpfiles and journal lines. Debian 12 (bookworm: systemd 252, NUT 2.8.0) by default;
 * `suite` picks Debian 11 (bullseye: systemd 247, NUT 2.7.4) or 13 (trixie: systemd 257, NUT 2.8.1).
 *
 * Theory of operation:
 *  - scripts/container-rootfs.sh builds the rootfs once and caches it (stamped with its content
 *    version). Each Container boots an overlayfs whose lower layer is that cache and whose upper layer
 *    is the container's own temp dir, so containers run in parallel and the cache is never written
 *    (where overlayfs cannot be mounted there, a `cp -a` copy of the cache instead).
 *  - Boot: `systemd-nspawn --boot --private-network --register=no --keep-unit`, launched from a private
 *    cgroup per machine (nspawn splits its own cgroup; on a host whose PID 1 is not systemd there is no
 *    machined, so no registration). The built checkout and the host's node binary are bind-mounted
 *    read-only at /opt/nutguard and /usr/local/bin/node; /usr/local/bin/nutguard runs the CLI.
 *  - Commands run inside with nsenter into every namespace of the container's PID 1, in a clean
 *    environment. Before boot the same calls run chrooted into the overlay, so a test prepares files
 *    with the same API it later uses on the running system.
 *  - The journal is persistent: journal() reads it inside while running, from the overlay after stop.
 *
 * Must not: write into the cached rootfs, leave processes, mounts or cgroups behind (destroy(), plus
 * sweepStaleContainers() in container-host.ts for containers of test workers that died), bind host
 * device nodes (a booted systemd would chown them), or reach any network but the container's loopback.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSystemctlShow } from "../../src/service/doctor-facts.js";
import {
  ContainerCommandError,
  cgroupHierarchies,
  childPids,
  cleanupHost,
  type ExecOptions,
  type ExecResult,
  hostExec,
  mustSucceed,
  readProc,
  removeCgroups,
  signal,
  waitFor,
  writeRegistration,
} from "./container-host.js";

export {
  ContainerCommandError,
  type ExecOptions,
  type ExecResult,
  hostExec,
  sweepStaleContainers,
  waitFor,
} from "./container-host.js";

/** The Debian releases a container can boot, oldest first (scripts/container-rootfs.sh builds each). */
export const SUITES = ["bullseye", "bookworm", "trixie"] as const;
export type Suite = (typeof SUITES)[number];
const ROOTFS_CACHE = process.env.NUTGUARD_ROOTFS_CACHE ?? "/var/cache/nutguard";
/** The cached rootfs of a release (bookworm's may be moved with NUTGUARD_ROOTFS_DIR, as the script allows). */
export function rootfsDir(suite: Suite = "bookworm"): string {
  if (suite === "bookworm" && process.env.NUTGUARD_ROOTFS_DIR) return process.env.NUTGUARD_ROOTFS_DIR;
  return join(ROOTFS_CACHE, `rootfs-${suite}`);
}
export const ROOTFS_DIR = rootfsDir("bookworm");
/** The checkout: the nearest directory above this module whose package.json is nutguard's (works bundled too). */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name === "nutguard") return dir;
    } catch {
      // no package.json here
    }
    if (dirname(dir) === dir) throw new Error(`no nutguard checkout above ${from}`);
  }
}
/** Where the built checkout appears inside, and the command that runs it. */
export const NUTGUARD_DIR = "/opt/nutguard";
export const NUTGUARD_BIN = "/usr/local/bin/nutguard";
/** One record per live container, so that a later run can clean up after a worker that died. */
const CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const STAMP_FILE = ".nutguard-rootfs-stamp";

export interface ContainerOptions {
  /** Bind the built checkout (dist/, units/, package.json, node_modules/) and node inside. Default true. */
  withNutguard?: boolean;
  /** More read-only bind mounts, "hostPath:containerPath". */
  bindReadOnly?: string[];
  /** Copy the cached rootfs instead of mounting an overlay (the fallback where overlayfs fails). */
  copyRootfs?: boolean;
  /** The Debian release to boot (default bookworm). */
  suite?: Suite;
}

type ContainerState = "created" | "running" | "stopped" | "destroyed";

let machineCounter = 0;

export class Container {
  private state: ContainerState = "created";
  private nspawn?: ChildProcess;
  private nspawnExited?: Promise<void>;
  private leaderPid?: number;

  private constructor(
    /** The machine name (also the container's hostname). */
    readonly machine: string,
    /** The container's temp dir on the host: upper/, work/, root/ (the overlay), nspawn.log. */
    readonly dir: string,
    private readonly cgroups: string[],
    private readonly binds: string[],
    /** The Debian release it runs. */
    readonly suite: Suite = "bookworm",
  ) {}

  /** The container's root directory as seen from the host (the overlay mount). */
  get root(): string {
    return join(this.dir, "root");
  }

  get isRunning(): boolean {
    return this.state === "running";
  }

  /** Mounts a fresh overlay over the cached rootfs; boot() starts systemd in it. */
  static async create(options: ContainerOptions = {}): Promise<Container> {
    if (process.getuid?.() !== 0) throw new Error("container tests must run as root");
    const suite = options.suite ?? "bookworm";
    const lower = rootfsDir(suite);
    if (!existsSync(join(lower, STAMP_FILE))) {
      throw new Error(
        `no container rootfs at ${lower}: run 'sh scripts/container-rootfs.sh ensure ${suite}' (as root)`,
      );
    }
    const machine = `ngt-${process.pid}-${++machineCounter}`;
    const binds = [...(options.bindReadOnly ?? [])];
    if (options.withNutguard ?? true) binds.push(...(await nutguardBinds()));
    const cgroups = (await cgroupHierarchies()).map((h) => join(h, `nspawn-${machine}`));
    const dir = await mkdtemp(join(tmpdir(), `nutguard-${machine}-`));
    const ct = new Container(machine, dir, cgroups, binds, suite);
    try {
      await ct.register();
      for (const d of ["upper", "work", "root"]) await mkdir(join(dir, d));
      const overlay = options.copyRootfs
        ? { code: -1 }
        : await hostExec([
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            `lowerdir=${lower},upperdir=${join(dir, "upper")},workdir=${join(dir, "work")}`,
            ct.root,
          ]);
      if (overlay.code !== 0) {
        // e.g. a temp dir on an overlayfs itself (containerised CI): a full copy instead (seconds, not ms)
        await rmdir(ct.root);
        await mustSucceed(["cp", "-a", "--reflink=auto", lower, ct.root]);
      }
      if (options.withNutguard ?? true) {
        await ct.writeFile(
          NUTGUARD_BIN,
          `#!/bin/sh\nexec /usr/local/bin/node ${join(NUTGUARD_DIR, nutguardEntry())} "$@"\n`,
          { mode: "0755" },
        );
      }
    } catch (err) {
      await ct.destroy().catch(() => undefined);
      throw err;
    }
    return ct;
  }

  /** Boots systemd and waits until `systemctl is-system-running` says running or degraded. */
  async boot(): Promise<{ state: string; bootMs: number }> {
    if (this.state !== "created" && this.state !== "stopped") throw new Error(`cannot boot: ${this.state}`);
    const startedMs = Date.now();
    for (const cg of this.cgroups) await mkdir(cg, { recursive: true });
    const log = openSync(join(this.dir, "nspawn.log"), "a");
    const nspawnArgs = [
      "--quiet",
      `--directory=${this.root}`,
      `--machine=${this.machine}`,
      "--boot",
      "--register=no",
      "--keep-unit",
      "--private-network",
      "--console=passive",
      ...this.binds.map((b) => `--bind-ro=${b}`),
    ];
    // move into the private cgroups first (nspawn --keep-unit splits its *own* cgroup), then exec nspawn
    const child = spawn(
      "/bin/sh",
      [
        "-c",
        'for d in $NG_CGROUPS; do echo $$ > "$d/cgroup.procs"; done; exec systemd-nspawn "$@"',
        "nspawn",
        ...nspawnArgs,
      ],
      {
        detached: true,
        stdio: ["ignore", log, log],
        env: { PATH: process.env.PATH ?? CONTAINER_PATH, NG_CGROUPS: this.cgroups.join(" ") },
      },
    );
    closeSync(log);
    this.nspawn = child;
    this.nspawnExited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.unref();
    this.state = "running";
    await this.register();
    const nspawnGone = this.nspawnExited.then(() => {
      throw new Error("systemd-nspawn exited");
    });
    nspawnGone.catch(() => undefined); // only raced below
    const unlessNspawnExits = <T>(p: Promise<T>): Promise<T> => Promise.race([p, nspawnGone]);
    try {
      this.leaderPid = await unlessNspawnExits(
        waitFor(
          "the container's systemd (PID 1)",
          async () => {
            for (const pid of await childPids(child.pid!)) {
              if ((await readProc(pid, "comm"))?.trim() === "systemd") return pid;
            }
            return undefined;
          },
          { timeoutMs: 20_000, intervalMs: 20 },
        ),
      );
      await this.register();
      await unlessNspawnExits(
        waitFor(
          "systemd's private socket",
          async () => (await this.exec(["test", "-S", "/run/systemd/private"])).code === 0,
          { timeoutMs: 20_000, intervalMs: 20 },
        ),
      );
      const st = await unlessNspawnExits(
        this.exec(["timeout", "90", "systemctl", "is-system-running", "--wait"], { timeoutMs: 100_000 }),
      );
      const state = st.stdout.trim();
      if (state !== "running" && state !== "degraded") {
        throw new Error(`system state '${state}' after boot`);
      }
      return { state, bootMs: Date.now() - startedMs };
    } catch (err) {
      const nspawnLog = await readFile(join(this.dir, "nspawn.log"), "utf8").catch(() => "");
      await this.destroy().catch(() => undefined);
      throw new Error(
        `container ${this.machine} did not boot: ${(err as Error).message}\n${nspawnLog.slice(-3000)}`,
      );
    }
  }

  /** Runs argv inside (nsenter when running, chroot before boot / after stop). Never throws for exit codes. */
  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const env = [
      `PATH=${CONTAINER_PATH}`,
      "LANG=C.UTF-8",
      "HOME=/root",
      ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ];
    if (this.state === "running") {
      if (!this.leaderPid) throw new Error(`container ${this.machine} has not booted yet`);
      return hostExec(
        ["nsenter", "-t", String(this.leaderPid), "-a", "--", "/usr/bin/env", "-i", ...env, ...argv],
        options,
      );
    }
    if (this.state === "destroyed") throw new Error(`container ${this.machine} is destroyed`);
    return hostExec(["chroot", this.root, "/usr/bin/env", "-i", ...env, ...argv], options);
  }

  /** Runs argv inside; returns its stdout, throws ContainerCommandError on a non-zero exit. */
  async run(argv: string[], options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) throw new ContainerCommandError(argv, result);
    return result.stdout;
  }

  /** Runs a /bin/sh script inside; returns stdout, throws on a non-zero exit. */
  sh(script: string, options: ExecOptions = {}): Promise<string> {
    return this.run(["/bin/sh", "-ec", script], options);
  }

  /** Writes a file inside (parent directories created), with mode and owner ("user:group" names). */
  async writeFile(
    path: string,
    content: string,
    { mode = "0644", owner = "root:root" }: { mode?: string; owner?: string } = {},
  ): Promise<void> {
    await this.run(
      [
        "/bin/sh",
        "-ec",
        'mkdir -p "$(dirname "$1")"; t="$1.ngtmp.$$"; cat > "$t"; chmod "$2" "$t"; chown "$3" "$t"; mv -f "$t" "$1"',
        "sh",
        path,
        mode,
        owner,
      ],
      { input: content },
    );
  }

  async readFile(path: string): Promise<string> {
    return this.run(["cat", "--", path]);
  }

  /** `systemctl show -p A,B unit` as an object. */
  async show(unit: string, properties: string[]): Promise<Record<string, string>> {
    return parseSystemctlShow(await this.run(["systemctl", "show", "-p", properties.join(","), "--", unit]));
  }

  /** A journal cursor "now", for journalAfter(). */
  async journalCursor(): Promise<string> {
    const out = await this.journal(["-n0", "--show-cursor", "-q"]);
    const cursor = /^-- cursor: (.+)$/m.exec(out)?.[1];
    if (!cursor) throw new Error(`no journal cursor in: ${out}`);
    return cursor;
  }

  /**
   * Journal entries logged after `cursor` (from journalCursor()), filtered by args (-u unit, -t tag...).
   * Not `--after-cursor`: combined with a match, journalctl drops the first *matching* entry after the
   * cursor (seen with systemd 252), so this uses the cursor's timestamp as `--since` instead.
   */
  async journalAfter(cursor: string, args: string[] = []): Promise<string> {
    const realtimeUsec = /;t=([0-9a-f]+)/.exec(cursor)?.[1];
    if (!realtimeUsec) throw new Error(`not a journal cursor: ${cursor}`);
    const sinceSec = (Number.parseInt(realtimeUsec, 16) + 1) / 1e6;
    return this.journal([`--since=@${sinceSec.toFixed(6)}`, ...args]);
  }

  /** journalctl with args (inside while running; from the overlay's persistent journal after stop). */
  async journal(args: string[] = []): Promise<string> {
    if (this.state === "running") return this.run(["journalctl", "--no-pager", ...args]);
    if (this.state === "destroyed") throw new Error(`container ${this.machine} is destroyed`);
    const result = await hostExec([
      "journalctl",
      "-D",
      join(this.root, "var/log/journal"),
      "--no-pager",
      ...args,
    ]);
    if (result.code !== 0) throw new ContainerCommandError(["journalctl", ...args], result);
    return result.stdout;
  }

  /** Clean poweroff; falls back to terminating nspawn, then killing the container's PID 1. */
  async stop(): Promise<void> {
    if (this.state !== "running") return;
    const exited = this.nspawnExited!;
    const within = (ms: number) =>
      Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    if (this.leaderPid) await this.exec(["systemctl", "poweroff", "--no-block"]).catch(() => undefined);
    else signal(this.nspawn?.pid, "SIGTERM"); // still booting: no systemd to ask
    if (!(await within(30_000))) {
      // first TERM: nspawn asks PID 1 to halt; then kill PID 1, which ends the whole PID namespace
      signal(this.nspawn?.pid, "SIGTERM");
      if (!(await within(5_000))) {
        signal(this.leaderPid, "SIGKILL");
        signal(this.nspawn?.pid, "SIGKILL");
        await within(5_000);
      }
    }
    this.state = "stopped";
    this.leaderPid = undefined;
    await removeCgroups(this.cgroups);
    await rm(`/run/systemd/nspawn/propagate/${this.machine}`, { recursive: true, force: true });
    await this.register();
  }

  /** Stops (if running), unmounts and removes everything the container had on the host. */
  async destroy(): Promise<void> {
    if (this.state === "destroyed") return;
    try {
      await this.stop();
    } finally {
      this.state = "destroyed";
      // cleanupHost also kills what a failed stop left running
      await cleanupHost({
        machine: this.machine,
        dir: this.dir,
        root: this.root,
        cgroups: this.cgroups,
        // only while our nspawn has not exited: its PID could belong to someone else's by now
        nspawnPid:
          this.nspawn && this.nspawn.exitCode === null && this.nspawn.signalCode === null
            ? this.nspawn.pid
            : undefined,
        leaderPid: this.leaderPid,
      });
    }
  }

  private async register(): Promise<void> {
    await writeRegistration({
      machine: this.machine,
      ownerPid: process.pid,
      dir: this.dir,
      root: this.root,
      cgroups: this.cgroups,
      nspawnPid: this.state === "running" ? this.nspawn?.pid : undefined,
      leaderPid: this.leaderPid,
    });
  }
}

/** The CLI entry package.json's "bin" names (e.g. dist/cli/main.js), relative to the checkout. */
function nutguardEntry(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    bin?: Record<string, string>;
  };
  const entry = pkg.bin?.nutguard;
  if (!entry) throw new Error(`${REPO_ROOT}/package.json has no bin.nutguard`);
  return entry;
}

async function nutguardBinds(): Promise<string[]> {
  const entry = join(REPO_ROOT, nutguardEntry());
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run 'npm run build' first`);
  const binds = [`${await realpath(process.execPath)}:/usr/local/bin/node`];
  for (const part of ["dist", "units", "package.json", "node_modules"]) {
    const hostPath = join(REPO_ROOT, part);
    if (existsSync(hostPath)) binds.push(`${hostPath}:${NUTGUARD_DIR}/${part}`);
  }
  return binds;
}

/** Creates and boots a container; on failure nothing is left behind. */
export async function bootContainer(options: ContainerOptions = {}): Promise<Container> {
  const ct = await Container.create(options);
  try {
    await ct.boot();
  } catch (err) {
    await ct.destroy().catch(() => undefined);
    throw err;
  }
  return ct;
}
