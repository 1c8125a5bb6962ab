#!/bin/sh
# The project's whole test command (README: `npm test`; CI: .ci/run).
# Installs what the tests need when it is missing (npm packages; as root, Debian's NUT packages),
# builds, lints, type-checks, then runs every test: unit, real-NUT interoperability, and the
# systemd container tests. Nothing is skipped silently: a missing prerequisite stops the run.
set -eu
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
sh scripts/ensure-nut.sh

echo "== build" >&2
npm run -s build
echo "== lint (biome) and type-check" >&2
npx biome check src test bench
npx tsc -p tsconfig.test.json
echo "== tests" >&2
npx vitest run
