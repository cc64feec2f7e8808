#!/usr/bin/env bash
# npm run perf:http: the stack (started when it is not up), migrations, then perf/http/http.ts,
# which starts its own servers (hello-world, prototype, api, reaper, worker) on ports of
# their own and measures them with wrk. BENCH_API_ONLY=1: the api alone during the phases.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/dev/need-command.sh
need_command "${BENCH_WRK:-wrk}" wrk
source tools/stack/prepare.sh
node --import tsx tools/dev/migrate.ts >&2
# The engine runs from the build, as the image runs it (BENCH_FROM=source: under tsx).
[ "${BENCH_FROM:-build}" = source ] || npm run -s build >&2
exec node --import tsx perf/http/http.ts "$@"
