// `npm run test:unit`: pure functions, no services, in seconds. `npm test` runs these too.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    retry: 0,
    // The files share one module graph instead of importing zod, Hono and the api again
    // each (five times faster on two cores): they hold no services, and put back what they
    // change (fake timers, Error.stackTraceLimit).
    isolate: false,
  },
});
