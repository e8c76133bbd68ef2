import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { samplePdf, startTestSim, type TestSim } from '../helpers/sim.js';

let dir: string;
let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('start-up sweep of the data directory', () => {
  it('removes what a crash left behind and keeps every file a batch refers to', async () => {
    dir = mkdtempSync(join(tmpdir(), 'seal-sweep-app-'));
    const config = { db: join(dir, 'sim.db'), dataDir: join(dir, 'data') };
    sim = await startTestSim(config);
    const id = await sim.closedBatch({ 'a.pdf': samplePdf() });
    const batch = sim.app.sim.store.getBatch(id)!;
    await sim.close();
    sim = undefined;
    const data = config.dataDir;
    writeFileSync(join(data, 'packages', '99-partial-upload.zip'), Buffer.alloc(1000));
    writeFileSync(join(data, 'results', '.98-x.zip.0a1b2c.part'), Buffer.alloc(500));
    mkdirSync(join(data, 'tmp', 'work'), { recursive: true });
    writeFileSync(join(data, 'tmp', 'work', 'in-left-over'), Buffer.alloc(24));

    const lines: { msg: string; files?: number; bytes?: number }[] = [];
    sim = await startTestSim(config, { logger: { level: 'info', stream: { write: (l: string) => lines.push(JSON.parse(l)) } } as never });
    expect(readdirSync(join(data, 'packages'))).toEqual([batch.package!.path.split('/').pop()]);
    expect(readdirSync(join(data, 'results'))).toEqual([batch.result!.path.split('/').pop()]);
    expect(readdirSync(join(data, 'tmp'))).toEqual([]);
    expect(lines.find((l) => l.msg.startsWith('data directory swept'))).toMatchObject({ files: 3, bytes: 1524 });
    expect((await sim.request({ method: 'GET', url: `/api/batchfile/${id}` })).statusCode).toBe(200);
  });
});
