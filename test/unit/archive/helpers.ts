import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { isDomainError, type DomainError } from '../../../src/domain/errors.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'zips');
export const fixture = (file: string): string => join(FIXTURES, file);

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'seal-archive-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Await a promise that must reject with a DomainError; return that error. */
export async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a rejection').toBeDefined();
  if (!isDomainError(caught)) throw new Error(`expected a DomainError, got ${String(caught)}`, { cause: caught });
  return caught;
}

/** Open descriptors of this process (Linux). */
export async function openFdCount(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}
