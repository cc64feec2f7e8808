#!/usr/bin/env bash
# npm run perf:crowd: the crowd benchmark of issue 24 (perf/crowd.ts). One drop behind a
# waiting room, at each of CROWD_SIZES (10000,100000,1000000) waiting fans: the fans poll
# queue/me with their tickets, some watch availability (polls and open streams), and
# buyers with passes reserve at a fixed rate; what Redis and the buyers see must not grow
# with the crowd. The whole engine runs (api, reaper, worker: perf/bench-lib.sh); wrk
# drives the polls. The streams are sockets: the file limit is raised for this shell, the
# engine it starts and the client, and one client ip may open them all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ulimit -n "$(ulimit -Hn)"
command -v "${BENCH_WRK:-wrk}" >/dev/null || { echo "[crowd] needs wrk (apt-get install wrk)" >&2; exit 1; }
export AVAILABILITY_STREAM_MAX_PER_USER=1000000 AVAILABILITY_STREAM_MAX=1000000
source perf/bench-lib.sh
# The buyers are real accounts (their holds reach Postgres and the notifier); the waiting
# fans are signed offline by perf/crowd.ts: the api only checks their tokens' signatures.
bench_users "${CROWD_BUYERS:-200}" crowd .stack/crowd-users.json
API_PID="${ENGINE_PIDS[0]}" ENGINE_PIDS="${ENGINE_PIDS[*]}" BASE="$BASE" USERS_FILE=.stack/crowd-users.json \
  API_METRICS_URL="http://127.0.0.1:$API_METRICS_PORT/metrics" node --import tsx perf/crowd.ts
