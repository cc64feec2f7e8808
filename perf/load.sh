#!/usr/bin/env bash
# npm run perf:drop | perf:seated | perf:availability | perf:soak | perf:queue — one k6 scenario (k6/<name>.js) against
# the engine on this machine, then the stock checked through the API and against Redis
# (perf/check-drop.ts). Knobs: API_PROCESSES and REAPERS (the scale-out run: 2 and 2),
# USERS (load-test users, 3000), and each scenario's own (RATE, CAPACITY, DURATION, ...),
# passed on to k6 as -e.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCENARIO="${1:?usage: perf/load.sh drop-surge|seated-drop|availability|soak|queue|scale}"
[ -f "k6/$SCENARIO.js" ] || { echo "no k6/$SCENARIO.js" >&2; exit 2; }
USERS="${USERS:-3000}"
source perf/bench-lib.sh
bench_users "$USERS" load .stack/load-users.json

summary="$PWD/.stack/$SCENARIO-summary.json"
k6_env=()
for knob in RATE CAPACITY RAMP HOLD VUS MAX_VUS CONFIRM_SHARE CLIENTS POLL_SECONDS BUY_FOR DURATION HOLD_TTL FANS ADMIT MAX_POLL_RATE EVENTS SECTIONS ROWS ROW_SEATS EXACT_SHARE BOTS BOT_ATTEMPTS BOT_RATE FAN_RATE BOT_VUS FAN_VUS DIFFICULTY; do
  [ -n "${!knob:-}" ] && k6_env+=(-e "$knob=${!knob}")
done
# Resident memory of each api process (the first API_PROCESSES engine processes).
rss() { for pid in "${ENGINE_PIDS[@]:0:$API_PROCESSES}"; do ps -o rss= -p "$pid" | awk '{printf "%d MB ", $1 / 1024}'; done; }
rss_before="$(rss)"
# CPU seconds of each Redis node (every cluster node, or the one REDIS_URL names).
redis_nodes() {
  if [ -n "${REDIS_CLUSTER_NODES:-}" ]; then tr ',' '\n' <<<"$REDIS_CLUSTER_NODES"
  else sed -E 's#^redis://([^/]*).*#\1#' <<<"${REDIS_URL:-redis://127.0.0.1:6379}"; fi
}
redis_cpu() {
  local node
  for node in $(redis_nodes); do
    redis-cli -h "${node%:*}" -p "${node##*:}" info cpu |
      awk -v n="$node" -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%s %.3f\n", n, s}'
  done
}
redis_cpu_before="$(redis_cpu)"
status=0
# What the load generator took from the machine (it shares the cores with the engine).
TIMEFORMAT='[load] k6 itself used %U s user + %S s system CPU over %R s'
k6_report "$SCENARIO"
time "$K6" run --quiet -e BASE_URLS="$BASE_URLS" -e USERS_FILE="$PWD/.stack/load-users.json" \
  -e SUMMARY_FILE="$summary" "${k6_env[@]}" "k6/$SCENARIO.js" || status=$?
[ "$status" = 0 ] || echo "[load] k6 reported failed thresholds or checks (exit $status)" >&2

echo "[load] api RSS after the run: $(rss)(before: $rss_before)"
redis_cpu_after="$(redis_cpu)"
while read -r node before; do
  after="$(awk -v n="$node" '$1 == n {print $2}' <<<"$redis_cpu_after")"
  role="$(redis-cli -h "${node%:*}" -p "${node##*:}" info replication | awk -F: '/^role:/ {print $2}' | tr -d '\r')"
  echo "[load] redis $node ($role): $(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.2f", a - b}') s of CPU during the run"
done <<<"$redis_cpu_before"
for ((i = 0; i < REAPERS; i++)); do
  expired="$(curl -s "http://127.0.0.1:$((REAPER_METRICS_PORT + i))/metrics" | awk '/^reaper_expired_total/ {print $2}')"
  echo "[load] reaper $((i + 1)) of $REAPERS expired ${expired:-0} holds"
done

# The waiting room: every hold the run made came with a pass (the api counts them).
if [ "$SCENARIO" = queue ]; then
  used=0
  for ((i = 0; i < API_PROCESSES; i++)); do
    n="$(curl -s "http://127.0.0.1:$((API_METRICS_PORT + i))/metrics" | awk '/^queue_passes_used_total/ {print $2}')"
    used=$((used + ${n:-0}))
  done
  held="$(node -e "console.log(require('$summary').seatsHeld)")"
  echo "[load] holds made: $held; holds placed with a queue pass (api): $used"
  [ "$used" = "$held" ] || { echo "[load] FAIL: a hold was made without a pass, or a pass was not counted" >&2; status=1; }
fi

# Holds end during the soak (and during a surge given HOLD_TTL): released or expired, their
# stock back on sale. Then the check waits for the reaper and counts what is left.
check_args=()
if [ "$SCENARIO" = soak ]; then check_args+=(--settle "${HOLD_TTL:-10}");
elif [ -n "${HOLD_TTL:-}" ]; then check_args+=(--settle "$HOLD_TTL"); fi
BASE="$BASE" node --import tsx perf/check-drop.ts "$summary" "${check_args[@]}" || status=1
exit "$status"
