# Sourced by the HTTP benchmarks and load tests (drop-test.sh, pipeline-lag.sh, load.sh):
# the stack, k6, load-test users with tokens, and the engine running in the background
# until exit: API_PROCESSES api processes (ports PORT, PORT+1, ...), REAPERS reapers (each
# also relays the outbox; one relay per stream at a time by lease) and WORKERS workers (one
# consumer group: they share the partitions).
# Rate limits are off as in every benchmark (SPEC §4); warn-level logs keep request lines
# off stdout. Ports are moved so a running `npm start` is not disturbed.
source tools/stack/prepare.sh

export PORT="${PORT:-8090}" WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-9140}" REAPER_METRICS_PORT="${REAPER_METRICS_PORT:-9112}"
# Each api process has its own ops (metrics) port: API_METRICS_PORT, +1, ...
export API_METRICS_PORT="${API_METRICS_PORT:-9120}"
export RATE_LIMIT_PER_IP=0 RATE_LIMIT_PER_USER=0 LOG_LEVEL="${LOG_LEVEL:-warn}"
# The load-test users' tokens must outlive a long soak (the default is 15 min).
export ACCESS_TOKEN_TTL_SECONDS="${ACCESS_TOKEN_TTL_SECONDS:-86400}"
API_PROCESSES="${API_PROCESSES:-1}" REAPERS="${REAPERS:-1}" WORKERS="${WORKERS:-1}"
BASE="http://127.0.0.1:$PORT"
BASE_URLS="$BASE"
for ((i = 1; i < API_PROCESSES; i++)); do BASE_URLS="$BASE_URLS,http://127.0.0.1:$((PORT + i))"; done

K6="$(command -v k6 || true)"
if [ -z "$K6" ]; then
  K6="$(go env GOPATH)/bin/k6"
  [ -x "$K6" ] || { echo "[bench] installing k6 (go install go.k6.io/k6@v1.8.1)" >&2; go install go.k6.io/k6@v1.8.1; }
fi

# Every k6 run also writes k6's own HTML report (latency and throughput charts over the run)
# next to its text summary: k6_report NAME sets where (.stack/reports/NAME.html). No
# dashboard server: the report is written when the run ends.
# A 1 s period: a short run still has enough points for k6 to write the report.
export K6_WEB_DASHBOARD=true K6_WEB_DASHBOARD_PORT=-1 K6_WEB_DASHBOARD_PERIOD=1s
mkdir -p .stack/reports
k6_report() { export K6_WEB_DASHBOARD_EXPORT="$PWD/.stack/reports/$1.html"; echo "[bench] k6 HTML report: $K6_WEB_DASHBOARD_EXPORT" >&2; }

node --import tsx tools/dev/migrate.ts

# bench_users N PREFIX FILE: N users with fresh tokens, written to FILE.
bench_users() { node --import tsx tools/dev/token.ts --create-users "$1" --prefix "$2" --out "$3"; }

ENGINE_PIDS=()
stop_engine() {
  for pid in "${ENGINE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${ENGINE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_engine EXIT
# run_process ENTRY VAR=value...: one engine process in the background.
# PROFILE=1: each process writes a V8 CPU profile to .stack/profiles when it exits (read it
# with perf/http/profile-top.ts).
run_process() {
  local entry="$1"
  shift
  local profile=()
  [ "${PROFILE:-}" = 1 ] && profile=(--cpu-prof --cpu-prof-dir=.stack/profiles)
  env "$@" node "${profile[@]}" --import tsx "$entry" &
  ENGINE_PIDS+=("$!")
}
for ((i = 0; i < API_PROCESSES; i++)); do
  run_process api/main.ts PORT="$((PORT + i))" API_METRICS_PORT="$((API_METRICS_PORT + i))"
done
for ((i = 0; i < REAPERS; i++)); do run_process reaper/main.ts REAPER_METRICS_PORT="$((REAPER_METRICS_PORT + i))"; done
for ((i = 0; i < WORKERS; i++)); do run_process worker/main.ts WORKER_METRICS_PORT="$((WORKER_METRICS_PORT + i))"; done

ready_urls=()
for ((i = 0; i < WORKERS; i++)); do ready_urls+=("http://127.0.0.1:$((WORKER_METRICS_PORT + i))/readyz"); done
for url in ${BASE_URLS//,/ }; do ready_urls+=("$url/readyz"); done
for ((i = 0; i < REAPERS; i++)); do ready_urls+=("http://127.0.0.1:$((REAPER_METRICS_PORT + i))/readyz"); done
end=$((SECONDS + 60))
for url in "${ready_urls[@]}"; do
  until curl -sf "$url" >/dev/null; do
    ((SECONDS < end)) || { echo "[bench] $url did not get ready" >&2; exit 1; }
    sleep 0.2
  done
done
echo "[bench] engine ready: $API_PROCESSES api ($BASE_URLS), $REAPERS reaper(s), $WORKERS worker(s)" >&2
