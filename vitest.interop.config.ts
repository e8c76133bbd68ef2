import { defineConfig } from 'vitest/config';

// Interop checks against the real tools (openssl, pdfsig + NSS, xmlsec1); see test/interop/.
// npm script (added by the lead): "test:interop": "vitest run --config vitest.interop.config.ts"
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
