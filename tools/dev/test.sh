#!/usr/bin/env bash
# npm test: brings up what the tests need (the local stack, unless REDIS_URL, DATABASE_URL
# and KAFKA_BROKERS are given, or Docker is there for testcontainers) and runs every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

docker_engine() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

if docker_engine && [ -z "${REDIS_URL:-}${DATABASE_URL:-}${KAFKA_BROKERS:-}" ] && [ "${USE_LOCAL_STACK:-}" != 1 ]; then
  # Developers with Docker: vitest's global setup starts testcontainers instead.
  [ -d node_modules ] || npm ci --no-audit --no-fund
else
  source tools/stack/prepare.sh
fi
exec npx vitest run "$@"
