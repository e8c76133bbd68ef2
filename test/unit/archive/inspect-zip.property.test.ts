import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../../src/domain/errors.js';
import { inspectZip } from '../../../src/archive/inspect-zip.js';
import { defaultZipLimits } from '../../../src/archive/limits.js';
import { fixture, openFdCount, tempDir } from './helpers.js';

const CASE_TIMEOUT_MS = 5000;

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`inspectZip hung for more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('inspectZip on randomly damaged archives', () => {
  for (const base of ['valid-flat.zip', 'valid-zip64.zip']) {
    it(`${base}: mutations give a result or a DomainError, never another error or a hang`, async () => {
      const original = await readFile(fixture(base));
      const len = original.length;
      // Half the mutations land in the last 200 bytes, where the central directory and EOCD live.
      const position = fc.oneof(fc.integer({ min: 0, max: len - 1 }), fc.integer({ min: Math.max(0, len - 200), max: len - 1 }));
      const mutation = fc.record({
        edits: fc.array(fc.tuple(position, fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0xff, 0x7f, 0x80))), {
          minLength: 1,
          maxLength: 8,
        }),
        truncateTo: fc.option(fc.integer({ min: 0, max: len }), { freq: 5 }),
      });
      const fdsBefore = await openFdCount();
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(mutation, async ({ edits, truncateTo }) => {
          const bytes = Buffer.from(original);
          for (const [at, value] of edits) bytes[at] = value;
          const damaged = truncateTo === null ? bytes : bytes.subarray(0, truncateTo);
          const path = join(dir, `mutant-${runs++}.zip`);
          await writeFile(path, damaged);
          try {
            await withTimeout(inspectZip(path, defaultZipLimits), CASE_TIMEOUT_MS);
          } catch (err) {
            if (!isDomainError(err)) throw err;
            expect(['package_invalid', 'package_too_large']).toContain(err.code);
            expect(typeof err.extra.reason).toBe('string');
          }
        }),
        { numRuns: 300 },
      );
      expect(await openFdCount()).toBe(fdsBefore);
    }, 60_000);
  }
});
