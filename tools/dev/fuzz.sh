#!/usr/bin/env bash
# npm run test:fuzz: Schemathesis against the engine's OpenAPI document. Generated requests,
# valid and invalid, with an admin's and a user's token; it fails on any 5xx, on any
# response that breaks the document (status, content type, headers, schema), a schema-valid
# request refused as invalid or an invalid one accepted, an unsupported method not answered
# 405, and every other Schemathesis check (tools/dev/fuzz/schemathesis.toml). The rule the
# document states only in words is told to the fuzzer by tools/dev/fuzz/hooks.py.
#
# Starts its own engine (api + worker + reaper under the supervisor, on free ports, in a
# Redis/Kafka namespace of its own) on the local stack, or fuzzes FUZZ_URL when given
# (then FUZZ_ADMIN_EMAIL and FUZZ_ADMIN_PASSWORD name an admin of it).
# Bounded: FUZZ_MAX_EXAMPLES (25) cases per operation and phase, FUZZ_SEED (fixed, so a run
# is repeatable; set another to explore). Schemathesis is pinned and installed into a
# Python venv under .stack/ the first time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$(pwd)"

SCHEMATHESIS_VERSION=4.32.5
VENV=.stack/fuzz-venv
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-25}"
SEED="${FUZZ_SEED:-16}"
OUT=.stack/fuzz
mkdir -p "$OUT"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  echo "[fuzz] installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

engine=""
stop_engine() {
  if [ -n "$engine" ] && kill -0 "$engine" 2>/dev/null; then
    kill -TERM "$engine"
    wait "$engine" || true
  fi
}
trap stop_engine EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

if [ -n "${FUZZ_URL:-}" ]; then
  url="${FUZZ_URL%/}"
  admin_email="${FUZZ_ADMIN_EMAIL:?set FUZZ_ADMIN_EMAIL with FUZZ_URL}"
  admin_password="${FUZZ_ADMIN_PASSWORD:?set FUZZ_ADMIN_PASSWORD with FUZZ_URL}"
else
  source tools/stack/prepare.sh
  ns="fuzz$(date +%s)$$"
  export REDIS_KEY_PREFIX="$ns:" KAFKA_TOPIC_PREFIX="$ns."
  export PORT="$(free_port)" API_METRICS_PORT="$(free_port)"
  export WORKER_METRICS_PORT="$(free_port)" REAPER_METRICS_PORT="$(free_port)"
  export ADMIN_EMAIL="admin-$ns@example.test" ADMIN_PASSWORD="fuzz admin password $ns"
  # Refusals that are about load, not input, are off: the fuzzer is the only client.
  export RATE_LIMIT_PER_IP=0 RATE_LIMIT_PER_USER=0 LOGIN_FAILURES_PER_MINUTE=1000000
  export SHED_MAX_IN_FLIGHT=0 SHED_MAX_EVENT_LOOP_DELAY_MS=0 BCRYPT_COST=4 LOG_LEVEL="${LOG_LEVEL:-warn}"
  node --import tsx tools/dev/migrate.ts
  node tools/dev/supervisor.mjs >"$OUT/engine.log" 2>&1 &
  engine=$!
  url="http://127.0.0.1:$PORT"
  admin_email="$ADMIN_EMAIL"
  admin_password="$ADMIN_PASSWORD"
  for _ in $(seq 1 120); do
    if node -e "fetch('$url/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then break; fi
    kill -0 "$engine" 2>/dev/null || { cat "$OUT/engine.log" >&2; exit 1; }
    sleep 0.5
  done
fi

# An admin's token and a fresh user's token, through the API itself.
tokens="$(URL="$url" EMAIL="$admin_email" PASSWORD="$admin_password" node -e '
  const { URL: url, EMAIL, PASSWORD } = process.env;
  const post = async (path, body) => {
    const res = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok && res.status !== 409) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  (async () => {
    const admin = await post("/v1/auth/login", { email: EMAIL, password: PASSWORD });
    const user = { email: `fan-${Date.now()}@example.test`, password: "fuzz fan password" };
    await post("/v1/auth/register", user);
    const fan = await post("/v1/auth/login", user);
    console.log(admin.accessToken, fan.accessToken);
  })().catch((err) => { console.error(err.message); process.exit(1); });
')"
read -r admin_token user_token <<<"$tokens"

# One worker: with two, Python 3.11 before 3.11.8 can fail a case with "AST constructor
# recursion depth mismatch" (CPython gh-106905, two threads compiling at once), a failure
# of the fuzzer, not of the engine.
run() {
  local who="$1" token="$2"; shift 2
  echo "[fuzz] $who: $MAX_EXAMPLES examples per operation, seed $SEED, against $url" >&2
  # From .stack/fuzz: Schemathesis keeps its cache (.schemathesis/) in its working directory.
  (cd "$OUT" && SCHEMATHESIS_HOOKS="$root/tools/dev/fuzz/hooks.py" "$root/$VENV/bin/schemathesis" --config-file "$root/tools/dev/fuzz/schemathesis.toml" \
    run "$url/openapi.json" \
    --header "Authorization: Bearer $token" \
    --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 1 \
    --request-timeout 20 --output-truncate true \
    --exclude-path '/v1/admin/events/{eventId}/rebuild' \
    --exclude-path '/v1/events/{eventId}/availability/stream' \
    --report junit --report-junit-path "$who.junit.xml" \
    "$@") 2>&1 | sed -u "s/^/[fuzz $who] /"
  # Each line is tagged with its pass: Schemathesis closes with a pytest-style banner
  # ("=== 3 warnings in 7.59s ===") that a log reader would take for a pytest run of no test.
}

status=0
run admin "$admin_token" || status=1
# The user's pass leaves out the admin routes (the admin's covered them; for a user they
# are 403 whatever the input).
run user "$user_token" --exclude-tag admin || status=1
if [ "$status" -ne 0 ]; then
  echo "[fuzz] failures above; engine log: $OUT/engine.log" >&2
fi
exit "$status"
