import { defineConfig } from 'vitest/config';

// Long forms of the robustness tests (issue 7): fuzzing, crash safety, load. See test/robustness/.
// npm scripts (added by the lead):
//   "fuzz":      "FUZZ_RUNS=10000 vitest run --config vitest.robustness.config.ts test/robustness/fuzz"
//   "test:crash": "npm run -s build && CRASH_ROUNDS=20 vitest run --config vitest.robustness.config.ts test/robustness/crash"
//   "test:load": "npm run -s build && LOAD_FULL=1 vitest run --config vitest.robustness.config.ts test/robustness/load"
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
