import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(here, '..', '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');

describe('the vendor bodies are typed by their schemas', () => {
  // schema-drift.types.ts holds presenters, examples and a route that drift from their schemas,
  // each marked @ts-expect-error: tsc passes only while the compiler refuses every one of them.
  it('tsc refuses a presenter, an example or a reply that drifts from its schema', async () => {
    const run = await promisify(execFile)(process.execPath, [tsc, '-p', join(here, 'tsconfig.drift.json')]).then(
      () => ({ code: 0, out: '' }),
      (e: { code?: number; stdout?: string }) => ({ code: e.code ?? 1, out: e.stdout ?? '' }),
    );
    expect(run.out).toBe('');
    expect(run.code).toBe(0);
  }, 120_000);
});
