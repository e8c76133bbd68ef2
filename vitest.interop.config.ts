import { defineConfig } from 'vitest/config';

// Interop checks against the real tools (openssl, pdfsig + NSS, xmlsec1); see test/interop/.
// Run by `npm run test:interop`.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
