// `npm run test:cluster`: the integration suite and the cluster's own tests (failover)
// against a real Redis Cluster (STACK_REDIS_CLUSTER=1: 3 masters + 3 replicas on loopback).
// The fault suite is left out: it runs single-node redis-servers of its own by design.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts', 'test/cluster/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    retry: 0,
  },
});
