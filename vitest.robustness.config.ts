import { defineConfig } from 'vitest/config';

// Long forms of the robustness tests: fuzzing, crash safety, load, hostile documents. See test/robustness/.
// Run by `npm run fuzz`, `test:crash`, `test:load` and `test:hostile` (package.json).
export default defineConfig({
  test: {
    include: ['test/robustness/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: each one loads the machine on purpose.
    fileParallelism: false,
    // --expose-gc: the fuzz test's memory bound is read after a full collection.
    execArgv: ['--expose-gc'],
  },
});
