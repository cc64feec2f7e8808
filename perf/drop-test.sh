#!/usr/bin/env bash
# npm run perf:sellout — the drop acceptance run, end to end over HTTP:
# CAPACITY seats (1000), REQUESTS reserve requests (20000) from USERS users (200) with k6
# against api + worker + reaper. Passes when exactly CAPACITY seats were held, none is
# left, every other answer was an expected refusal, and once the holds' TTL (HOLD_TTL,
# 60 s, longer than the run) is over the reaper has put all CAPACITY seats back.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CAPACITY="${CAPACITY:-1000}" REQUESTS="${REQUESTS:-20000}" USERS="${USERS:-200}" HOLD_TTL="${HOLD_TTL:-60}"
source perf/bench-lib.sh
bench_users "$USERS" drop .stack/drop-users.json

k6_report sellout-baseline
"$K6" run --quiet -e BASE_URL="$BASE" -e VUS="$USERS" -e REQUESTS="$REQUESTS" \
  -e SUMMARY_FILE="$PWD/.stack/baseline-summary.json" k6/baseline.js
k6_report sellout-drop
"$K6" run --quiet -e BASE_URL="$BASE" -e CAPACITY="$CAPACITY" -e REQUESTS="$REQUESTS" -e HOLD_TTL="$HOLD_TTL" \
  -e USERS_FILE="$PWD/.stack/drop-users.json" -e SUMMARY_FILE="$PWD/.stack/drop-summary.json" k6/drop.js

ran=$SECONDS
summary() { node -e "console.log(require('./.stack/drop-summary.json').$1)"; }
node -e "const d=require('./.stack/drop-summary.json'), b=require('./.stack/baseline-summary.json');
  console.log('[drop] reserve throughput ' + d.rps.toFixed(0) + ' req/s = ' + (d.rps / b.rps).toFixed(2) +
    'x the /healthz baseline (' + b.rps.toFixed(0) + ' req/s); reserve p99 ' + d.reserveMs.p99.toFixed(1) + ' ms')"
available() { curl -s "$BASE/v1/events/$(summary eventId)/availability" | node -e \
  "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).categories[0].available))"; }

fail=0
held="$(summary seatsHeld)"; left="$(available)"; unexpected="$(summary unexpected)"
echo "[drop] seats held: $held of $CAPACITY; available right after: $left; unexpected answers: $unexpected"
[ "$held" = "$CAPACITY" ] || { echo "[drop] FAIL: held $held, wanted $CAPACITY" >&2; fail=1; }
[ "$left" = 0 ] || { echo "[drop] FAIL: $left seats still available" >&2; fail=1; }
[ "$unexpected" = 0 ] || { echo "[drop] FAIL: $unexpected unexpected answers" >&2; fail=1; }

end=$((SECONDS + HOLD_TTL + 30))
until [ "$(available)" = "$CAPACITY" ]; do
  ((SECONDS < end)) || { echo "[drop] FAIL: stock not back: $(available) of $CAPACITY" >&2; fail=1; break; }
  sleep 0.2
done
[ "$fail" = 1 ] || echo "[drop] all $CAPACITY seats back on sale $((SECONDS - ran)) s after the run (TTL ${HOLD_TTL} s); reaper lateness:"
curl -s "http://127.0.0.1:$REAPER_METRICS_PORT/metrics" | grep -E '^reaper_(expired_total|lateness_seconds_(bucket\{le="(0.25|0.5|1)"|count))' || true
exit "$fail"
