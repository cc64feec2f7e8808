#!/usr/bin/env bash
# npm run perf:http: the stack (started when it is not up), migrations, then perf/http/http.ts,
# which starts its own servers (hello-world, prototype, api, reaper, worker) on ports of
# their own and measures them with wrk. BENCH_API_ONLY=1: the api alone during the phases.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v "${BENCH_WRK:-wrk}" >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "[bench] installing wrk (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "[bench] wrk is missing: sudo apt-get install -y wrk (or brew install wrk)" >&2
    exit 1
  fi
fi
source tools/stack/prepare.sh
node --import tsx tools/dev/migrate.ts >&2
exec node --import tsx perf/http/http.ts "$@"
