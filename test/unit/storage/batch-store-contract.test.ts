import { describe, expect, it } from 'vitest';
import type { BatchStore } from '../../../src/domain/batch-store.js';
import { SqliteBatchStore } from '../../../src/storage/sqlite-batch-store.js';
import { MemoryBatchStore } from '../../helpers/memory-ports.js';

const T0 = Date.UTC(2026, 0, 1);
const pkg = (name: string, size = 10) => ({ name, path: `packages/${name}`, size, sha256: 'ab'.repeat(32), uploadedAt: T0 + 1 });

/**
 * The BatchStore contract, held against every store: the SQLite store the simulator runs on, and
 * the in-memory one the domain's unit suite runs on (so that suite's results carry over).
 */
describe.each([
  ['SqliteBatchStore', () => new SqliteBatchStore(':memory:')],
  ['MemoryBatchStore', () => new MemoryBatchStore()],
] as [string, () => BatchStore][])('BatchStore contract: %s', (_name, make) => {
  it('sees every write at once: status moves, a refused move, uploads, results and purges', () => {
    const store = make();
    const created = store.createBatch({ tenant: 't', processId: 1, at: T0 });
    expect(store.getBatch(created.id)).toMatchObject({ status: 'NEW', statusSince: T0, createdAt: T0, documents: [], package: null, result: null });

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
    expect(up).toEqual({ ok: true, previous: null, packageId: expect.any(Number) });
    const uploaded = store.getBatch(created.id)!;
    expect(uploaded).toMatchObject({ status: 'UPLOADED', statusSince: T0 + 1, package: { name: 'a.zip', path: 'packages/a.zip', size: 10 } });
    expect(uploaded.documents.map((d) => [d.fileName, d.size, d.signed, d.success, d.detail])).toEqual([
      ['a.pdf', 3, false, false, null],
      ['b.pdf', 4, false, false, null],
    ]);

    expect(store.setStatus(created.id, 'NEW', 'ACCEPTED', 'accept', T0 + 2)).toEqual({ ok: false, current: 'UPLOADED' });
    expect(store.setStatus(created.id, 'UPLOADED', 'ACCEPTED', 'accept', T0 + 2)).toEqual({ ok: true });
    expect(store.getBatch(created.id)).toMatchObject({ status: 'ACCEPTED', statusSince: T0 + 2 });
    expect(store.setStatus(999, 'NEW', 'UPLOADED', 'upload', T0)).toEqual({ ok: false, current: null });

    const result = { path: 'results/1.zip', size: 20, sha256: 'cd'.repeat(32), at: T0 + 3 };
    expect(store.recordResult(created.id, result, [{ fileName: 'a.pdf', signed: true, success: true, detail: 'sealed' }])).toBe(true);
    const done = store.getBatch(created.id)!;
    expect(done.result).toEqual(result);
    expect(done.documents.map((d) => [d.fileName, d.signed, d.success, d.detail])).toEqual([
      ['a.pdf', true, true, 'sealed'],
      ['b.pdf', false, false, null],
    ]);
    expect(store.referencedPaths()).toEqual(new Set(['packages/a.zip', 'results/1.zip']));
    expect(store.transitions(created.id).map((t) => [t.from, t.to, t.event, t.at])).toEqual([
      [null, 'NEW', 'create', T0],
      ['NEW', 'UPLOADED', 'upload', T0 + 1],
      ['UPLOADED', 'ACCEPTED', 'accept', T0 + 2],
    ]);

    expect(store.purgeBatch(created.id)).toBe(true);
    expect(store.purgeBatch(created.id)).toBe(false);
    expect(store.getBatch(created.id)).toBeUndefined();
    expect(store.transitions(created.id)).toEqual([]);
    const other = store.createBatch({ tenant: 'u', processId: 1, at: T0 });
    store.getBatch(other.id); // read first: a store that keeps what it read must drop it on the purge
    expect(store.purgeTenant('u').map((b) => b.id)).toEqual([other.id]);
    expect(store.getBatch(other.id)).toBeUndefined();
    store.close();
  });

  it('a second upload replaces the package and its files, keeps the status time, and hands back the package it replaced', () => {
    const store = make();
    const { id } = store.createBatch({ tenant: 't', processId: 1, at: T0 });
    const first = store.recordUpload(id, 'NEW', 'UPLOADED', pkg('a.zip'), [{ name: 'a.pdf', size: 3 }], T0 + 1);
    const second = store.recordUpload(id, 'UPLOADED', 'UPLOADED', pkg('b.zip'), [{ name: 'b.pdf', size: 4 }], T0 + 5);
    expect(second.ok && second.previous).toMatchObject({ name: 'a.zip', id: first.ok ? first.packageId : -1 });
    expect(store.getBatch(id)).toMatchObject({ status: 'UPLOADED', statusSince: T0 + 1, package: { name: 'b.zip' }, documents: [{ fileName: 'b.pdf' }] });
    expect(store.recordUpload(id, 'NEW', 'UPLOADED', pkg('c.zip'), [], T0 + 6)).toEqual({ ok: false, current: 'UPLOADED' });
    store.close();
  });

  it('hands out frozen batches, so no caller can change what the next caller reads', () => {
    const store = make();
    const { id } = store.createBatch({ tenant: 't', processId: 1, at: T0 });
    store.recordUpload(id, 'NEW', 'UPLOADED', pkg('a.zip'), [{ name: 'a.pdf', size: 3 }], T0);
    const b = store.getBatch(id)!;
    expect(() => {
      (b as { status: string }).status = 'CLOSED';
    }).toThrow(TypeError);
    expect(() => {
      (b.documents[0] as { signed: boolean }).signed = true;
    }).toThrow(TypeError);
    expect(() => b.documents.push(b.documents[0]!)).toThrow(TypeError);
    expect(store.getBatch(id)).toMatchObject({ status: 'UPLOADED', documents: [{ signed: false }] });
    store.close();
  });

  it('lists newest first, finds batches by status oldest first, and counts what a tenant holds (DELETED batches hold nothing)', () => {
    const store = make();
    const a = store.createBatch({ tenant: 't', processId: 1, at: T0 }).id;
    const b = store.createBatch({ tenant: 'u', processId: 1, at: T0 }).id;
    const c = store.createBatch({ tenant: 't', processId: 1, at: T0 }).id;
    expect(store.listBatches({}).map((x) => x.id)).toEqual([c, b, a]);
    expect(store.listBatches({ tenant: 't', limit: 1 }).map((x) => x.id)).toEqual([c]);
    expect(store.countBatches()).toBe(3);
    store.recordUpload(a, 'NEW', 'UPLOADED', pkg('a.zip', 100), [{ name: 'a.pdf', size: 3 }], T0);
    store.recordUpload(c, 'NEW', 'UPLOADED', pkg('c.zip', 50), [{ name: 'c.pdf', size: 3 }], T0);
    store.setStatus(c, 'UPLOADED', 'ACCEPTED', 'accept', T0);
    store.setStatus(a, 'UPLOADED', 'ACCEPTED', 'accept', T0);
    expect(store.idsInStatus(['ACCEPTED', 'READY'])).toEqual([a, c]);
    expect(store.idsInStatus([])).toEqual([]);
    store.recordResult(a, { path: 'results/a.zip', size: 7, sha256: 'ef'.repeat(32), at: T0 }, []);
    expect(store.tenantUsage('t')).toEqual({ batches: 2, bytes: 157 });
    store.setStatus(c, 'ACCEPTED', 'DELETED', 'delete', T0);
    expect(store.tenantUsage('t')).toEqual({ batches: 1, bytes: 107 });
    expect(store.recordResult(c, { path: 'results/c.zip', size: 1, sha256: 'ef'.repeat(32), at: T0 }, [])).toBe(false);
    expect(store.getBatch(c)!.result).toBeNull();
    expect(store.tenantUsage('nobody')).toEqual({ batches: 0, bytes: 0 });
    store.close();
  });

  it('counts the attempts of files started and not ended, and forgets them when the result is recorded', () => {
    const store = make();
    const { id } = store.createBatch({ tenant: 't', processId: 1, at: T0 });
    store.recordUpload(
      id,
      'NEW',
      'UPLOADED',
      pkg('a.zip'),
      [
        { name: 'a.pdf', size: 3 },
        { name: 'b.pdf', size: 3 },
      ],
      T0,
    );
    store.recordAttempts(id, ['a.pdf', 'b.pdf'], []);
    store.recordAttempts(id, ['a.pdf'], ['b.pdf']);
    expect(store.fileAttempts(id)).toEqual(new Map([['a.pdf', 2]]));
    store.recordResult(id, { path: 'results/a.zip', size: 1, sha256: 'ef'.repeat(32), at: T0 }, [
      { fileName: 'a.pdf', signed: false, success: false, detail: 'gave up' },
    ]);
    expect(store.fileAttempts(id)).toEqual(new Map());
    store.close();
  });

  it('keeps each tenant clock, and forgets one tenant or all', () => {
    const store = make();
    store.saveClock({ tenant: 't', anchorReal: 1, anchorVirtual: 2, speed: 0 });
    store.saveClock({ tenant: 'u', anchorReal: 1, anchorVirtual: 3, speed: 1 });
    store.saveClock({ tenant: 't', anchorReal: 1, anchorVirtual: 4, speed: 60 });
    expect(store.loadClocks().sort((x, y) => x.tenant.localeCompare(y.tenant))).toEqual([
      { tenant: 't', anchorReal: 1, anchorVirtual: 4, speed: 60 },
      { tenant: 'u', anchorReal: 1, anchorVirtual: 3, speed: 1 },
    ]);
    store.deleteClocks('t');
    expect(store.loadClocks().map((c) => c.tenant)).toEqual(['u']);
    store.deleteClocks(undefined);
    expect(store.loadClocks()).toEqual([]);
    store.close();
  });
});
