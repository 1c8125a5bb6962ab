#!/bin/sh
# The project's whole test command (README: `npm test`; CI: .ci/run).
# Installs what the tests need when it is missing (npm packages; as root, the compiler tools npm
# needs for the unix-dgram addon, Debian's NUT packages and apprise), builds, lints, type-checks, then runs
# every test: unit, real-NUT interoperability, and the systemd container tests. Nothing is skipped
# silently: a missing prerequisite stops the run.
# NUTGUARD_SKIP_CONTAINER_TESTS=1 skips the container stage out loud (ignored in CI: CI set, not false/0).
set -eu
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  sh scripts/ensure-build-tools.sh
  npm ci --no-audit --no-fund
fi
sh scripts/ensure-nut.sh
sh scripts/ensure-test-tools.sh
sh scripts/ensure-notify-tools.sh

echo "== build" >&2
npm run -s build
echo "== lint (biome) and type-check" >&2
npx biome check src test bench
npx tsc -p tsconfig.test.json
echo "== tests" >&2
npx vitest run

in_ci=yes
case ${CI:-} in "" | false | 0) in_ci=no ;; esac
if [ "${NUTGUARD_SKIP_CONTAINER_TESTS:-}" = 1 ] && [ "$in_ci" = no ]; then
  echo "== container tests SKIPPED (NUTGUARD_SKIP_CONTAINER_TESTS=1)" >&2
else
  [ "${NUTGUARD_SKIP_CONTAINER_TESTS:-}" = 1 ] && echo "NUTGUARD_SKIP_CONTAINER_TESTS ignored: CI=$CI never skips" >&2
  echo "== container tests (real systemd in systemd-nspawn)" >&2
  sh scripts/ensure-container-tools.sh
  sh scripts/ensure-package-tools.sh
  sh scripts/container-rootfs.sh ensure all
  npx vitest run -c vitest.container.config.ts
fi
