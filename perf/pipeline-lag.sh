#!/usr/bin/env bash
# npm run perf:pipeline — the durable pipeline's end-to-end lag: from the api's 200 on a
# confirmation to its row in Postgres (relay → Kafka → persister), for a burst of BURST
# (5,000) confirmations, against the same lag for 20 confirmations made one at a time.
# The lag per row is updated_at (Postgres wrote the confirmed step) − confirmed_at (the
# confirm script's Redis time, just before the 200): one machine, one clock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BURST="${BURST:-5000}"
source perf/bench-lib.sh
# perUserLimit 10: BURST / 10 users, plus some.
bench_users "$((BURST / 10 + 50))" lag .stack/lag-users.json

k6_report pipeline-lag
"$K6" run --quiet -e BASE_URL="$BASE" -e BURST="$BURST" -e USERS_FILE="$PWD/.stack/lag-users.json" \
  -e SUMMARY_FILE="$PWD/.stack/lag-summary.json" k6/confirm-burst.js

field() { node -e "console.log(require('./.stack/lag-summary.json').$1)"; }
idle="$(field idleEventId)" burst="$(field burstEventId)"
count() { psql "$DATABASE_URL" -qtA -c "select count(*) from reservations where event_id = '$1' and status = 'confirmed'"; }
end=$((SECONDS + 120))
until [ "$(count "$burst")" = "$BURST" ] && [ "$(count "$idle")" = 20 ]; do
  ((SECONDS < end)) || { echo "[lag] FAIL: only $(count "$burst") of $BURST confirmations reached Postgres" >&2; exit 1; }
  sleep 0.5
done
psql "$DATABASE_URL" -q -c "
  select case event_id when '$idle' then 'idle (baseline)' else 'burst' end as run,
         count(*) as confirmations,
         round(percentile_cont(0.5) within group (order by ms)::numeric, 1) as p50_ms,
         round(percentile_cont(0.99) within group (order by ms)::numeric, 1) as p99_ms,
         round(max(ms)::numeric, 1) as max_ms
  from (select event_id, extract(epoch from (updated_at - confirmed_at)) * 1000 as ms
        from reservations where event_id in ('$idle', '$burst') and status = 'confirmed') t
  group by event_id order by run desc"
