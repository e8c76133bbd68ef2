import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf, zipOf } from '../helpers/sim.js';
import { logLines, type SimProcess, startCli, waitFor } from './process.js';

/**
 * The real process, real HTTP on loopback: the whole lifecycle as an integrator's program sees it.
 * Time is driven through the control API (the tenant's clock is frozen, then advanced), so every
 * status is observed deterministically without sleeping.
 */
let sim: SimProcess;
beforeAll(async () => {
  sim = await startCli(['--port', '0', '--timing', 'fast', '--signer', 'placeholder']);
});
afterAll(async () => {
  await sim?.stop();
});

const KEY = 'e2e-key';
const call = async (method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}) => {
  const res = await fetch(`${sim.url}${path}`, { method, body, headers: { 'API-KEY': KEY, ...headers } });
  return res;
};

describe('end to end over HTTP', () => {
  it('walks a batch through every status, downloads and deletes it', async () => {
    expect((await call('PUT', '/_simulator/clock', JSON.stringify({ speed: 0 }), { 'content-type': 'application/json' })).status).toBe(200);
    const advance = (by: number) => call('POST', '/_simulator/clock/advance', JSON.stringify({ by }), { 'content-type': 'application/json' });
    const status = async (id: number) => ((await (await call('GET', `/api/BatchStatus/${id}`)).json()) as { status: string }).status;

    const created = await call('POST', '/api/CreateBatch/1');
    expect(created.status).toBe(201);
    const id = Number(((await created.json()) as { id: string }).id);

    const zip = await zipOf({ 'a.pdf': samplePdf(), 'b.pdf': samplePdf('second') });
    const up = await call('POST', `/api/upload/${id}`, new Uint8Array(zip), { 'content-type': 'application/octet-stream' });
    expect(up.status).toBe(202);
    expect(await status(id)).toBe('NEW');

    const accepted = await call('POST', '/api/AcceptBatch', JSON.stringify({ batchId: id }), { 'content-type': 'application/json' });
    expect(accepted.status).toBe(200);
    expect(await status(id)).toBe('ACCEPTED');
    await advance(400);
    expect(await status(id)).toBe('READY');
    await advance(400);
    expect(await status(id)).toBe('IN_PROGRESS');
    // The worker runs in real time; wait for its result, then the virtual clock decides.
    await waitFor('the worker to finish', async () => {
      const detail = (await (await call('GET', `/_simulator/batches/${id}`)).json()) as { result: unknown };
      return detail.result ?? undefined;
    });
    await advance(600);
    expect(await status(id)).toBe('FINISHING');
    await advance(400);
    expect(await status(id)).toBe('CLOSED');

    const download = await call('GET', `/api/batchfile/${id}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(Number(download.headers.get('content-length'))).toBe(bytes.length);

    const deleted = await call('DELETE', `/api/BatchDeleteCache/${id}`);
    expect(((await deleted.json()) as { status: string }).status).toBe('DELETED');
    expect(await status(id)).toBe('DELETED');

    // One JSON log line per transition, with batchId, from and to.
    const moves = logLines(sim.stdout())
      .filter((l) => l.batchId === id && l.from !== undefined)
      .map((l) => `${l.from}>${l.to}`);
    expect(moves).toEqual([
      'NEW>UPLOADED',
      'UPLOADED>ACCEPTED',
      'ACCEPTED>READY',
      'READY>IN_PROGRESS',
      'IN_PROGRESS>FINISHING',
      'FINISHING>CLOSED',
      'CLOSED>DELETED',
    ]);
    // …and one line per request, each with a request id.
    const requests = logLines(sim.stdout()).filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(10);
    expect(requests.every((l) => typeof l.reqId === 'string')).toBe(true);
  });

  it('answers hostile bytes with a problem and keeps serving', async () => {
    const id = Number(((await (await call('POST', '/api/CreateBatch/2')).json()) as { id: string }).id);
    const res = await call('POST', `/api/upload/${id}`, new Uint8Array(Buffer.from('PK\u0003\u0004garbage')), {
      'content-type': 'application/octet-stream',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await fetch(`${sim.url}/_simulator/health`)).status).toBe(200);
  });
});
