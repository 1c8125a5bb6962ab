// `npm run package [-- --arch amd64|arm64] [--version V] [--out DIR] [--fast] [--lintian]`: builds dist/nutguard_<version>_<arch>.deb
// with dpkg-deb, from the npm registry and Debian's archive only (README, "Install"; layout below).
//
//   /usr/bin/nutguard                      launcher: the CLI bundle on the pinned Node
//   /usr/lib/nutguard/bin/node             pinned Node.js (packaging/runtime.json), stripped
//   /usr/lib/nutguard/dist/…               the CLI bundle, tsc output (for subcommands it loads), nutguard.blob
//   /usr/lib/nutguard/node_modules/…       unix-dgram built against exactly that Node (node-gyp --nodedir), bindings
//   /usr/lib/nutguard/units/               units/ (what `nutguard install-service` reads)
//   /usr/lib/systemd/system/nutguard-monitor.service   units/nutguard-monitor.notify.service + start conditions
//   /usr/lib/tmpfiles.d/nutguard.conf, /usr/lib/sysusers.d/nutguard.conf
//   /usr/share/man/man1/nutguard*.1.gz     scripts/man.mjs (from each command's help text)
//   /usr/share/doc/nutguard/               copyright, changelog.gz, examples/upsmon.conf
//
// Downloads (the runtime tarball) and the built addon are cached in $NUTGUARD_PACKAGE_CACHE, default
// node_modules/.cache/nutguard-package, so a rebuild takes seconds. Needs `npm run build` first (the npm script
// does it), dpkg-deb, binutils (strip), python3/make/g++ (node-gyp); arm64 also g++-aarch64-linux-gnu and
// qemu-user-static (to build the snapshot with the arm64 Node) — scripts/ensure-package-tools.sh installs them.
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { writeManPages } from "./man.mjs";
import { fetchNodeRuntime } from "./node-runtime.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PREFIX = "usr/lib/nutguard";
const UNIT = "nutguard-monitor.service";
/** Node's official Linux builds need glibc 2.28 and GCC 10's runtime libraries (Debian 11, Ubuntu 20.04 on). */
const DEPENDS = "libc6 (>= 2.28), libgcc-s1, libstdc++6 (>= 10)";
const ARCHES = {
  amd64: { triplet: "x86_64-linux-gnu", gypArch: "x64", strip: "strip", cross: undefined },
  arm64: {
    triplet: "aarch64-linux-gnu",
    gypArch: "arm64",
    strip: "aarch64-linux-gnu-strip",
    cross: { CC: "aarch64-linux-gnu-gcc", CXX: "aarch64-linux-gnu-g++", LINK: "aarch64-linux-gnu-g++" },
    // qemu-user runs the arm64 Node (smoke tests) with the cross toolchain's libraries
    runner: ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"],
  },
};

function die(msg) {
  console.error(`package: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...opts });
  if (r.status !== 0) {
    die(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

function parseArgs(argv) {
  const host = spawnSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).stdout?.trim();
  const o = { arch: host || "amd64", version: process.env.NUTGUARD_DEB_VERSION, lintian: false, fast: false, out: join(root, "dist") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--arch") o.arch = argv[++i];
    else if (a === "--version") o.version = argv[++i];
    else if (a === "--out") o.out = resolve(argv[++i]);
    else if (a === "--lintian") o.lintian = true;
    else if (a === "--fast") o.fast = true;
    else die(`unknown option ${a} (usage: npm run package -- [--arch amd64|arm64] [--version V] [--out DIR] [--fast] [--lintian])`);
  }
  if (!ARCHES[o.arch]) die(`unsupported architecture ${o.arch} (amd64 or arm64)`);
  return o;
}

/** The pinned runtime (packaging/runtime.json), from the npm registry, checked against the pinned integrity. */
function fetchRuntime(cache, arch) {
  const pin = JSON.parse(readFileSync(join(root, "packaging/runtime.json"), "utf8"));
  const { name, integrity } = pin.packages[arch];
  try {
    return fetchNodeRuntime({ cache, name, version: pin.version, integrity });
  } catch (err) {
    die(err.message);
  }
}

/** npm's own node-gyp (the one `npm rebuild` would use). */
function nodeGyp() {
  const candidates = [
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), "../node_modules/node-gyp/bin/node-gyp.js"),
    join(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
  ].filter(Boolean);
  const found = candidates.find((c) => existsSync(c));
  if (!found) die(`npm's node-gyp not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** unix-dgram built for exactly the pinned runtime (its headers: --nodedir), cached per arch and version. */
function buildAddon(cache, arch, runtime) {
  const dir = join(cache, `addon-${arch}-${runtime.version}`);
  const mod = join(dir, "node_modules/unix-dgram");
  const built = join(mod, "build/Release/unix_dgram.node");
  if (existsSync(built)) return mod;
  rmSync(dir, { recursive: true, force: true });
  for (const m of ["unix-dgram", "nan"]) {
    cpSync(join(root, "node_modules", m), join(dir, "node_modules", m), {
      recursive: true,
      filter: (src) => !src.includes(`${m}/build`),
    });
  }
  const a = ARCHES[arch];
  console.error(`package: building unix-dgram for Node ${runtime.version} (${arch})`);
  // npm's configuration reaches node-gyp as npm_config_* and wins over its flags (a host npmrc often
  // says nodedir=/usr), so the runtime's headers are named there too
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
  run(process.execPath, [nodeGyp(), "rebuild", `--nodedir=${runtime.dir}`, `--arch=${a.gypArch}`], {
    cwd: mod,
    env: { ...env, npm_config_nodedir: runtime.dir, npm_config_arch: a.gypArch, ...(a.cross ?? {}) },
  });
  // the ABI it was built for must be the runtime's (a wrong nodedir fails only when the monitor starts)
  const abi = /#define NODE_MODULE_VERSION (\d+)/.exec(readFileSync(join(runtime.dir, "include/node/node_version.h"), "utf8"))?.[1];
  const config = readFileSync(join(mod, "build/config.gypi"), "utf8");
  if (!config.includes(`"nodedir": "${runtime.dir}"`)) die(`unix-dgram was not built against ${runtime.dir} (ABI ${abi}):\n${config}`);
  if (!existsSync(built)) die(`node-gyp did not produce ${built}`);
  return mod;
}

function copyTree(from, to, keep = () => true) {
  cpSync(from, to, { recursive: true, filter: (src) => statSync(src).isDirectory() || keep(src) });
}

function writeFile(path, content, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** Debian's changelog: packaging/debian/changelog, with an entry on top when building another version. */
function changelog(version) {
  const text = readFileSync(join(root, "packaging/debian/changelog"), "utf8");
  const top = /^nutguard \(([^)]+)\)/.exec(text)?.[1];
  if (top === version) return text;
  const maint = /^ -- (.+?)  /m.exec(text)?.[1];
  const date = new Date().toUTCString().replace("GMT", "+0000");
  return `nutguard (${version}) unstable; urgency=medium\n\n  * Build ${version} of nutguard (npm run package --version).\n\n -- ${maint}  ${date}\n\n${text}`;
}

/** packaging/debian/copyright with Node's own LICENSE (from the runtime) as the Node.js license text. */
function copyright(runtime) {
  // Debian points at /usr/share/common-licenses for the Apache-2.0 text instead of repeating it
  const nodeLicense = readFileSync(join(runtime.dir, "LICENSE"), "utf8")
    .replace(
      /^[ \t]*Apache License\n[ \t]*Version 2\.0, January 2004\n[\s\S]*?END OF TERMS AND CONDITIONS[ \t]*$/gm,
      "    [The Apache License 2.0: on Debian systems in /usr/share/common-licenses/Apache-2.0.]",
    )
    .replace(/\s+$/, "")
    .split("\n")
    .map((l) => (l.trim() === "" ? " ." : ` ${l.replace(/\s+$/, "")}`))
    .join("\n")
    .replace(/^ /, "");
  return readFileSync(join(root, "packaging/debian/copyright"), "utf8").replace("@NODE_LICENSE@", nodeLicense);
}

/** units/nutguard-monitor.notify.service for the package: /usr/bin/nutguard and its start conditions. */
function packagedUnit() {
  const unit = readFileSync(join(root, "units/nutguard-monitor.notify.service"), "utf8").replaceAll(
    "/usr/local/bin/nutguard",
    "/usr/bin/nutguard",
  );
  const conditions = [
    "Documentation=man:nutguard-monitor(1)",
    "# Installed by the nutguard package: it starts only once /etc/nut/upsmon.conf names a UPS (a MONITOR",
    "# line), so a host with no UPS configured yet has nothing failed at boot (the unit is skipped instead).",
    "ConditionPathExists=/etc/nut/upsmon.conf",
  ].join("\n");
  const check = 'ExecCondition=/bin/grep -Eq "^[[:space:]]*MONITOR[[:space:]]" /etc/nut/upsmon.conf';
  const out = unit
    .replace(/^(Description=.*)$/m, `$1\n${conditions}`)
    .replace(/^(ExecStart=.*)$/m, `${check}\n$1`);
  if (!out.includes("ConditionPathExists=") || !out.includes("ExecCondition=")) die("units/: unexpected unit layout");
  return out;
}

/** units/nutguard-exporter.service for the package: /usr/bin/nutguard; shipped, not enabled. */
function packagedExporterUnit() {
  const unit = readFileSync(join(root, "units/nutguard-exporter.service"), "utf8").replaceAll(
    "/usr/local/bin/nutguard",
    "/usr/bin/nutguard",
  );
  const out = unit.replace(
    /^(Description=.*)$/m,
    "$1\nDocumentation=man:nutguard-exporter(1)\n# Installed by the nutguard package, not enabled: `systemctl enable --now nutguard-exporter`.",
  );
  if (!out.includes("ExecStart=/usr/bin/nutguard exporter")) die("units/: unexpected exporter unit layout");
  return out;
}

function launcher() {
  return `#!/bin/sh
# nutguard: the CLI bundle on the Node.js runtime this package carries (/${PREFIX}/bin/node).
# exec keeps one process (the monitor's PID is systemd's MainPID).
# NODE_EXTRA_CA_CERTS is dropped as systemd drops it for the service: Node would parse that whole CA bundle at
# every start (tens of ms of CPU); the monitor verifies upsd against upsmon.conf's CERTPATH only.
unset NODE_EXTRA_CA_CERTS
node=/${PREFIX}/bin/node
cli=/${PREFIX}/dist/cli
exec "$node" "$cli/nutguard.cjs" "$@"
`;
}

function installedSizeKb(dir) {
  let bytes = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else bytes += statSync(p).size;
    }
  };
  walk(dir);
  return Math.ceil(bytes / 1024);
}

/** dpkg-deb's compression: xz for releases (Debian 11's dpkg reads no zstd); `--fast`: gzip -1 (tests). */
const compression = (fast) => (fast ? ["-Zgzip", "-z1"] : ["-Zxz"]);

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const version = o.version ?? pkg.version;
  if (!existsSync(join(root, "dist/cli/nutguard.cjs"))) die("dist/cli/nutguard.cjs is missing: npm run build first");
  const cache = resolve(process.env.NUTGUARD_PACKAGE_CACHE ?? join(root, "node_modules/.cache/nutguard-package"));
  mkdirSync(cache, { recursive: true });
  const arch = ARCHES[o.arch];
  const runtime = fetchRuntime(cache, o.arch);
  const addon = buildAddon(cache, o.arch, runtime);

  const stage = join(cache, `stage-${o.arch}`);
  const r = join(stage, "root");
  rmSync(stage, { recursive: true, force: true });
  const lib = join(r, PREFIX);

  // the runtime, stripped (lintian: unstripped-binary-or-object; ~10 MB less)
  writeFile(join(lib, "bin/node"), readFileSync(join(runtime.dir, "bin/node")), 0o755);
  run(arch.strip, ["--strip-unneeded", "--remove-section=.comment", "--remove-section=.note", join(lib, "bin/node")]);

  // the CLI: bundle and tsc output (JavaScript only), package.json (ESM for tsc's output, version)
  copyTree(join(root, "dist"), join(lib, "dist"), (src) => {
    const rel = relative(join(root, "dist"), src);
    if (rel.endsWith(".deb")) return false;
    if (/^cli\/(upsc|upsc\.blob|upsc-snapshot\.cjs|nutguard\.blob|nutguard-snapshot\.cjs)$/.test(rel)) return false;
    return /\.(js|cjs)$/.test(rel);
  });
  // nothing runs them directly (the launcher names the runtime): no `#!/usr/bin/env node`
  for (const f of ["cli/nutguard.cjs", "cli/main.js"]) {
    const p = join(lib, "dist", f);
    writeFile(p, readFileSync(p, "utf8").replace(/^#!.*\n/, ""));
  }
  writeFile(
    join(lib, "package.json"),
    `${JSON.stringify({ name: pkg.name, version, type: "module", private: true }, null, 2)}\n`,
  );
  copyTree(join(root, "units"), join(lib, "units"));
  // the addon and what it loads at run time (no sources, build files, docs or licence files: see copyright)
  const nm = join(lib, "node_modules");
  writeFile(join(nm, "unix-dgram/package.json"), readFileSync(join(addon, "package.json")));
  copyTree(join(addon, "lib"), join(nm, "unix-dgram/lib"));
  writeFile(join(nm, "unix-dgram/build/Release/unix_dgram.node"), readFileSync(join(addon, "build/Release/unix_dgram.node")));
  run(arch.strip, ["--strip-unneeded", join(nm, "unix-dgram/build/Release/unix_dgram.node")]);
  chmodSync(join(nm, "unix-dgram/build/Release/unix_dgram.node"), 0o644);
  for (const m of ["bindings", "file-uri-to-path"]) {
    copyTree(join(root, "node_modules", m), join(nm, m), (src) => /(package\.json|\.js)$/.test(src) && !src.includes("/test/"));
  }

  // No V8 start-up snapshot: on Node 24 a user-land snapshot of the CLI cost 35-60 ms more CPU per start than
  // the bundle (bench/README.md, "Start-up of the installed package"), and V8 cannot snapshot the CLI since it
  // holds the HTTP surface and the mail channel (node:http/https: "CheckGlobalAndEternalHandles failed").
  rmSync(join(lib, "dist/cli/nutguard-snapshot.cjs"), { force: true });

  writeFile(join(r, "usr/bin/nutguard"), launcher(), 0o755);
  writeFile(join(r, "usr/lib/systemd/system", UNIT), packagedUnit());
  writeFile(join(r, "usr/lib/systemd/system/nutguard-exporter.service"), packagedExporterUnit());
  const retitle = (text, where) => text.replace(/^# \/etc\/(\S+)/m, `# ${where}/$1`);
  writeFile(join(r, "usr/lib/tmpfiles.d/nutguard.conf"), retitle(readFileSync(join(root, "units/nutguard.tmpfiles.conf"), "utf8"), "/usr/lib"));
  writeFile(join(r, "usr/lib/sysusers.d/nutguard.conf"), retitle(readFileSync(join(root, "units/nutguard.sysusers.conf"), "utf8"), "/usr/lib"));

  // man pages (from the help texts), docs
  const man = join(stage, "man");
  for (const f of await writeManPages({ root, outDir: man })) {
    writeFile(join(r, "usr/share/man/man1", `${f}.gz`), gzipSync(readFileSync(join(man, f)), { level: 9 }));
  }
  const doc = join(r, "usr/share/doc/nutguard");
  writeFile(join(doc, "copyright"), copyright(runtime));
  writeFile(join(doc, "changelog.gz"), gzipSync(Buffer.from(changelog(version)), { level: 9 }));
  writeFile(join(doc, "examples/upsmon.conf"), readFileSync(join(root, "packaging/debian/upsmon.conf.example")));
  writeFile(join(r, "usr/share/lintian/overrides/nutguard"), readFileSync(join(root, "packaging/debian/lintian-overrides")));

  // control files
  const control = [
    "Package: nutguard",
    `Version: ${version}`,
    `Architecture: ${o.arch}`,
    "Maintainer: nutguard maintainers <maintainers@users.noreply.r-seed-dc393df6.example>",
    `Installed-Size: ${installedSizeKb(r)}`,
    `Depends: ${DEPENDS}`,
    "Suggests: nut-server",
    "Section: admin",
    "Priority: optional",
    "Description: NUT-compatible UPS monitor and power-fail shutdown controller",
    " nutguard monitors UPSes over the Network UPS Tools protocol and shuts the",
    " host down when the power runs out, reading NUT's own upsmon.conf. Its",
    " monitor runs as a Type=notify systemd service with a correct process",
    " model (root supervisor, unprivileged monitor, PID file, runtime directory).",
    " It also carries drop-in upsc, upscmd, upsrw and upslog, a doctor for the",
    " service setup of NUT's upsmon and its own, and a simulated upsd.",
    " .",
    " The package carries its own Node.js runtime under /usr/lib/nutguard and",
    " coexists with Debian's nut-client and nut-server (the same nut account).",
    "",
  ].join("\n");
  const deb = join(r, "DEBIAN");
  writeFile(join(deb, "control"), control);
  for (const s of ["postinst", "prerm", "postrm"]) {
    writeFile(join(deb, s), readFileSync(join(root, "packaging/debian", s)), 0o755);
  }
  const sums = execFileSync("sh", ["-c", "find . -path ./DEBIAN -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum"], {
    cwd: r,
    encoding: "utf8",
  });
  writeFile(join(deb, "md5sums"), sums.replaceAll("  ./", "  "));

  mkdirSync(o.out, { recursive: true });
  const out = join(o.out, `nutguard_${version}_${o.arch}.deb`);
  run("dpkg-deb", ["--root-owner-group", ...compression(o.fast), "--build", r, out]);
  console.log(out);
  if (o.lintian) {
    const l = spawnSync("lintian", ["--fail-on", "error", out], { encoding: "utf8" });
    process.stdout.write(l.stdout + l.stderr);
    if (l.status !== 0) die("lintian reported errors");
  }
}

await main();
