import { afterEach, describe, expect, it } from 'vitest';
import { entryNames, samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

let sim: TestSim;
afterEach(() => sim?.close());

const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe('the whole batch lifecycle (docs/vendor-contract.md: endpoints, bodies, statuses)', () => {
  it('goes NEW → ACCEPTED → READY → IN_PROGRESS → FINISHING → CLOSED → DELETED, visible step by step', async () => {
    sim = await startTestSim({ timing: 'fast' });
    const created = await sim.request({ method: 'POST', url: '/api/CreateBatch/1' });
    expect(created.statusCode).toBe(201);
    expect(created.headers['content-type']).toMatch(/^application\/json/);
    const batch = created.json();
    expect(batch).toEqual({ id: expect.stringMatching(/^\d+$/), providerSettingsId: '1', creationDate: '2026-01-01 12:00:00', status: '0' });
    const id = Number(batch.id);

    const up = await sim.upload(id, await zipOf({ 'invoice.pdf': samplePdf(), 'notes.txt': 'not a pdf' }));
    expect(up.statusCode).toBe(202);
    expect(up.json()).toEqual({
      id: expect.stringMatching(/^\d+$/),
      counterpartyId: '1',
      name: `batch-${id}.zip`,
      signed: 'false',
      hash: null,
      signature: null,
      batchId: id,
      creationDate: '2026-01-01 12:00:00',
      isZip: 'true',
      tsaId: '1',
    });
    expect((await sim.status(id)).body).toEqual({
      id,
      status: 'NEW',
      creationDate: '2026-01-01 12:00:00',
      documents: [
        { id: expect.stringMatching(/^\d+$/), signed: 'false', fileName: 'invoice.pdf', signingResult_Success: 'false' },
        { id: expect.stringMatching(/^\d+$/), signed: 'false', fileName: 'notes.txt', signingResult_Success: 'false' },
      ],
    });

    const accepted = await sim.accept(id);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ id, providerSettingsId: '1', creationDate: '2026-01-01 12:00:00', status: '1' });
    await sim.app.sim.worker.idle();

    const seen: string[] = [];
    for (let i = 0; i < 20 && seen.at(-1) !== 'CLOSED'; i++) {
      const { status } = await sim.status(id);
      if (seen.at(-1) !== status) seen.push(status);
      sim.clock.advance(200);
    }
    expect(seen).toEqual(['ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING', 'CLOSED']);

    const closed = (await sim.status(id)).body;
    expect(closed.documents.map((d: any) => [d.fileName, d.signed, d.signingResult_Success])).toEqual([
      ['invoice.pdf', 'true', 'true'],
      ['notes.txt', 'false', 'false'], // process 1 seals PDFs only
    ]);

    const download = await sim.request({ method: 'GET', url: `/api/batchfile/${id}` });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toBe(`attachment; filename="batch-${id}-signed.zip"`);
    expect(await entryNames(download.rawPayload)).toContain('invoice.pdf');

    const deleted = await sim.request({ method: 'DELETE', url: `/api/BatchDeleteCache/${id}` });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id, status: 'DELETED', creationDate: expect.stringMatching(DATE) });
    expect(deleted.json().documents).toHaveLength(2);
    expect((await sim.status(id)).status).toBe('DELETED');
  });

  it('stamps each step at its due time, so the fast profile takes about two seconds in all', async () => {
    sim = await startTestSim({ timing: 'fast' });
    const id = await sim.closedBatch();
    expect((await sim.status(id)).status).toBe('ACCEPTED');
    sim.clock.advance(1_799);
    expect((await sim.status(id)).status).toBe('FINISHING');
    sim.clock.advance(1);
    expect((await sim.status(id)).status).toBe('CLOSED');
    const history = sim.app.sim.store.transitions(id).map((t) => [t.to, t.at - Date.parse('2026-01-01T12:00:00Z')]);
    expect(history).toEqual([
      ['NEW', 0],
      ['UPLOADED', 0],
      ['ACCEPTED', 0],
      ['READY', 400],
      ['IN_PROGRESS', 800],
      ['FINISHING', 1_400],
      ['CLOSED', 1_800],
    ]);
  });

  it('reaches CLOSED as soon as the work is done in the instant profile', async () => {
    sim = await startTestSim({ timing: 'instant' });
    const id = await sim.closedBatch();
    expect((await sim.status(id)).status).toBe('CLOSED');
  });

  it('takes seconds per step in the realistic profile, longer for more files', async () => {
    sim = await startTestSim({ timing: 'realistic' });
    const one = await sim.closedBatch({ 'a.pdf': samplePdf() });
    const many = await sim.closedBatch(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.pdf`, samplePdf()])));
    sim.clock.advance(14_000);
    expect((await sim.status(one)).status).toBe('CLOSED');
    expect((await sim.status(many)).status).toBe('IN_PROGRESS');
    sim.clock.advance(60_000);
    expect((await sim.status(many)).status).toBe('CLOSED');
  });

  it('never reports FINISHING or CLOSED before the worker has written the package', async () => {
    sim = await startTestSim({ timing: 'instant' });
    const id = await sim.createBatch();
    await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
    await sim.app.sim.worker.stop(); // nothing will ever do the work
    await sim.accept(id);
    sim.clock.advance(3_600_000);
    expect((await sim.status(id)).status).toBe('IN_PROGRESS');
    expect((await sim.request({ method: 'GET', url: `/api/batchfile/${id}` })).statusCode).toBe(409);
  });

  it('replaces the package when uploading twice before accept', async () => {
    sim = await startTestSim();
    const id = await sim.createBatch();
    await sim.upload(id, await zipOf({ 'first.pdf': samplePdf() }));
    const second = await sim.upload(id, await zipOf({ 'second.pdf': samplePdf(), 'third.pdf': samplePdf() }));
    expect(second.statusCode).toBe(202);
    const files = (await sim.status(id)).body.documents.map((d: any) => d.fileName);
    expect(files).toEqual(['second.pdf', 'third.pdf']);
    await sim.accept(id);
    await sim.app.sim.worker.idle();
    const zip = await sim.request({ method: 'GET', url: `/api/batchfile/${id}` });
    expect(await entryNames(zip.rawPayload)).toEqual(['second.pdf', 'third.pdf']);
  });
});
