import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { samplePdf, zipOf } from '../helpers/sim.js';

/** Faults that act on the socket need a real socket: the server listens on loopback in-process. */
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(defaultConfig({ port: 0, timing: 'instant', signer: 'placeholder', logLevel: 'silent' }), { logger: false });
});
afterAll(() => server?.close());

const KEY = 'sockets';
type Outcome = { status?: number; body: Buffer; error?: string; ms: number; chunks: number; headers?: Record<string, unknown> };

function send(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers: { 'API-KEY': KEY, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (error?: string) =>
        resolve({ status: res.statusCode, body: Buffer.concat(chunks), error, ms: performance.now() - started, chunks: chunks.length, headers: res.headers });
      res.on('end', () => done());
      res.on('error', (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
      res.on('aborted', () => done('aborted'));
    });
    req.on('error', (e) =>
      resolve({ body: Buffer.alloc(0), error: (e as NodeJS.ErrnoException).code ?? e.message, ms: performance.now() - started, chunks: 0 }),
    );
    req.end(body);
  });
}

const addFault = (spec: object) =>
  fetch(`${server.url}/_simulator/faults`, { method: 'POST', headers: { 'API-KEY': KEY, 'content-type': 'application/json' }, body: JSON.stringify(spec) });

async function closedBatch(): Promise<number> {
  const id = Number((JSON.parse((await send('POST', '/api/CreateBatch/1')).body.toString()) as { id: string }).id);
  await send('POST', `/api/upload/${id}`, await zipOf({ 'a.pdf': samplePdf(), 'b.pdf': samplePdf('b'.repeat(2000)) }), {
    'content-type': 'application/octet-stream',
  });
  await send('POST', `/api/AcceptBatch/${id}`);
  await server.app.sim.worker.idle();
  return id;
}

describe('socket-level faults over real HTTP', () => {
  it('resets the connection', async () => {
    await addFault({ route: 'BatchStatus', kind: 'reset' });
    const out = await send('GET', '/api/BatchStatus/1');
    expect(out.status).toBeUndefined();
    expect(out.error).toMatch(/ECONNRESET|socket hang up/);
    const entry = server.app.sim.journal.query({ route: 'BatchStatus' }).at(-1)!;
    expect(entry.fault).toMatch(/^reset/);
  });

  it('closes without a reply', async () => {
    await addFault({ route: 'CreateBatch', kind: 'empty' });
    const out = await send('POST', '/api/CreateBatch/1');
    expect(out.status).toBeUndefined();
    expect(out.error).toMatch(/socket hang up|ECONNRESET/);
    expect((await send('POST', '/api/CreateBatch/1')).status).toBe(201); // and keeps serving
  });

  it('dribbles a body slowly in chunks, complete in the end', async () => {
    const id = await closedBatch();
    const normal = await send('GET', `/api/BatchStatus/${id}`);
    await addFault({ route: 'BatchStatus', kind: 'dribble', chunkBytes: 20, intervalMs: 20 });
    const slow = await send('GET', `/api/BatchStatus/${id}`);
    expect(slow.status).toBe(200);
    expect(slow.body.equals(normal.body)).toBe(true);
    expect(slow.chunks).toBeGreaterThan(3);
    expect(slow.ms).toBeGreaterThan(60);
  });

  it('cuts a download off midway', async () => {
    const id = await closedBatch();
    const full = await send('GET', `/api/batchfile/${id}`);
    expect(full.status).toBe(200);
    await addFault({ route: 'batchfile', kind: 'truncate-download', fraction: 0.5 });
    const cut = await send('GET', `/api/batchfile/${id}`);
    expect(cut.status).toBe(200);
    expect(cut.error).toBeDefined();
    expect(cut.body.length).toBeLessThan(full.body.length);
    expect(Number(cut.headers!['content-length'])).toBe(full.body.length);
    expect((await send('GET', `/api/batchfile/${id}`)).body.equals(full.body)).toBe(true);
  });
});
