// `npm run test:faults`: the Redis fault suite (issue 14) alone. Each file runs its own
// redis-server and engine processes against the shared Postgres and Kafka; one file at a
// time, so fence and outage timings are not skewed by another surge on the same cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 420_000,
    hookTimeout: 120_000,
    retry: 0,
  },
});
