// `npm run perf:http`: micro-benchmarks. No services: each bench brings what it measures.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    benchmark: { include: ['perf/**/*.bench.ts'] },
  },
});
