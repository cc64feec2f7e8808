#!/usr/bin/env bash
# npm start: from a fresh machine to a running engine — dependencies, the local stack,
# migrations, the demo drop, the build, then api + worker + reaper (compiled; the sources
# under `npm run dev`) under the supervisor
# (tools/dev/supervisor.mjs) in the foreground until Ctrl-C or SIGTERM.
# Environment variables given to it (PORT, JWT_SECRET, ...) reach all three processes.
# Signals: npm runs this through `exec`, and this script `exec`s the supervisor, so a
# SIGTERM to npm reaches the supervisor itself, which drains the three in order. A signal
# during the preparation ends it after the step in progress (bash runs a trap once the
# foreground command returns), leaving nothing behind.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
trap 'echo "[start] interrupted" >&2; exit 130' INT
trap 'echo "[start] terminated" >&2; exit 143' TERM
source tools/stack/prepare.sh

node --import tsx tools/dev/migrate.ts
node --import tsx tools/dev/seed.ts
# Production runs the build (as the image does); `npm run dev` (--watch) runs the sources.
if [[ " $* " != *" --watch "* ]]; then
  npm run -s build
  export ENGINE_FROM=build
fi
trap - INT TERM
exec node tools/dev/supervisor.mjs "$@"
