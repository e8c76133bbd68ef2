import { PassThrough, Readable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/domain/batch.js';
import { createBatchDomain, type BatchDomainDeps } from '../../../src/domain/batch-domain.js';
import type { ProgressHooks } from '../../../src/domain/batch-progression.js';
import { ManualClock } from '../../../src/domain/clock.js';
import { DomainError } from '../../../src/domain/errors.js';
import type { ProcessDef } from '../../../src/domain/process.js';
import { ProcessCatalog } from '../../../src/domain/processes.js';
import { timingProfile } from '../../../src/domain/timing.js';
import { ManualWorkQueue, MemoryBatchStore, MemoryBlobStore, MemoryIntake, packageBody } from '../../helpers/memory-ports.js';

/**
 * The batch domain driven over in-memory ports: no SQLite, no files, no HTTP, no worker. What a
 * route or the worker would do is a method call here; time moves with a manual clock.
 */

const PROCESS: ProcessDef = {
  id: 1,
  name: 'PAdES',
  operation: 'seal',
  format: 'PAdES',
  level: 'B-B',
  packaging: 'enveloped',
  acceptedFileTypes: ['.pdf'],
  providerSettingsId: '1',
  tsaId: '1',
};

function domain(overrides: Partial<BatchDomainDeps> = {}) {
  const clock = new ManualClock('2026-01-01T12:00:00Z');
  const store = new MemoryBatchStore();
  const blobs = new MemoryBlobStore();
  const intake = new MemoryIntake(blobs, 1000);
  const parts = createBatchDomain(
    {
      store,
      blobs,
      intake,
      processes: new ProcessCatalog([PROCESS]),
      clock,
      timing: timingProfile('fast'),
      log: pino({ level: 'silent' }),
      ...overrides,
    },
    () => new ManualWorkQueue(),
  );
  /** What the worker does for a batch: takes its work, records a result, and leaves the queue. */
  const finish = async (batchId: number, outcome: { success: boolean } = { success: true }) => {
    const item = parts.ledger.workFor(batchId);
    if (!item) throw new Error(`no work for batch ${batchId}`);
    const ref = blobs.newRef('result', batchId);
    const bytes = Buffer.from(`sealed ${item.packageRef}`);
    blobs.put(ref, bytes);
    const kept = await parts.ledger.completeWork(
      batchId,
      { ref, size: bytes.length, sha256: 'ab'.repeat(32) },
      item.batch.documents.map((d) => ({ fileName: d.fileName, signed: outcome.success, success: outcome.success, detail: null })),
    );
    parts.work.settle(batchId);
    return { kept, ref };
  };
  return { ...parts, queue: parts.work, clock, store, blobs, finish, T: 'tenant-a' };
}

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<DomainError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

async function read(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}

describe('batch domain over in-memory ports', () => {
  it('takes a batch through its whole lifecycle: NEW, UPLOADED, ACCEPTED … CLOSED, download, DELETED, with its blobs gone', async () => {
    const d = domain();
    const created = d.service.createBatch(d.T, 1);
    expect(created.status).toBe('NEW');

    const { batch: uploaded, package: pkg } = await d.service.upload(d.T, created.id, packageBody('a.pdf', 'b.pdf'), 'mine.zip');
    expect(uploaded.status).toBe('UPLOADED');
    expect(pkg).toMatchObject({ name: 'mine.zip', id: expect.any(Number) });
    expect(uploaded.documents.map((x) => x.fileName)).toEqual(['a.pdf', 'b.pdf']);
    expect(d.blobs.blobs.has(pkg.path)).toBe(true);

    const accepted = d.service.accept(d.T, created.id);
    expect(accepted.status).toBe('ACCEPTED');
    expect(d.queue.queued).toEqual([created.id]);

    // The fast profile: ACCEPTED 400 ms, READY 400 ms; IN_PROGRESS waits for the work.
    d.clock.advance(399);
    expect(d.service.status(d.T, created.id).status).toBe('ACCEPTED');
    d.clock.advance(1);
    expect(d.service.status(d.T, created.id).status).toBe('READY');
    d.clock.advance(10_000);
    expect(d.service.status(d.T, created.id).status).toBe('IN_PROGRESS');
    expect(await refusal(d.service.openResult(d.T, created.id))).toMatchObject({ code: 'wrong_state' });

    const { kept, ref } = await d.finish(created.id);
    expect(kept).toBe(true);
    // IN_PROGRESS's 600 ms are long past: the recorded work moves it on at once; FINISHING lasts 400 ms.
    const finishing = d.service.status(d.T, created.id);
    expect(finishing).toMatchObject({ status: 'FINISHING', result: { path: ref } });
    d.clock.advance(399);
    expect(d.service.status(d.T, created.id).status).toBe('FINISHING');
    d.clock.advance(1);
    expect(d.service.status(d.T, created.id).status).toBe('CLOSED');
    expect(d.service.status(d.T, created.id).documents.every((x) => x.signed && x.success)).toBe(true);

    const result = await d.service.openResult(d.T, created.id);
    expect(result.fileName).toBe(`batch-${created.id}-signed.zip`);
    expect(await read(result.stream)).toBe(`sealed ${pkg.path}`);

    const deleted = await d.service.delete(d.T, created.id);
    expect(deleted.status).toBe('DELETED');
    expect(d.queue.cancelled).toEqual([created.id]);
    expect(d.blobs.blobs.size).toBe(0);
    expect(d.service.status(d.T, created.id).status).toBe('DELETED');
    expect(await refusal(d.service.delete(d.T, created.id))).toMatchObject({ code: 'wrong_state' });
    expect(d.control.transitions(created.id).map((t) => `${t.to}:${t.event}`)).toEqual([
      'NEW:create',
      'UPLOADED:upload',
      'ACCEPTED:accept',
      'READY:advance',
      'IN_PROGRESS:advance',
      'FINISHING:advance',
      'CLOSED:advance',
      'DELETED:delete',
    ]);
  });

  it('stamps each automatic step at its due time, however late the batch is read', async () => {
    const d = domain();
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    d.service.accept(d.T, id);
    const acceptedAt = d.clock.now().getTime();
    d.clock.advance(5_000);
    await d.finish(id);
    const doneAt = d.clock.now().getTime();
    d.clock.advance(60_000);
    expect(d.service.status(d.T, id).status).toBe('CLOSED');
    expect(
      d.control
        .transitions(id)
        .slice(3)
        .map((t) => [t.to, t.at]),
    ).toEqual([
      ['READY', acceptedAt + 400],
      ['IN_PROGRESS', acceptedAt + 800],
      ['FINISHING', doneAt],
      ['CLOSED', doneAt + 400],
    ]);
  });

  it('refuses an upload that does not fit, or comes at the wrong time, leaving the batch and the blobs as they were', async () => {
    const d = domain({ quotas: { maxBatches: 10, maxStoredBytes: 2_000 } });
    const { id } = d.service.createBatch(d.T, 1);
    const before = d.store.getBatch(id);

    expect(await refusal(d.service.upload(d.T, id, Readable.from([Buffer.alloc(1_500)]), undefined))).toMatchObject({ code: 'package_too_large' });
    expect(await refusal(d.service.upload(d.T, id, Readable.from([Buffer.from('not a package')]), undefined))).toMatchObject({ code: 'package_invalid' });
    expect(d.store.getBatch(id)).toEqual(before);
    expect(d.blobs.blobs.size).toBe(0);

    expect(await refusal(d.service.upload(d.T, 999, packageBody('a.pdf'), undefined))).toMatchObject({ code: 'batch_not_found' });
    expect(await refusal(d.service.upload('tenant-b', id, packageBody('a.pdf'), undefined))).toMatchObject({ code: 'batch_not_found' });

    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    d.service.accept(d.T, id);
    // Refused before a byte is read: the body is left as it came.
    const body = packageBody('late.pdf');
    expect(await refusal(d.service.upload(d.T, id, body, undefined))).toMatchObject({ code: 'wrong_state', extra: { batchStatus: 'ACCEPTED' } });
    expect(body.readableDidRead).toBe(false);
    expect(d.blobs.blobs.size).toBe(1);
  });

  it("names the tenant's storage, not the upload limit, when the tenant's room is what an upload passes", async () => {
    const d = domain({ quotas: { maxBatches: 10, maxStoredBytes: 600 } });
    const first = d.service.createBatch(d.T, 1).id;
    await d.service.upload(d.T, first, Readable.from([Buffer.from(JSON.stringify({ files: [{ name: 'a.pdf', size: 1 }], pad: 'x'.repeat(400) }))]), undefined);
    const second = d.service.createBatch(d.T, 1).id;
    const refused = await refusal(d.service.upload(d.T, second, Readable.from([Buffer.alloc(300)]), undefined));
    expect(refused).toMatchObject({ code: 'storage_full', extra: { setting: 'SEAL_SIM_MAX_STORED_BYTES_PER_TENANT' } });
    // Another tenant's room is its own.
    const theirs = d.service.createBatch('tenant-b', 1).id;
    expect((await d.service.upload('tenant-b', theirs, packageBody('a.pdf'), undefined)).batch.status).toBe('UPLOADED');
  });

  it("bounds one tenant's uploads in flight, and frees the place when one ends", async () => {
    const d = domain({ maxUploadsPerTenant: 1 });
    const a = d.service.createBatch(d.T, 1).id;
    const b = d.service.createBatch(d.T, 1).id;
    const slow = new PassThrough();
    const pending = d.service.upload(d.T, a, slow, undefined);
    expect(await refusal(d.service.upload(d.T, b, packageBody('b.pdf'), undefined))).toMatchObject({ code: 'too_many_uploads', extra: { limit: 1 } });
    // Another tenant is not held up.
    const theirs = d.service.createBatch('tenant-b', 1).id;
    await d.service.upload('tenant-b', theirs, packageBody('x.pdf'), undefined);
    slow.end(JSON.stringify({ files: [{ name: 'a.pdf', size: 1 }] }));
    await pending;
    expect((await d.service.upload(d.T, b, packageBody('b.pdf'), undefined)).batch.status).toBe('UPLOADED');
  });

  it('lets one of two racing accepts win: the loser gets 409 and the work is queued once', async () => {
    const d = domain();
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    // The second accept runs between the first one's read and its compare-and-set.
    const setStatus = d.store.setStatus.bind(d.store);
    let raced = false;
    d.store.setStatus = (...args) => {
      if (!raced && args[3] === 'accept') {
        raced = true;
        expect(d.service.accept(d.T, id).status).toBe('ACCEPTED');
      }
      return setStatus(...args);
    };
    expect(await refusal(() => d.service.accept(d.T, id))).toMatchObject({ code: 'wrong_state', extra: { batchStatus: 'ACCEPTED' } });
    expect(d.queue.queued).toEqual([id]);
    expect(d.control.transitions(id).filter((t) => t.event === 'accept')).toHaveLength(1);
    expect(await refusal(() => d.service.accept(d.T, id))).toMatchObject({ code: 'wrong_state' });
  });

  it('drops an upload that finishes after the batch was accepted, keeping the package that was accepted', async () => {
    const d = domain();
    const { id } = d.service.createBatch(d.T, 1);
    const { package: first } = await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    const slow = new PassThrough();
    const replacing = d.service.upload(d.T, id, slow, undefined);
    d.service.accept(d.T, id);
    slow.end(JSON.stringify({ files: [{ name: 'b.pdf', size: 1 }] }));
    expect(await refusal(replacing)).toMatchObject({ code: 'wrong_state', extra: { batchStatus: 'ACCEPTED' } });
    const batch = d.service.status(d.T, id);
    expect(batch.package?.path).toBe(first.path);
    expect(batch.documents.map((x) => x.fileName)).toEqual(['a.pdf']);
    expect([...d.blobs.blobs.keys()]).toEqual([first.path]);
  });

  it('refuses accept before an upload, and shows statuses by the status table it is given', async () => {
    const d = domain({ showStatus: (s) => (s === 'UPLOADED' ? 'NEW' : s) });
    const { id } = d.service.createBatch(d.T, 1);
    expect(await refusal(() => d.service.accept(d.T, id))).toMatchObject({ code: 'wrong_state', extra: { batchStatus: 'NEW' } });
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    const accepted = d.service.accept(d.T, id);
    expect(await refusal(d.service.upload(d.T, id, packageBody('a.pdf'), undefined))).toMatchObject({ extra: { batchStatus: 'ACCEPTED' } });
    expect(accepted.status).toBe('ACCEPTED');
    expect(d.queue.queued).toEqual([id]);
  });

  it('throws away a result that arrives after the batch was deleted', async () => {
    const d = domain();
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    d.service.accept(d.T, id);
    const item = d.ledger.workFor(id)!;
    await d.service.delete(d.T, id);
    expect(d.ledger.workFor(id)).toBeNull();
    const ref = d.blobs.newRef('result', id);
    d.blobs.put(ref, Buffer.from('late'));
    expect(await d.ledger.completeWork(id, { ref, size: 4, sha256: 'ab'.repeat(32) }, [{ fileName: 'a.pdf', signed: true, success: true, detail: null }])).toBe(
      false,
    );
    expect(d.blobs.blobs.size).toBe(0);
    expect(d.service.status(d.T, id)).toMatchObject({ status: 'DELETED', result: null });
    expect(item.packageRef).toBeTruthy();
  });

  it('expires a CLOSED batch when the progress hooks say so, removing its blobs', async () => {
    const settled: number[] = [];
    const hooks: ProgressHooks = {
      holdUntil: () => null,
      expireAt: (b: Batch) => b.statusSince + 1_000,
      watched: () => [],
      settled: (id) => settled.push(id),
    };
    const d = domain({ timing: timingProfile('instant'), progressHooks: hooks });
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    d.service.accept(d.T, id);
    await d.finish(id);
    expect(d.service.status(d.T, id).status).toBe('CLOSED');
    d.clock.advance(1_000);
    d.progression.tick(); // nothing in processing, nothing watched: a read is what expires it
    expect(d.store.getBatch(id)!.status).toBe('CLOSED');
    expect(d.service.status(d.T, id).status).toBe('DELETED');
    await new Promise((resolve) => setImmediate(resolve));
    expect(d.control.transitions(id).at(-1)).toMatchObject({ to: 'DELETED', event: 'expire' });
    expect(settled).toEqual([id]);
    expect(d.blobs.blobs.size).toBe(0);
  });

  it('holds a batch where a stall hook says, then stamps the step when the hold ends', async () => {
    const d = domain({
      timing: timingProfile('instant'),
      progressHooks: { holdUntil: (b, due) => (b.status === 'READY' ? due + 5_000 : null), expireAt: () => null, watched: () => [], settled: () => {} },
    });
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    const at = d.service.accept(d.T, id).statusSince;
    d.progression.tick();
    expect(d.store.getBatch(id)!.status).toBe('READY');
    d.clock.advance(5_000);
    d.progression.tick();
    expect(d.store.getBatch(id)).toMatchObject({ status: 'IN_PROGRESS', statusSince: at + 5_000 });
  });

  it('control: advance moves a batch on now (accepting it, waiting for its work), and forget and purge remove batches with their blobs', async () => {
    const d = domain({ timing: timingProfile('manual') });
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    expect((await d.control.advance(id)).status).toBe('ACCEPTED');
    expect(d.queue.queued).toEqual([id]);
    expect((await d.control.advance(id, { tenant: d.T, to: 'READY' })).status).toBe('READY');
    // To CLOSED: it waits at IN_PROGRESS until the work is recorded.
    const closing = d.control.advance(id, { to: 'CLOSED' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(d.store.getBatch(id)!.status).toBe('IN_PROGRESS');
    await d.finish(id);
    expect((await closing).status).toBe('CLOSED');
    expect(await refusal(d.control.advance(id))).toMatchObject({ code: 'wrong_state' });
    expect(await refusal(d.control.advance(id, { tenant: 'tenant-b' }))).toMatchObject({ code: 'batch_not_found' });

    const other = d.service.createBatch('tenant-b', 1).id;
    await d.service.upload('tenant-b', other, packageBody('b.pdf'), undefined);
    expect(d.control.list({}).map((b) => b.id)).toEqual([other, id]);
    expect(d.control.list({ tenant: 'tenant-b' }).map((b) => b.id)).toEqual([other]);

    await d.control.forget(id, d.T);
    expect(d.store.getBatch(id)).toBeUndefined();
    expect(await refusal(() => d.control.get(id))).toMatchObject({ code: 'batch_not_found' });
    expect(await d.control.purge('tenant-b')).toBe(1);
    expect(d.blobs.blobs.size).toBe(0);
    expect(d.queue.cancelled).toEqual([id, other]);
  });

  it('control: advance fails with unavailable when the work ends without a result', async () => {
    const d = domain({ timing: timingProfile('manual') });
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    await d.control.advance(id, { to: 'IN_PROGRESS' });
    const closing = d.control.advance(id, { to: 'CLOSED' });
    d.queue.settle(id); // the worker gave up on it
    expect(await refusal(closing)).toMatchObject({ code: 'unavailable' });
  });

  it("reports a batch's times by the tenant's clock: time in status, and when it moves on", async () => {
    const d = domain();
    const { id } = d.service.createBatch(d.T, 1);
    await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
    const accepted = d.service.accept(d.T, id);
    d.clock.advance(150);
    expect(d.control.timesOf(d.service.status(d.T, id))).toEqual({ timeInStatusMs: 150, nextStepAt: accepted.statusSince + 400 });
    expect(d.control.timesOf(d.service.createBatch(d.T, 1))).toEqual({ timeInStatusMs: 0, nextStepAt: null });
  });

  it('lists the work left after a restart: accepted batches without a result', async () => {
    const d = domain({ timing: timingProfile('manual') });
    const a = d.service.createBatch(d.T, 1).id;
    const b = d.service.createBatch(d.T, 1).id;
    for (const id of [a, b]) {
      await d.service.upload(d.T, id, packageBody('a.pdf'), undefined);
      d.service.accept(d.T, id);
    }
    await d.finish(a);
    expect(d.ledger.pendingWork()).toEqual([b]);
    expect(d.ledger.tenantOf(b)).toBe(d.T);
    expect(d.ledger.tenantOf(999)).toBeUndefined();
  });
});
