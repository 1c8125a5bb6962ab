#!/bin/sh
# The README's main job (`npm run demo`): installs npm packages when missing, builds, runs `nutguard demo`.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ]; then
  sh scripts/ensure-build-tools.sh
  npm ci --no-audit --no-fund
fi
npm run -s build
exec node dist/cli/main.js demo "$@"
