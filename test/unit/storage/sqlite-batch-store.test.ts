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

  it('sees every write at once: status moves, a refused move, uploads, results and purges', () => {
    store = new SqliteBatchStore(':memory:');
    const created = store.createBatch({ tenant: 't', processId: 1, at: T0 });
    expect(store.getBatch(created.id)).toMatchObject({ status: 'NEW', documents: [], package: null });

    const up = store.recordUpload(
      created.id,
      'NEW',
      'UPLOADED',
      pkg('a.zip'),
      [
        { name: 'a.pdf', size: 3 },
        { name: 'b.pdf', size: 4 },
      ],
      T0 + 1,
    );
    expect(up.ok).toBe(true);
    const uploaded = store.getBatch(created.id)!;
    expect(uploaded.status).toBe('UPLOADED');
    expect(uploaded.package?.name).toBe('a.zip');
    expect(uploaded.documents.map((d) => d.fileName)).toEqual(['a.pdf', 'b.pdf']);

    expect(store.setStatus(created.id, 'NEW', 'ACCEPTED', 'accept', T0 + 2)).toEqual({ ok: false, current: 'UPLOADED' });
    expect(store.getBatch(created.id)!.status).toBe('UPLOADED');
    expect(store.setStatus(created.id, 'UPLOADED', 'ACCEPTED', 'accept', T0 + 2)).toEqual({ ok: true });
    expect(store.getBatch(created.id)).toMatchObject({ status: 'ACCEPTED', statusSince: T0 + 2 });

    const result = { path: 'results/1.zip', size: 20, sha256: 'cd'.repeat(32), at: T0 + 3 };
    expect(store.recordResult(created.id, result, [{ fileName: 'a.pdf', signed: true, success: true, detail: 'sealed' }])).toBe(true);
    const done = store.getBatch(created.id)!;
    expect(done.result).toEqual(result);
    expect(done.documents.map((d) => [d.fileName, d.signed, d.success])).toEqual([
      ['a.pdf', true, true],
      ['b.pdf', false, false],
    ]);

    expect(store.purgeBatch(created.id)).toBe(true);
    expect(store.getBatch(created.id)).toBeUndefined();
    const other = store.createBatch({ tenant: 'u', processId: 1, at: T0 });
    store.getBatch(other.id);
    expect(store.purgeTenant('u').map((b) => b.id)).toEqual([other.id]);
    expect(store.getBatch(other.id)).toBeUndefined();
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
