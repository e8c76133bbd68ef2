import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: drives the API explorer (/docs) of a real simulator process in headless
 * Chromium (Debian's /usr/bin/chromium via playwright-core; nothing is downloaded). Screenshots go
 * to test-artifacts/.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
