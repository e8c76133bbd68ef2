import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

let dir: string;
let sims: TestSim[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seal-restart-'));
});
afterEach(async () => {
  for (const s of sims) await s.close();
  sims = [];
  rmSync(dir, { recursive: true, force: true });
});

const start = async (timing: 'fast' | 'instant' = 'fast') => {
  const sim = await startTestSim({ db: join(dir, 'sim.sqlite'), dataDir: join(dir, 'data'), timing });
  sims.push(sim);
  return sim;
};

describe('a database file and data directory survive a restart', () => {
  it('keeps a closed batch, its documents and its package', async () => {
    const first = await start('instant');
    const id = await first.closedBatch({ 'a.pdf': samplePdf(), 'b.pdf': samplePdf() });
    const before = await first.request({ method: 'GET', url: `/api/batchfile/${id}` });
    await first.close();

    const second = await start('instant');
    const { status, body } = await second.status(id);
    expect(status).toBe('CLOSED');
    expect(body.documents.map((d: any) => d.fileName)).toEqual(['a.pdf', 'b.pdf']);
    const after = await second.request({ method: 'GET', url: `/api/batchfile/${id}` });
    expect(after.statusCode).toBe(200);
    expect(after.rawPayload.equals(before.rawPayload)).toBe(true);
  });

  it('finishes a batch that was accepted but not yet processed when the simulator stopped', async () => {
    const first = await start('fast');
    const id = await first.createBatch();
    await first.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
    await first.app.sim.worker.stop(); // the process "dies" before the worker gets to it
    expect((await first.accept(id)).statusCode).toBe(200);
    await first.close();

    const second = await start('fast');
    await second.app.sim.worker.idle(); // resumed on start
    second.clock.advance(60_000);
    expect((await second.status(id)).status).toBe('CLOSED');
    expect((await second.request({ method: 'GET', url: `/api/batchfile/${id}` })).statusCode).toBe(200);
  });

  it('keeps counting batch ids upwards across restarts', async () => {
    const first = await start();
    const a = await first.createBatch();
    await first.close();
    const second = await start();
    expect(await second.createBatch()).toBeGreaterThan(a);
  });
});
