import { afterEach, describe, expect, it } from 'vitest';
import { samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

let sim: TestSim;
afterEach(() => sim?.close());

const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, detail: RegExp) => {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ type: expect.stringMatching(/^urn:seal-simulator:problem:/), title: expect.any(String), status });
  expect(body.detail).toMatch(detail);
  expect(body.instance).toEqual(expect.any(String));
  expect(body.traceId).toEqual(expect.any(String));
  return body;
};

describe('routes', () => {
  it('match paths case-insensitively, as the ASP.NET server does', async () => {
    sim = await startTestSim();
    const res = await sim.request({ method: 'POST', url: '/API/createbatch/1' });
    expect(res.statusCode).toBe(201);
    const id = res.json().id;
    expect((await sim.request({ method: 'GET', url: `/api/batchstatus/${id}` })).statusCode).toBe(200);
    expect((await sim.request({ method: 'GET', url: `/Api/BATCHSTATUS/${id}` })).statusCode).toBe(200);
  });

  it('answer unknown endpoints with a problem body pointing at the API', async () => {
    sim = await startTestSim();
    expectProblem(await sim.request({ method: 'GET', url: '/api/Nope' }), 404, /not an endpoint/);
  });

  describe('CreateBatch', () => {
    it('404s an unknown process and 400s a non-integer one', async () => {
      sim = await startTestSim();
      expectProblem(await sim.request({ method: 'POST', url: '/api/CreateBatch/99' }), 404, /no process 99.*knows processes 1, 2/);
      expectProblem(await sim.request({ method: 'POST', url: '/api/CreateBatch/abc' }), 400, /processId.*integer/);
      expectProblem(await sim.request({ method: 'POST', url: '/api/CreateBatch/0' }), 400, /processId/);
      expectProblem(await sim.request({ method: 'POST', url: '/api/CreateBatch/1.5' }), 400, /processId/);
    });
  });

  describe('auth and tenants', () => {
    it('401s a missing or empty API-KEY on every vendor route', async () => {
      sim = await startTestSim();
      for (const [method, url] of [
        ['POST', '/api/CreateBatch/1'],
        ['POST', '/api/upload/1'],
        ['GET', '/api/BatchStatus/1'],
        ['DELETE', '/api/BatchDeleteCache/1'],
        ['POST', '/api/AcceptBatch/1'],
        ['GET', '/api/batchfile/1'],
      ] as const) {
        expectProblem(await sim.request({ method, url, key: null }), 401, /API-KEY/);
        expectProblem(await sim.request({ method, url, key: '  ' }), 401, /API-KEY/);
      }
    });

    it('accepts only configured keys when a list is given', async () => {
      sim = await startTestSim({ apiKeys: ['alpha', 'beta'] });
      expectProblem(await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'gamma' }), 401, /not one the simulator was configured with/);
      expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'beta' })).statusCode).toBe(201);
    });

    it("keeps each key's batches invisible to every other key", async () => {
      sim = await startTestSim();
      const id = await sim.closedBatch({ 'a.pdf': samplePdf() }, 1, 'alpha');
      for (const [method, url] of [
        ['POST', `/api/upload/${id}`],
        ['GET', `/api/BatchStatus/${id}`],
        ['POST', `/api/AcceptBatch/${id}`],
        ['GET', `/api/batchfile/${id}`],
        ['DELETE', `/api/BatchDeleteCache/${id}`],
      ] as const) {
        expectProblem(await sim.request({ method, url, key: 'beta' }), 404, new RegExp(`no batch ${id} for this API key`));
      }
      expect((await sim.status(id, 'alpha')).status).toBe('CLOSED');
    });

    it('lets anyone in with auth off', async () => {
      sim = await startTestSim({ auth: false });
      expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: null })).statusCode).toBe(201);
    });
  });

  describe('wrong states answer 409 saying the state and what to do', () => {
    it('accept without a package', async () => {
      sim = await startTestSim();
      const id = await sim.createBatch();
      const body = expectProblem(await sim.accept(id), 409, /is NEW and cannot be accepted\. Upload the ZIP/);
      expect(body).toMatchObject({ batchId: id, batchStatus: 'NEW' });
    });

    it('upload after accept, accept twice, download before CLOSED', async () => {
      sim = await startTestSim({ timing: 'manual' });
      const id = await sim.createBatch();
      await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
      expect((await sim.accept(id)).statusCode).toBe(200);
      expectProblem(await sim.upload(id, await zipOf({ 'b.pdf': samplePdf() })), 409, /ACCEPTED and cannot take an upload/);
      expectProblem(await sim.accept(id), 409, /already accepted/);
      expectProblem(await sim.request({ method: 'GET', url: `/api/batchfile/${id}` }), 409, /until it is CLOSED/);
    });

    it('anything but status on a DELETED batch', async () => {
      sim = await startTestSim();
      const id = await sim.closedBatch();
      await sim.request({ method: 'DELETE', url: `/api/BatchDeleteCache/${id}` });
      expectProblem(await sim.request({ method: 'DELETE', url: `/api/BatchDeleteCache/${id}` }), 409, /DELETED/);
      expectProblem(await sim.request({ method: 'GET', url: `/api/batchfile/${id}` }), 409, /deleted/);
      expectProblem(await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() })), 409, /DELETED/);
      expectProblem(await sim.accept(id), 409, /DELETED/);
      expect((await sim.status(id)).status).toBe('DELETED');
    });

    it('removes package and result files on delete', async () => {
      sim = await startTestSim();
      const id = await sim.closedBatch();
      const before = sim.app.sim.store.getBatch(id)!;
      const { existsSync } = await import('node:fs');
      expect(existsSync(sim.app.sim.blobs.absolute(before.result!.path))).toBe(true);
      await sim.request({ method: 'DELETE', url: `/api/BatchDeleteCache/${id}` });
      expect(existsSync(sim.app.sim.blobs.absolute(before.package!.path))).toBe(false);
      expect(existsSync(sim.app.sim.blobs.absolute(before.result!.path))).toBe(false);
    });
  });

  describe('unknown and malformed ids', () => {
    it('404 unknown, 400 non-integer on every batch route', async () => {
      sim = await startTestSim();
      for (const [method, url] of [
        ['POST', '/api/upload/'],
        ['GET', '/api/BatchStatus/'],
        ['DELETE', '/api/BatchDeleteCache/'],
        ['POST', '/api/AcceptBatch/'],
        ['GET', '/api/batchfile/'],
      ] as const) {
        expectProblem(await sim.request({ method, url: `${url}424242` }), 404, /no batch 424242/);
        expectProblem(await sim.request({ method, url: `${url}x1` }), 400, /batchId/);
        expectProblem(await sim.request({ method, url: `${url}-3` }), 400, /batchId/);
      }
    });
  });

  describe('AcceptBatch takes the id from five places (docs/vendor-contract.md#acceptbatch)', () => {
    const ways: [string, (id: number) => Record<string, unknown>][] = [
      ['path', (id) => ({ url: `/api/AcceptBatch/${id}` })],
      ['query', (id) => ({ url: `/api/AcceptBatch?batchId=${id}` })],
      ['JSON body', (id) => ({ url: '/api/AcceptBatch', payload: { batchId: id } })],
      ['JSON body with a string id', (id) => ({ url: '/api/AcceptBatch', payload: { batchId: String(id) } })],
      ['form field', (id) => ({ url: '/api/AcceptBatch', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `batchId=${id}` })],
      ['bare number (JSON)', (id) => ({ url: '/api/AcceptBatch', headers: { 'content-type': 'application/json' }, payload: String(id) })],
      ['bare number (text)', (id) => ({ url: '/api/AcceptBatch', headers: { 'content-type': 'text/plain' }, payload: String(id) })],
      ['path with an empty JSON body', (id) => ({ url: `/api/AcceptBatch/${id}`, headers: { 'content-type': 'application/json' }, payload: '' })],
    ];
    for (const [name, req] of ways) {
      it(`from the ${name}`, async () => {
        sim = await startTestSim({ timing: 'manual' });
        const id = await sim.createBatch();
        await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
        const res = await sim.request({ method: 'POST', ...req(id) } as any);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id, status: '1' });
      });
    }

    it('400s when no id, a bad id or two different ids are given', async () => {
      sim = await startTestSim();
      expectProblem(await sim.request({ method: 'POST', url: '/api/AcceptBatch' }), 400, /No batchId given.*path.*query.*JSON body.*form field.*bare number/);
      expectProblem(
        await sim.request({ method: 'POST', url: '/api/AcceptBatch', payload: { batchId: 'x' } }),
        400,
        /batchId in the body must be a positive integer/,
      );
      expectProblem(await sim.request({ method: 'POST', url: '/api/AcceptBatch/1?batchId=2' }), 400, /Two different batch ids/);
      // Found by the fuzzer: an object whose toString is not a function cannot be converted at all.
      expectProblem(
        await sim.request({
          method: 'POST',
          url: '/api/AcceptBatch',
          headers: { 'content-type': 'application/json' },
          payload: '{"batchId":{"toString":2.7e-132}}',
        }),
        400,
        /batchId in the body must be a positive integer/,
      );
      expectProblem(
        await sim.request({ method: 'POST', url: '/api/AcceptBatch', headers: { 'content-type': 'application/json' }, payload: '{"batchId": ' }),
        400,
        /batchId in the body/,
      );
    });

    it('lets exactly one of two concurrent accepts win', async () => {
      sim = await startTestSim({ timing: 'manual' });
      const id = await sim.createBatch();
      await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
      const codes = (await Promise.all([sim.accept(id), sim.accept(id)])).map((r) => r.statusCode).sort();
      expect(codes).toEqual([200, 409]);
    });
  });

  describe('upload', () => {
    it('names the package after a Content-Disposition filename', async () => {
      sim = await startTestSim();
      const id = await sim.createBatch();
      const res = await sim.request({
        method: 'POST',
        url: `/api/upload/${id}`,
        headers: { 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="../../invoices.zip"' },
        payload: await zipOf({ 'a.pdf': samplePdf() }),
      });
      expect(res.statusCode).toBe(202);
      expect(res.json().name).toBe('invoices.zip');
    });

    it('tells a multipart sender to send raw bytes', async () => {
      sim = await startTestSim();
      const id = await sim.createBatch();
      const res = await sim.request({
        method: 'POST',
        url: `/api/upload/${id}`,
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        payload: '--x\r\n\r\n--x--',
      });
      expectProblem(res, 415, /not as multipart\/form-data/);
    });

    it('rejects an empty body and a non-ZIP as a 400 and leaves the batch as it was', async () => {
      sim = await startTestSim();
      const id = await sim.createBatch();
      await sim.upload(id, await zipOf({ 'keep.pdf': samplePdf() }));
      expect((await sim.upload(id, Buffer.alloc(0))).statusCode).toBe(400);
      expectProblem(await sim.upload(id, Buffer.from('this is not a zip')), 400, /./);
      const { body } = await sim.status(id);
      expect(body.documents.map((d: any) => d.fileName)).toEqual(['keep.pdf']);
    });

    it('413s a body over the upload limit, keeping nothing of it', async () => {
      sim = await startTestSim({ limits: { ...(await import('../../src/archive/limits.js')).defaultZipLimits, maxUploadBytes: 1000 } });
      const id = await sim.createBatch();
      const res = await sim.upload(id, Buffer.alloc(5000, 1));
      expectProblem(res, 413, /SEAL_SIM_MAX_UPLOAD_BYTES/);
      expect((await sim.status(id)).status).toBe('NEW');
      const { readdirSync } = await import('node:fs');
      expect(readdirSync(sim.app.sim.blobs.absolute('packages'))).toEqual([]);
    });
  });

  describe('JSON styles and status tables', () => {
    it('typed JSON uses numbers and booleans', async () => {
      sim = await startTestSim({ json: 'typed' });
      const created = (await sim.request({ method: 'POST', url: '/api/CreateBatch/1' })).json();
      expect(created).toEqual({ id: expect.any(Number), providerSettingsId: 1, creationDate: '2026-01-01 12:00:00', status: 0 });
      const up = (await sim.upload(created.id, await zipOf({ 'a.pdf': samplePdf() }))).json();
      expect(up).toMatchObject({ id: expect.any(Number), counterpartyId: 1, signed: false, isZip: true, tsaId: 1, batchId: created.id });
      expect((await sim.accept(created.id)).json()).toMatchObject({ status: 1, providerSettingsId: 1 });
      await sim.app.sim.worker.idle();
      const status = (await sim.status(created.id)).body;
      expect(status.documents[0]).toEqual({ id: expect.any(Number), signed: true, fileName: 'a.pdf', signingResult_Success: true });
    });

    it('status table B shows UPLOADED and shifts every code by one', async () => {
      sim = await startTestSim({ statusTable: 'B', timing: 'manual' });
      const id = await sim.createBatch();
      await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
      expect((await sim.status(id)).status).toBe('UPLOADED');
      expect((await sim.accept(id)).json().status).toBe('2');
    });

    it('status table A shows an uploaded batch as NEW', async () => {
      sim = await startTestSim({ statusTable: 'A', timing: 'manual' });
      const id = await sim.createBatch();
      await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
      expect((await sim.status(id)).status).toBe('NEW');
      expect((await sim.accept(id)).json().status).toBe('1');
    });
  });

  describe('health', () => {
    it('answers 200 without an API key while the store is writable', async () => {
      sim = await startTestSim();
      const res = await sim.request({ method: 'GET', url: '/_simulator/health', key: null });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'ok' });
    });

    it('answers 503 when the store cannot be written', async () => {
      sim = await startTestSim();
      sim.app.sim.store.close();
      expectProblem(await sim.request({ method: 'GET', url: '/_simulator/health', key: null }), 503, /not writable/);
    });
  });

  it('masks unexpected errors as a 500 problem with a trace id', async () => {
    sim = await startTestSim();
    const id = await sim.createBatch();
    sim.app.sim.store.getBatch = () => {
      throw new Error('secret internals');
    };
    const body = expectProblem(await sim.request({ method: 'GET', url: `/api/BatchStatus/${id}` }), 500, /traceId/);
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });
});
