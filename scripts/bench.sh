#!/usr/bin/env bash
# npm run bench: the stack (started when it is not up), migrations, then bench/http.ts,
# which starts its own api and baseline server on ports of their own and measures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prepare.sh
node --import tsx scripts/migrate.ts >&2
exec node --import tsx bench/http.ts "$@"
