# Sourced by start.sh and test.sh: installs the npm dependencies when missing or stale,
# and brings up the local stack unless the caller already points at its own services
# (REDIS_URL or REDIS_CLUSTER_NODES, DATABASE_URL, KAFKA_BROKERS). Values the caller
# set always win over the stack's.

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[prepare] installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

if [ -z "${REDIS_URL:-}${REDIS_CLUSTER_NODES:-}" ] || [ -z "${DATABASE_URL:-}" ] || [ -z "${KAFKA_BROKERS:-}" ] ||
  { [ "${STACK_REDIS_CLUSTER:-}" = 1 ] && [ -z "${REDIS_CLUSTER_NODES:-}" ]; }; then
  stack_env="$(tools/stack/stack.sh up)"
  while read -r _export assignment; do
    name="${assignment%%=*}"
    if [ -z "${!name:-}" ]; then export "${assignment?}"; fi
  done <<<"$stack_env"
fi
