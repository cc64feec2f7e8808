import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Needs a Redis Cluster: `npm run test:cluster` runs it (vitest.cluster.config.ts).
    exclude: ['test/cluster/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    // Files isolate themselves (own ids, topics, databases, ports), so they run in parallel.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // A flaky test must fail, not pass on a second try.
    retry: 0,
  },
});
