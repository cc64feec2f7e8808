# Sourced by the HTTP benchmarks (drop-test.sh, pipeline-lag.sh): the stack, k6, load-test
# users with tokens, and api + worker + reaper running in the background until exit.
# Rate limits are off as in every benchmark (SPEC §4); warn-level logs keep request lines
# off stdout. Ports are moved so a running `npm start` is not disturbed.
source scripts/prepare.sh

export PORT="${PORT:-8090}" WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-9111}" REAPER_METRICS_PORT="${REAPER_METRICS_PORT:-9112}"
export RATE_LIMIT_PER_IP=0 RATE_LIMIT_PER_USER=0 LOG_LEVEL="${LOG_LEVEL:-warn}"
BASE="http://127.0.0.1:$PORT"

K6="$(command -v k6 || true)"
if [ -z "$K6" ]; then
  K6="$(go env GOPATH)/bin/k6"
  [ -x "$K6" ] || { echo "[bench] installing k6 (go install go.k6.io/k6@v1.8.1)" >&2; go install go.k6.io/k6@v1.8.1; }
fi

node --import tsx scripts/migrate.ts

# bench_users N PREFIX FILE: N users with fresh tokens, written to FILE.
bench_users() { node --import tsx scripts/token.ts --create-users "$1" --prefix "$2" --out "$3"; }

node scripts/run-all.mjs &
ENGINE=$!
trap 'kill -TERM $ENGINE 2>/dev/null; wait $ENGINE 2>/dev/null || true' EXIT
end=$((SECONDS + 60))
until curl -sf "$BASE/readyz" >/dev/null; do
  ((SECONDS < end)) || { echo "[bench] the api did not get ready" >&2; exit 1; }
  sleep 0.2
done
