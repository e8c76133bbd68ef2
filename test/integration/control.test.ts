import { afterEach, describe, expect, it } from 'vitest';
import { tenantOf } from '../../src/http/auth.js';
import { KEY, samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

let sim: TestSim;
afterEach(() => sim?.close());

const control = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, key: string | null = KEY) =>
  sim.request({ method, url: `/_simulator${url}`, payload: payload as any, key });

async function uploaded(key = KEY): Promise<number> {
  const id = await sim.createBatch(1, key);
  await sim.upload(id, await zipOf({ 'a.pdf': samplePdf(), 'b.txt': 'x' }), key);
  return id;
}

describe('control API: batches', () => {
  it('lists and inspects batches with files, results and transition history', async () => {
    sim = await startTestSim({ timing: 'instant' });
    const id = await sim.closedBatch({ 'a.pdf': samplePdf() });
    const list = (await control('GET', '/batches')).json();
    expect(list.batches).toHaveLength(1);
    expect(list.batches[0]).toMatchObject({ id, tenant: tenantOf(KEY), status: 'CLOSED', processId: 1, nextStepAt: null });
    const one = (await control('GET', `/batches/${id}`)).json();
    expect(one.documents).toEqual([
      { id: expect.any(Number), fileName: 'a.pdf', size: expect.any(Number), signed: true, success: true, detail: expect.any(String) },
    ]);
    expect(one.result).toMatchObject({ size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(one.transitions.map((t: any) => t.to)).toEqual(['NEW', 'UPLOADED', 'ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING', 'CLOSED']);
  });

  it('scopes lists to the API key, and lists every tenant only when asked with scope=all', async () => {
    sim = await startTestSim();
    await sim.createBatch(1, 'alpha');
    await sim.createBatch(1, 'beta');
    expect((await control('GET', '/batches', undefined, 'alpha')).json().batches).toHaveLength(1);
    expect((await control('GET', `/batches?scope=all&tenant=${tenantOf('beta')}`, undefined, null)).json().batches).toHaveLength(1);
    expect((await control('GET', '/batches?scope=all', undefined, null)).json().batches).toHaveLength(2);
    // Without a key and without scope=all the call says what to send, and acts on nobody.
    const vague = await control('GET', '/batches', undefined, null);
    expect(vague.statusCode).toBe(400);
    expect(vague.json().detail).toMatch(/API-KEY.*scope=all/);
    expect((await control('GET', `/batches?tenant=${tenantOf('beta')}`, undefined, null)).statusCode).toBe(400);
    // A key cannot reach another tenant by naming it.
    expect((await control('GET', `/batches?tenant=${tenantOf('beta')}`, undefined, 'alpha')).statusCode).toBe(400);
  });

  it('forgets one batch outright', async () => {
    sim = await startTestSim();
    const id = await sim.closedBatch();
    expect((await control('DELETE', `/batches/${id}`)).statusCode).toBe(204);
    expect((await sim.status(id)).code).toBe(404);
    expect((await control('DELETE', `/batches/${id}`)).statusCode).toBe(404);
  });

  it('advances a manual batch one step at a time, or straight to a status', async () => {
    sim = await startTestSim({ timing: 'manual' });
    const id = await uploaded();
    await sim.accept(id);
    sim.clock.advance(86_400_000);
    expect((await sim.status(id)).status).toBe('ACCEPTED'); // manual: time alone does nothing
    expect((await control('POST', `/batches/${id}/advance`)).json().status).toBe('READY');
    expect((await sim.status(id)).status).toBe('READY');
    expect((await control('POST', `/batches/${id}/advance`, { to: 'CLOSED' })).json().status).toBe('CLOSED');
    expect((await sim.request({ method: 'GET', url: `/api/batchfile/${id}` })).statusCode).toBe(200);
    const again = await control('POST', `/batches/${id}/advance`);
    expect(again.statusCode).toBe(409);
  });

  it('accepts an uploaded batch on the way to CLOSED, and refuses a batch without a package', async () => {
    sim = await startTestSim({ timing: 'manual' });
    const id = await uploaded();
    expect((await control('POST', `/batches/${id}/advance`, { to: 'CLOSED' })).json().status).toBe('CLOSED');
    const empty = await sim.createBatch();
    expect((await control('POST', `/batches/${empty}/advance`)).statusCode).toBe(409);
    expect((await control('POST', `/batches/${id}/advance`, { to: 'NEW' })).statusCode).toBe(400);
  });

  it("resets one tenant without touching another's batches", async () => {
    sim = await startTestSim();
    const a = await sim.createBatch(1, 'alpha');
    const b = await sim.createBatch(1, 'beta');
    expect((await control('POST', '/reset', undefined, 'alpha')).json()).toEqual({ tenant: tenantOf('alpha'), batches: 1 });
    expect((await sim.status(a, 'alpha')).code).toBe(404);
    expect((await sim.status(b, 'beta')).code).toBe(200);
    expect((await control('POST', '/reset', undefined, null)).statusCode).toBe(400); // no scope: nobody is reset
    expect((await sim.status(b, 'beta')).code).toBe(200);
    expect((await control('POST', '/reset?scope=all', undefined, null)).json()).toEqual({ tenant: null, batches: 1 });
    expect((await sim.status(b, 'beta')).code).toBe(404);
  });
});

describe('control API: virtual clock per tenant', () => {
  it("reads, sets and advances one tenant's clock; creationDate and progress follow it", async () => {
    sim = await startTestSim({ timing: 'fast' });
    expect((await control('GET', '/clock')).json()).toMatchObject({ now: '2026-01-01T12:00:00.000Z', speed: 1, offsetMs: 0 });
    await control('PUT', '/clock', { at: '2030-06-01T08:00:00Z', speed: 0 });
    const created = (await sim.request({ method: 'POST', url: '/api/CreateBatch/1' })).json();
    expect(created.creationDate).toBe('2030-06-01 08:00:00');
    const other = (await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'other' })).json();
    expect(other.creationDate).toBe('2026-01-01 12:00:00');

    const id = Number(created.id);
    await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
    await sim.accept(id);
    await sim.app.sim.worker.idle();
    sim.clock.advance(60_000); // real time passes, but this tenant's clock is frozen
    expect((await sim.status(id)).status).toBe('ACCEPTED');
    const moved = (await control('POST', '/clock/advance', { by: '2s' })).json();
    expect(moved.now).toBe('2030-06-01T08:00:02.000Z');
    expect((await sim.status(id)).status).toBe('CLOSED');
  });

  it('runs at a speed factor', async () => {
    sim = await startTestSim();
    await control('PUT', '/clock', { speed: 60 });
    sim.clock.advance(1_000);
    expect((await control('GET', '/clock')).json()).toMatchObject({ now: '2026-01-01T12:01:00.000Z', speed: 60 });
  });

  it('explains a bad duration or a missing tenant', async () => {
    sim = await startTestSim();
    expect((await control('POST', '/clock/advance', { by: 'soon' })).json().detail).toMatch(/not a duration/);
    expect((await control('GET', '/clock', undefined, null)).json().detail).toMatch(/Say whose/);
    expect((await control('GET', '/clock?scope=all', undefined, null)).json().detail).toMatch(/Say whose clock/);
  });

  it('refuses a clock advance without a body, or with one that is not a JSON object, as a 400 (not a 500)', async () => {
    sim = await startTestSim();
    for (const res of [
      await control('POST', '/clock/advance'),
      await sim.request({ method: 'POST', url: '/_simulator/clock/advance', headers: { 'content-type': 'text/plain' }, payload: '5m' }),
    ]) {
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toBe('body must be object.');
    }
    expect((await control('GET', '/clock')).json()).toMatchObject({ offsetMs: 0 });
  });

  it('keeps every clock within years 1970..9999: advance, set and speed that would leave it are 400s', async () => {
    sim = await startTestSim();
    // Advancing by 8.64e15 ms must not leave a date the tenant's routes and the board cannot print (they would answer 500).
    const far = await control('POST', '/clock/advance', { by: 8.64e15 });
    expect(far.statusCode).toBe(400);
    expect(far.json().detail).toMatch(/past 9999-12-31T23:59:59\.999Z.*at most \d+ ms can be added/);
    expect((await control('PUT', '/clock', { at: '+010000-01-01T00:00:00Z' })).statusCode).toBe(400);
    expect((await control('PUT', '/clock', { at: '1969-12-31T23:59:59Z' })).json().detail).toMatch(/between 1970-01-01/);
    expect((await control('PUT', '/clock', { at: '9000-01-01T00:00:00Z' })).statusCode).toBe(200);
    const fast = await control('PUT', '/clock', { speed: 1_000_000 });
    expect(fast.statusCode).toBe(400);
    expect(fast.json().detail).toMatch(/would pass 9999-12-31.*at most \d+/);
    expect((await control('GET', '/clock')).json()).toMatchObject({ now: '9000-01-01T00:00:00.000Z', speed: 1 });
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1' })).statusCode).toBe(201);
    expect((await sim.request({ method: 'GET', url: '/_simulator/state?scope=all', key: null })).statusCode).toBe(200);
  });

  it('repairs a stored clock that is out of range (an older version let it be) at start, with a warning', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { default: Database } = await import('better-sqlite3');
    const { Writable } = await import('node:stream');
    const dir = mkdtempSync(join(tmpdir(), 'seal-clock-'));
    const db = join(dir, 'db.sqlite');
    try {
      sim = await startTestSim({ db, dataDir: dir });
      const id = await sim.createBatch();
      await control('PUT', '/clock', { at: '2031-01-01T00:00:00Z', speed: 0 });
      await sim.close();
      const raw = new Database(db);
      raw.prepare('UPDATE clocks SET anchor_virtual = ?').run(1.8e16); // what advance {"by": 8.64e15} twice stored
      raw.close();
      let logged = '';
      const stream = new Writable({
        write: (chunk, _enc, done) => {
          logged += String(chunk);
          done();
        },
      });
      sim = await startTestSim({ db, dataDir: dir }, { logger: { level: 'warn', stream } });
      expect(logged).toMatch(/"level":40.*tenant clock reset to real time at start/);
      expect((await control('GET', '/clock')).statusCode).toBe(200);
      expect((await sim.status(id)).code).toBe(200);
      expect((await sim.request({ method: 'GET', url: '/_simulator/state?scope=all', key: null })).statusCode).toBe(200);
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the clock across a restart of the same database', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'seal-clock-'));
    try {
      sim = await startTestSim({ db: join(dir, 'db.sqlite'), dataDir: dir });
      await control('PUT', '/clock', { at: '2031-01-01T00:00:00Z', speed: 0 });
      await sim.close();
      sim = await startTestSim({ db: join(dir, 'db.sqlite'), dataDir: dir });
      expect((await control('GET', '/clock')).json().now).toBe('2031-01-01T00:00:00.000Z');
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('control API: admin token', () => {
  it('guards the control API when a token is configured, but not health or the vendor API', async () => {
    sim = await startTestSim({ adminToken: 's3cret' });
    expect((await control('GET', '/batches')).statusCode).toBe(401);
    expect((await sim.request({ method: 'GET', url: '/_simulator/batches', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
    expect((await sim.request({ method: 'GET', url: '/_simulator/batches?token=s3cret' })).statusCode).toBe(200);
    expect((await control('GET', '/health', undefined, null)).statusCode).toBe(200);
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1' })).statusCode).toBe(201);
  });
});
