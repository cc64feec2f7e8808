// `npm run test:unit`: pure functions, no services, in seconds. `npm test` runs these too.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/unit/**/*.test.ts'], retry: 0 },
});
