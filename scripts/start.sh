#!/usr/bin/env bash
# npm start: from a fresh machine to a running engine — dependencies, the local stack,
# migrations, the demo drop, then api + worker + reaper in the foreground until Ctrl-C.
# Environment variables given to it (PORT, JWT_SECRET, ...) reach all three processes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prepare.sh

node --import tsx scripts/migrate.ts
node --import tsx scripts/seed.ts
exec node scripts/run-all.mjs "$@"
