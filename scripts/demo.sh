#!/bin/sh
# The README's main job. Until `nutguard demo` exists this shows the CLI working.
set -eu
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run -s build
if node dist/cli/main.js --help | grep -q '^  demo '; then
  exec node dist/cli/main.js demo "$@"
fi
exec node dist/cli/main.js --help
