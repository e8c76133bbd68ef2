import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entryNames, samplePdf, zipOf } from '../helpers/sim.js';
import { assertBuilt, logLines, type SimProcess, startCli, waitFor } from './process.js';

/**
 * Graceful shutdown of the real process: SIGTERM while a batch is being processed exits 0 within
 * the bound, loses nothing, and the next start on the same database and data directory finishes
 * the batch. Status is polled (bounded), never waited for with a fixed sleep.
 */

const KEY = 'shutdown-key';
/** The CLI exits by itself within 8 s; allow for a busy 2-core machine. */
const EXIT_BOUND_MS = 12_000;
const PROCESSING = ['ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING'];

let dir: string;
let sim: SimProcess | undefined;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'seal-shutdown-'));
});
afterEach(async () => {
  await sim?.stop('SIGKILL').catch(() => {});
  sim = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (name: string, extra: string[] = []) =>
  startCli(['--port', '0', '--timing', 'fast', '--db', join(dir, `${name}.sqlite`), '--data-dir', join(dir, name), '--log-level', 'info', ...extra]);

async function call(url: string, method: string, path: string, body?: Buffer): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    body: body ? new Uint8Array(body) : undefined,
    headers: { 'API-KEY': KEY, ...(body ? { 'content-type': 'application/octet-stream' } : {}) },
    signal: AbortSignal.timeout(15_000),
  });
}

const statusOf = async (url: string, id: number): Promise<string> =>
  ((await (await call(url, 'GET', `/api/BatchStatus/${id}`)).json()) as { status: string }).status;

describe('graceful shutdown', { timeout: 90_000 }, () => {
  it('SIGTERM during processing exits 0 in time; a restart on the same data finishes the batch', async () => {
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`doc-${String(i).padStart(2, '0')}.pdf`, samplePdf(`document ${i}`)]));
    sim = await start('during-processing');
    const created = await call(sim.url, 'POST', '/api/CreateBatch/1');
    expect(created.status).toBe(201);
    const id = Number(((await created.json()) as { id: string }).id);
    expect((await call(sim.url, 'POST', `/api/upload/${id}`, await zipOf(files))).status).toBe(202);
    expect((await call(sim.url, 'POST', `/api/AcceptBatch/${id}`)).status).toBe(200);
    // The fast profile keeps an accepted batch processing for about 1.8 s: stop inside that window.
    const before = await statusOf(sim.url, id);
    expect(PROCESSING).toContain(before);

    const exit = await sim.stop('SIGTERM', EXIT_BOUND_MS + 5_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(EXIT_BOUND_MS);
    const messages = logLines(sim.stdout()).map((l) => l.msg);
    expect(messages).toContain('shutting down');
    expect(messages.at(-1)).toBe('stopped');

    sim = await start('during-processing');
    const url = sim.url;
    const final = await waitFor(
      'the batch to be CLOSED after the restart',
      async () => {
        const s = await statusOf(url, id);
        return s === 'CLOSED' ? s : undefined;
      },
      20_000,
    );
    expect(final).toBe('CLOSED');
    const status = (await (await call(url, 'GET', `/api/BatchStatus/${id}`)).json()) as { documents: { fileName: string; signed: string }[] };
    expect(status.documents.map((d) => d.fileName).sort()).toEqual(Object.keys(files).sort());
    expect(status.documents.every((d) => d.signed === 'true')).toBe(true);

    const download = await call(url, 'GET', `/api/batchfile/${id}`);
    expect(download.status).toBe(200);
    const names = await entryNames(Buffer.from(await download.arrayBuffer()));
    for (const name of Object.keys(files)) expect(names).toContain(name);

    expect((await sim.stop('SIGTERM', EXIT_BOUND_MS + 5_000)).code).toBe(0);
  });

  it('finishes a request in flight before exiting, and refuses new connections meanwhile', async () => {
    sim = await start('in-flight');
    const { url } = sim;
    const created = await call(url, 'POST', '/api/CreateBatch/1');
    const id = Number(((await created.json()) as { id: string }).id);
    const zip = await zipOf({ 'slow.pdf': samplePdf('slow upload') });
    const half = Math.floor(zip.length / 2);

    // An upload whose body arrives in two halves, with SIGTERM in between.
    const { port } = new URL(url);
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/api/upload/${id}`,
      agent: false,
      // 100-continue: the interim answer tells us the server has read the headers and routed the
      // request, so it is in flight before the signal.
      headers: { 'API-KEY': KEY, 'content-type': 'application/octet-stream', 'content-length': zip.length, expect: '100-continue' },
    });
    const routed = new Promise<void>((resolve) => req.once('continue', () => resolve()));
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    req.flushHeaders();
    await Promise.race([routed, new Promise((_, reject) => setTimeout(() => reject(new Error('no 100 Continue')), 10_000))]);
    req.write(zip.subarray(0, half));

    sim.child.kill('SIGTERM');
    await waitFor('the shutdown to begin', async () => (sim!.stdout().includes('"msg":"shutting down"') ? true : undefined), 5_000, 20);
    // New requests are turned away once shutdown has begun: a refused connection, or 503.
    const late = await fetch(`${url}/_simulator/health`, { signal: AbortSignal.timeout(5_000) }).catch((e: unknown) => e);
    expect(late instanceof Error || (late as Response).status === 503, String(late)).toBe(true);

    req.end(zip.subarray(half));
    const res = await response;
    expect(res.status, res.body).toBe(202);

    const exited = await Promise.race([sim.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), EXIT_BOUND_MS))]);
    expect(exited).toMatchObject({ code: 0 });

    // The upload that finished in flight was recorded.
    sim = await start('in-flight');
    const after = (await (await call(sim.url, 'GET', `/api/BatchStatus/${id}`)).json()) as { status: string; documents: { fileName: string }[] };
    expect(after.status).toBe('NEW');
    expect(after.documents.map((d) => d.fileName)).toEqual(['slow.pdf']);
  });
});
