#!/usr/bin/env bash
# npm run test:cluster: the local stack with a Redis Cluster (3 masters + 3 replicas), the
# integration suite on it, then the failover tests alone (they kill a master).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export STACK_REDIS_CLUSTER=1
bash tools/dev/test.sh --config vitest.cluster.config.ts "$@"
TEST_CLUSTER_ONLY=1 bash tools/dev/test.sh --config vitest.cluster.config.ts "$@"
