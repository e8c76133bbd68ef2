import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultZipLimits } from '../../src/archive/limits.js';
import { startTestSim, type TestSim, zipOf } from '../helpers/sim.js';
import { zipFixtures } from '../unit/archive/zip-fixtures.js';

/**
 * Every committed fixture, uploaded over the vendor route: hostile ones answer 400/413 problems
 * naming the entry and leave the batch exactly as it was; valid ones are accepted.
 */
let sim: TestSim;
beforeAll(async () => {
  sim = await startTestSim({ timing: 'manual' });
});
afterAll(() => sim?.close());

const fixture = (file: string) => readFileSync(new URL(`../../fixtures/zips/${file}`, import.meta.url));

describe('uploading the committed fixtures', () => {
  for (const f of zipFixtures.filter((x) => !x.limits)) {
    const e = f.expect;
    it(`${f.file} → ${e.ok ? '202' : `${e.code === 'package_too_large' ? 413 : 400} ${e.reason}`}`, async () => {
      const id = await sim.createBatch(2);
      const keep = await zipOf({ 'keep.txt': 'the package before' });
      expect((await sim.upload(id, keep)).statusCode).toBe(202);
      const before = sim.app.sim.store.getBatch(id)!;

      const res = await sim.upload(id, fixture(f.file));
      if (e.ok) {
        expect(res.statusCode, res.body).toBe(202);
        expect((await sim.status(id)).body.documents.map((d: { fileName: string }) => d.fileName)).toEqual(e.names);
        return;
      }
      expect(res.statusCode, res.body).toBe(e.code === 'package_too_large' ? 413 : 400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const body = res.json();
      expect(body.reason).toBe(e.reason);
      if (e.entry !== undefined) {
        expect(body.entry).toBe(e.entry);
        // the detail names the entry (odd characters are shown escaped, so look for its printable runs)
        for (const part of String(e.entry)
          .split(/[^\x20-\x7e]|\\/)
          .filter((p) => p.length > 2)) {
          expect(body.detail).toContain(part);
        }
      }
      expect(sim.app.sim.store.getBatch(id)).toEqual(before); // nothing changed
    });
  }

  it('keeps no file from rejected uploads', async () => {
    const { readdirSync } = await import('node:fs');
    const live = sim.app.sim.store.listBatches({ limit: 10_000 }).flatMap((b) => (b.package ? [b.package.path.split(/[\\/]/).pop()] : []));
    expect(readdirSync(sim.app.sim.blobs.absolute('packages')).sort()).toEqual(live.sort());
  });

  it('413s a package whose files inflate past the total limit, naming the setting', async () => {
    const small = await startTestSim({ limits: { ...defaultZipLimits, maxTotalBytes: 1000 } });
    try {
      const id = await small.createBatch(2);
      const res = await small.upload(id, await zipOf({ 'a.txt': 'x'.repeat(800), 'b.txt': 'y'.repeat(800) }));
      expect(res.statusCode).toBe(413);
      expect(res.json().detail).toMatch(/SEAL_SIM_MAX_TOTAL_BYTES/);
    } finally {
      await small.close();
    }
  });
});
