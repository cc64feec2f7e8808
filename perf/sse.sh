#!/usr/bin/env bash
# npm run perf:streams: STREAMS (5,000) availability streams open on one api process while a
# drop of CAPACITY (2,000) seats sells out (perf/sse-streams.ts). Opens that many sockets:
# the file limit is raised for this shell and the engine it starts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ulimit -n "$(ulimit -Hn)"
# One client ip opens them all: the per-caller limit is lifted for the run.
export AVAILABILITY_STREAM_MAX_PER_USER=1000000 AVAILABILITY_STREAM_MAX=1000000
USERS="${USERS:-200}"
source perf/bench-lib.sh
bench_users "$USERS" stream .stack/stream-users.json
API_PID="${ENGINE_PIDS[0]}" BASE="$BASE" USERS_FILE=.stack/stream-users.json \
  node --import tsx perf/sse-streams.ts
