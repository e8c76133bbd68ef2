import { defineConfig } from 'vitest/config';

// npm run test:consumer: the package installed into fresh projects (npm registry access needed).
export default defineConfig({
  test: {
    include: ['test/consumer/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
