#!/usr/bin/env bash
# Times `npm start` in a checkout until GET /readyz is 200, checks the other operations
# endpoints, then sends Ctrl-C (SIGINT to its process group) and times the shutdown.
#   bash perf/measure-start.sh [checkout]      (cold: a fresh clone; warm: run it again)
set -uo pipefail
dir="${1:-.}"
port="${PORT:-8080}"
base="http://127.0.0.1:$port"
ops="http://127.0.0.1:${API_METRICS_PORT:-9100}"
cd "$dir" || exit 2
t0=$(date +%s.%N)
setsid bash -c 'exec npm start' >.stack-start.out 2>&1 &
pid=$!
until curl -sf "$base/readyz" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { echo "npm start died:"; tail -30 .stack-start.out; exit 1; }
  sleep 0.2
done
t1=$(date +%s.%N)
echo "ready after $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
for path in /readyz /healthz /openapi.json /docs; do
  curl -s -o /dev/null -w "$path %{http_code}\n" "$base$path"
done
curl -s -o /dev/null -w "/metrics (ops port) %{http_code}\n" "$ops/metrics"
kill -INT -- "-$pid"
wait "$pid"
code=$?
echo "stopped $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t1 }") s after Ctrl-C (exit $code)"
pgrep -f "(api|worker|reaper)/main.ts" >/dev/null && echo "engine processes left!" || echo "no engine processes left"
