// `npm run test:cluster` (tools/dev/test-cluster.sh): the integration suite against a real
// Redis Cluster (STACK_REDIS_CLUSTER=1: 3 masters + 3 replicas on loopback), then, alone,
// the cluster's own tests (TEST_CLUSTER_ONLY=1: failover kills a master, so nothing else
// may run beside it). The fault suite is left out: it runs single-node redis-servers of
// its own by design.
import { defineConfig } from 'vitest/config';

const clusterOnly = process.env.TEST_CLUSTER_ONLY === '1';

export default defineConfig({
  test: {
    include: clusterOnly ? ['test/cluster/**/*.test.ts'] : ['test/integration/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: !clusterOnly,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    retry: 0,
  },
});
