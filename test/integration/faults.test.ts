import { afterEach, describe, expect, it } from 'vitest';
import { tenantOf } from '../../src/http/auth.js';
import { KEY, samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

let sim: TestSim;
afterEach(() => sim?.close());

const addFaults = async (spec: unknown, key: string | null = KEY) => {
  const res = await sim.request({ method: 'POST', url: '/_simulator/faults', payload: spec as any, key });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().faults;
};

async function uploaded(files: Record<string, string | Buffer> = { 'a.pdf': samplePdf(), 'b.pdf': samplePdf() }, key = KEY) {
  const id = await sim.createBatch(1, key);
  await sim.upload(id, await zipOf(files), key);
  return id;
}

describe('HTTP-level faults (through app.inject)', () => {
  it('answers a given status with a problem body for the next N calls, then recovers', async () => {
    sim = await startTestSim();
    await addFaults({ route: 'CreateBatch', kind: 'status', status: 503, count: 2, retryAfter: 3 });
    for (let i = 0; i < 2; i++) {
      const res = await sim.request({ method: 'POST', url: '/api/CreateBatch/1' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('3');
      expect(res.json().detail).toMatch(/fault/);
    }
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1' })).statusCode).toBe(201);
  });

  it('adds latency (fixed and drawn from a seeded range) and journals it', async () => {
    sim = await startTestSim();
    await addFaults({ route: 'BatchStatus', kind: 'latency', ms: 150 });
    const id = await sim.createBatch();
    const t0 = performance.now();
    await sim.status(id);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const entry = sim.app.sim.journal.query({ route: 'BatchStatus' }).at(-1)!;
    expect(entry.fault).toMatch(/^latency\(150ms\)/);
    expect(entry.latencyMs).toBeGreaterThanOrEqual(140);
  });

  it('is scoped to the tenant that set it', async () => {
    sim = await startTestSim();
    await addFaults({ route: '*', kind: 'status', status: 500, count: 5 }, 'alpha');
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'beta' })).statusCode).toBe(201);
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'alpha' })).statusCode).toBe(500);
  });

  it('matches a batch id', async () => {
    sim = await startTestSim();
    const a = await sim.createBatch();
    const b = await sim.createBatch();
    await addFaults({ route: 'BatchStatus', kind: 'status', status: 502, batchId: b });
    expect((await sim.status(a)).code).toBe(200);
    expect((await sim.status(b)).code).toBe(502);
  });

  it('repeats exactly with the same seed', async () => {
    const run = async () => {
      sim = await startTestSim();
      await addFaults({ route: 'BatchStatus', kind: 'status', status: 500, probability: 0.5, seed: 42 });
      const id = await sim.createBatch();
      const codes: number[] = [];
      for (let i = 0; i < 30; i++) codes.push((await sim.status(id)).code);
      await sim.close();
      return codes;
    };
    const first = await run();
    const second = await run();
    expect(first).toEqual(second);
    expect(new Set(first)).toEqual(new Set([200, 500]));
  });

  it('can be asked for per request with a Prefer header', async () => {
    sim = await startTestSim();
    const res = await sim.request({ method: 'POST', url: '/api/CreateBatch/1', headers: { prefer: 'code=429' } });
    expect(res.statusCode).toBe(429);
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1' })).statusCode).toBe(201);
    const bad = await sim.request({ method: 'POST', url: '/api/CreateBatch/1', headers: { prefer: 'fault=explode' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/explode/);
    // unknown preferences are ignored, as RFC 7240 says
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', headers: { prefer: 'return=minimal' } })).statusCode).toBe(201);
  });

  it('lists, removes and clears faults', async () => {
    sim = await startTestSim();
    const [f] = await addFaults({ route: 'upload', kind: 'status', status: 500, count: 3 });
    expect(f).toMatchObject({ tenant: tenantOf(KEY), remaining: 3, route: 'upload' });
    expect((await sim.request({ method: 'GET', url: '/_simulator/faults' })).json().faults).toHaveLength(1);
    expect((await sim.request({ method: 'DELETE', url: `/_simulator/faults/${f.id}` })).statusCode).toBe(204);
    await addFaults([
      { route: 'upload', kind: 'reset' },
      { route: 'upload', kind: 'empty' },
    ]);
    expect((await sim.request({ method: 'DELETE', url: '/_simulator/faults' })).json()).toEqual({ removed: 2 });
    const invalid = await sim.request({ method: 'POST', url: '/_simulator/faults', payload: { route: 'upload', kind: 'status', status: 200 } });
    expect(invalid.statusCode).toBe(400);
  });
});

describe('domain-level faults', () => {
  it('fails a named file to seal, the rest of the batch is sealed', async () => {
    sim = await startTestSim();
    const id = await uploaded();
    await addFaults({ route: 'AcceptBatch', kind: 'seal-fail', fileName: 'b.pdf', batchId: id });
    await sim.accept(id);
    await sim.app.sim.worker.idle();
    const docs = (await sim.status(id)).body.documents;
    expect(docs.map((d: any) => [d.fileName, d.signingResult_Success])).toEqual([
      ['a.pdf', 'true'],
      ['b.pdf', 'false'],
    ]);
    expect(sim.app.sim.store.getBatch(id)!.documents[1]!.detail).toMatch(/injected fault/);
  });

  it('fails a file through Prefer on AcceptBatch', async () => {
    sim = await startTestSim();
    const id = await uploaded();
    await sim.request({ method: 'POST', url: `/api/AcceptBatch/${id}`, headers: { prefer: 'fault=seal-fail; file=a.pdf' } });
    await sim.app.sim.worker.idle();
    const docs = (await sim.status(id)).body.documents;
    expect(docs.map((d: any) => d.signingResult_Success)).toEqual(['false', 'true']);
  });

  it('binds a Prefer fault sent on CreateBatch to the batch that call creates, and a refused call binds nothing', async () => {
    sim = await startTestSim();
    const created = await sim.request({ method: 'POST', url: '/api/CreateBatch/1', headers: { prefer: 'fault=seal-fail; file=b.pdf' } });
    expect(created.statusCode).toBe(201);
    const id = Number(created.json().id);
    const refused = await sim.request({ method: 'POST', url: '/api/CreateBatch/999999', headers: { prefer: 'fault=seal-fail' } });
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    const listed = (await sim.request({ method: 'GET', url: '/_simulator/faults' })).json().faults;
    expect(listed).toEqual([expect.objectContaining({ kind: 'seal-fail', fileName: 'b.pdf', batchId: id, route: 'AcceptBatch' })]);
    await sim.upload(id, await zipOf({ 'a.pdf': samplePdf(), 'b.pdf': samplePdf() }));
    await sim.accept(id);
    await sim.app.sim.worker.idle();
    const docs = (await sim.status(id)).body.documents;
    expect(docs.map((d: any) => d.signingResult_Success)).toEqual(['true', 'false']);
  });

  it('stalls a batch in a status for a duration', async () => {
    sim = await startTestSim({ timing: 'fast' });
    const id = await uploaded();
    await addFaults({ route: 'AcceptBatch', kind: 'stall', status: 'READY', durationMs: 10_000 });
    await sim.accept(id);
    await sim.app.sim.worker.idle();
    sim.clock.advance(5_000);
    expect((await sim.status(id)).status).toBe('READY');
    sim.clock.advance(10_000);
    expect((await sim.status(id)).status).toBe('CLOSED');
  });

  it('produces a corrupt or a truncated package', async () => {
    sim = await startTestSim();
    for (const kind of ['corrupt-package', 'truncate-package']) {
      const clean = await sim.closedBatch({ 'a.pdf': samplePdf() });
      const cleanZip = (await sim.request({ method: 'GET', url: `/api/batchfile/${clean}` })).rawPayload;
      await addFaults({ route: 'AcceptBatch', kind });
      const id = await sim.closedBatch({ 'a.pdf': samplePdf() });
      const res = await sim.request({ method: 'GET', url: `/api/batchfile/${id}` });
      expect(res.statusCode).toBe(200);
      expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
      expect(res.rawPayload.equals(cleanZip)).toBe(false);
      if (kind === 'truncate-package') expect(res.rawPayload.length).toBeLessThan(cleanZip.length);
      else expect(res.rawPayload.length).toBe(cleanZip.length);
    }
  });

  it('removes a batch from the cache on its own after CLOSED (vendor cache expiry)', async () => {
    sim = await startTestSim();
    await addFaults({ route: 'AcceptBatch', kind: 'expire', afterMs: 60_000 });
    const id = await sim.closedBatch();
    expect((await sim.status(id)).status).toBe('CLOSED');
    sim.clock.advance(60_000);
    expect((await sim.status(id)).status).toBe('DELETED');
    expect((await sim.request({ method: 'GET', url: `/api/batchfile/${id}` })).statusCode).toBe(409);
    expect(sim.app.sim.store.transitions(id).at(-1)).toMatchObject({ to: 'DELETED', event: 'expire' });
  });

  it('seals with an expired or untrusted certificate when asked', async () => {
    sim = await startTestSim();
    const seen: (string | undefined)[] = [];
    const signer = sim.app.sim.signer;
    // Small files are sealed in memory (processFile), large ones through files (processStored).
    const inMemory = signer.processFile.bind(signer);
    signer.processFile = (file, ctx, opts) => {
      seen.push(ctx.sealIdentity);
      return inMemory(file, ctx, opts);
    };
    const stored = signer.processStored.bind(signer);
    signer.processStored = (file, ctx, opts) => {
      seen.push(ctx.sealIdentity);
      return stored(file, ctx, opts);
    };
    await addFaults({ route: 'AcceptBatch', kind: 'untrusted-cert', fileName: 'b.pdf' });
    await sim.closedBatch({ 'a.pdf': samplePdf(), 'b.pdf': samplePdf() });
    await addFaults({ route: 'AcceptBatch', kind: 'expired-cert' });
    await sim.closedBatch({ 'c.pdf': samplePdf() });
    expect(seen).toEqual(['default', 'untrusted', 'expired']);
  });
});

describe('journal', () => {
  it('records every vendor request without secrets, with upload size and digest', async () => {
    sim = await startTestSim();
    const zip = await zipOf({ 'a.pdf': samplePdf() });
    const id = await sim.createBatch();
    await sim.upload(id, zip);
    await sim.request({ method: 'GET', url: '/api/BatchStatus/999', key: null });
    await sim.request({ method: 'GET', url: '/api/BatchStatus/abc' });
    await sim.request({ method: 'GET', url: '/_simulator/health', key: null });
    const { entries } = (await sim.request({ method: 'GET', url: '/_simulator/journal?scope=all', key: null })).json();
    expect(entries.map((e: any) => [e.route, e.status, e.batchId, e.tenant])).toEqual([
      ['CreateBatch', 201, null, tenantOf(KEY)],
      ['upload', 202, id, tenantOf(KEY)],
      ['BatchStatus', 401, 999, 'anonymous'], // refused before the route's own hooks ran: journaled all the same
      ['BatchStatus', 400, null, tenantOf(KEY)],
    ]);
    const upload = entries[1];
    expect(upload).toMatchObject({ batchId: id, bodyBytes: zip.length, tenant: tenantOf(KEY), method: 'POST' });
    const { createHash } = await import('node:crypto');
    expect(upload.bodySha256).toBe(createHash('sha256').update(zip).digest('hex'));
    expect(upload.headers['api-key']).toBe('[redacted]');
    expect(JSON.stringify(entries)).not.toContain(KEY);
  });

  it('filters by tenant, route and batch, and exports NDJSON', async () => {
    sim = await startTestSim();
    const a = await sim.createBatch(1, 'alpha');
    await sim.status(a, 'alpha');
    await sim.createBatch(1, 'beta');
    const mine = (await sim.request({ method: 'GET', url: '/_simulator/journal', key: 'alpha' })).json().entries;
    expect(mine.map((e: any) => e.route)).toEqual(['CreateBatch', 'BatchStatus']);
    const byRoute = (await sim.request({ method: 'GET', url: `/_simulator/journal?scope=all&route=BatchStatus&batchId=${a}`, key: null })).json().entries;
    expect(byRoute).toHaveLength(1);
    const nd = await sim.request({ method: 'GET', url: '/_simulator/journal.ndjson?scope=all', key: null });
    expect(nd.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = nd.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.route)).toEqual(['CreateBatch', 'BatchStatus', 'CreateBatch']);
  });

  it('verifies that a client polled and then downloaded', async () => {
    sim = await startTestSim({ timing: 'fast' });
    const id = await uploaded();
    await sim.accept(id);
    await sim.app.sim.worker.idle();
    for (let i = 0; i < 6; i++) {
      await sim.status(id);
      sim.clock.advance(400);
    }
    await sim.request({ method: 'GET', url: `/api/batchfile/${id}` });
    const verify = (expected: unknown) =>
      sim.request({ method: 'POST', url: '/_simulator/journal/verify', payload: { expected } as any }).then((r) => r.json());
    expect(await verify([{ route: 'AcceptBatch' }, { route: 'BatchStatus', minTimes: 3 }, { route: 'batchfile', status: 200 }])).toMatchObject({
      matched: true,
    });
    const failed = await verify([{ route: 'batchfile' }, { route: 'BatchStatus' }]);
    expect(failed.matched).toBe(false);
    expect(failed.reason).toEqual(expect.any(String));
  });

  it('stays within its bounds under a flood of requests', async () => {
    sim = await startTestSim({ journalMaxEntries: 500, journalMaxBytes: 64 * 1024 });
    const id = await sim.createBatch();
    for (let i = 0; i < 2_000; i++) await sim.status(id);
    const stats = sim.app.sim.journal.stats();
    expect(stats.entries).toBeLessThanOrEqual(500);
    expect(stats.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(stats.evicted).toBeGreaterThan(1_000);
  });

  it('is cleared per tenant by reset', async () => {
    sim = await startTestSim();
    await sim.createBatch(1, 'alpha');
    await sim.createBatch(1, 'beta');
    await sim.request({ method: 'POST', url: '/_simulator/reset', key: 'alpha' });
    const left = sim.app.sim.journal.query({});
    expect(left.map((e) => e.tenant)).toEqual([tenantOf('beta')]);
  });
});

describe('faults from a file at start (SEAL_SIM_FAULTS)', () => {
  it('loads the listed faults, tenant-scoped as written', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'seal-faults-'));
    const file = join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify([{ tenant: tenantOf('alpha'), route: 'CreateBatch', kind: 'status', status: 503, count: 1 }]));
    try {
      sim = await startTestSim({ faultsFile: file });
      expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'beta' })).statusCode).toBe(201);
      expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'alpha' })).statusCode).toBe(503);
      expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'alpha' })).statusCode).toBe(201);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
