import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/domain/batch.js';
import { BatchCache } from '../../../src/storage/batch-cache.js';
import { SqliteBatchStore } from '../../../src/storage/sqlite-batch-store.js';

const T0 = Date.UTC(2026, 0, 1);
const pkg = (name: string) => ({ name, path: `packages/${name}`, size: 10, sha256: 'ab'.repeat(32), uploadedAt: T0 + 1 });

describe('SqliteBatchStore: what a read returns after each write (reads are served from memory)', () => {
  let dir: string | undefined;
  let store: SqliteBatchStore | undefined;
  afterEach(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    store = dir = undefined;
  });

  it('keeps nothing a rolled-back write read: a failed upload leaves the batch as it was', () => {
    store = new SqliteBatchStore(':memory:');
    const { id } = store.createBatch({ tenant: 't', processId: 1, at: T0 });
    // Two files of one name break no constraint, but a null name does: the transaction rolls back.
    expect(() =>
      store!.recordUpload(
        id,
        'NEW',
        'UPLOADED',
        pkg('a.zip'),
        [
          { name: 'a.pdf', size: 1 },
          { name: null as unknown as string, size: 1 },
        ],
        T0,
      ),
    ).toThrow();
    expect(store.getBatch(id)).toMatchObject({ status: 'NEW', package: null, documents: [] });
  });

  it('a reopened file database reads the same batches (the file, not memory, is the truth)', () => {
    dir = mkdtempSync(join(tmpdir(), 'store-test-'));
    const file = join(dir, 'sim.db');
    store = new SqliteBatchStore(file);
    const { id } = store.createBatch({ tenant: 't', processId: 3, at: T0 });
    store.recordUpload(id, 'NEW', 'UPLOADED', pkg('x.zip'), [{ name: 'x.xml', size: 9 }], T0);
    store.setStatus(id, 'UPLOADED', 'ACCEPTED', 'accept', T0 + 5);
    const before = store.getBatch(id);
    store.close();
    store = new SqliteBatchStore(file);
    expect(store.getBatch(id)).toEqual(before);
  });
});

describe('BatchCache', () => {
  const batch = (id: number, docs: number): Batch => ({
    id,
    tenant: 't',
    processId: 1,
    status: 'NEW',
    statusSince: T0,
    createdAt: T0,
    package: null,
    result: null,
    documents: Array.from({ length: docs }, (_, i) => ({ id: i + 1, fileName: `${i}.pdf`, size: 1, signed: false, success: false, detail: null })),
  });

  it('stays within its weight (a batch and its documents), dropping the oldest first', () => {
    const cache = new BatchCache(10);
    cache.put(batch(1, 3)); // weight 4
    cache.put(batch(2, 3)); // 8
    cache.put(batch(3, 1)); // 10
    expect(cache.size).toBe(3);
    cache.put(batch(4, 0)); // 11 > 10: batch 1 goes
    expect([1, 2, 3, 4].map((id) => cache.get(id) !== undefined)).toEqual([false, true, true, true]);
  });

  it('does not keep a batch heavier than the whole cache, but still freezes it for the caller', () => {
    const cache = new BatchCache(10);
    cache.put(batch(1, 0));
    const big = cache.put(batch(2, 50));
    expect(Object.isFrozen(big)).toBe(true);
    expect(cache.get(2)).toBeUndefined();
    expect(cache.get(1)).toBeDefined();
  });

  it('replacing a batch counts its weight once', () => {
    const cache = new BatchCache(10);
    for (let i = 0; i < 100; i++) cache.put(batch(1, 5));
    cache.put(batch(2, 3));
    expect(cache.size).toBe(2);
  });
});
