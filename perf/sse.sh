#!/usr/bin/env bash
# npm run perf:streams: STREAMS (5,000) availability streams open on one api process while a
# drop of CAPACITY (2,000) seats sells out (perf/sse-streams.ts): the api's RSS and heap per
# open stream, and the delay from the last hold to every stream reading it. Opens that many
# sockets: the file limit is raised for this shell, the engine it starts and the client
# (one api process can hold as many streams as its file limit allows, less its own files).
# The client opens the api's inspector (SIGUSR1, 127.0.0.1:9229) to collect garbage before
# it measures memory; RESERVERS (100) users reserve at once during the drop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ulimit -n "$(ulimit -Hn)"
# One client ip opens them all: the per-caller limit is lifted for the run.
export AVAILABILITY_STREAM_MAX_PER_USER=1000000 AVAILABILITY_STREAM_MAX=1000000
USERS="${USERS:-200}"
source perf/bench-lib.sh
bench_users "$USERS" stream .stack/stream-users.json
API_PID="${ENGINE_PIDS[0]}" BASE="$BASE" USERS_FILE=.stack/stream-users.json \
  API_METRICS_URL="http://127.0.0.1:$API_METRICS_PORT/metrics" \
  node --experimental-websocket --disable-warning=ExperimentalWarning --import tsx perf/sse-streams.ts
