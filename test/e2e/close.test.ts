import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../src/index.js';
import { zipOf } from '../helpers/zip.js';
import { REPO_ROOT, runCli, startCli } from './process.js';

/**
 * `close()` from the user's seat: a simulator started the way the README tells a test suite to,
 * spoken to over real HTTP with Node's own `fetch` (keep-alive connections that outlive each
 * request), closed while clients still hold connections. The bound is the requirement itself:
 * close() returns within 1 s, and leaves no temporary directory behind.
 */

const CLOSE_BOUND_MS = 1_000;
const INVOICE = readFileSync(join(REPO_ROOT, 'fixtures', 'documents', 'invoice.pdf'));

let sims: RunningSimulator[] = [];
afterEach(async () => {
  // A close that hangs must fail the test that caused it, not the next one: give up waiting here.
  await Promise.race([Promise.all(sims.map((s) => s.close())), new Promise((r) => setTimeout(r, 2_000))]);
  sims = [];
});

async function start(options: Parameters<typeof startSimulator>[0] = {}): Promise<RunningSimulator> {
  const sim = await startSimulator(options);
  sims.push(sim);
  return sim;
}

/** Milliseconds close() took, or Infinity when it had not returned after `limitMs`. */
async function timedClose(sim: RunningSimulator, limitMs = 5_000): Promise<number> {
  const started = performance.now();
  const done = await Promise.race([sim.close().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), limitMs))]);
  return done ? performance.now() - started : Infinity;
}

/** Create, upload, accept, wait for CLOSED (bounded), all through real HTTP. */
async function closedBatch(sim: RunningSimulator, files: Record<string, Buffer>, processId = 1, compress = true): Promise<number> {
  const created = await sim.fetch(`/api/CreateBatch/${processId}`, { method: 'POST' });
  expect(created.status).toBe(201);
  const id = Number(((await created.json()) as { id: string }).id);
  const upload = await sim.fetch(`/api/upload/${id}`, {
    method: 'POST',
    body: new Uint8Array(await zipOf(files, { compress })),
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(upload.status, await upload.text()).toBe(202);
  expect((await sim.fetch(`/api/AcceptBatch/${id}`, { method: 'POST' })).status).toBe(200);
  const deadline = Date.now() + 90_000; // a first seal waits for the test PKI's keys: slow on a busy machine
  for (;;) {
    const status = ((await (await sim.fetch(`/api/BatchStatus/${id}`)).json()) as { status: string }).status;
    if (status === 'CLOSED') return id;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('startSimulator().close() whatever the clients do', { timeout: 180_000 }, () => {
  it('after downloads with keep-alive connections (the README fixture, default signer), three times over', async () => {
    for (let round = 0; round < 3; round++) {
      // The default signer once (what the README shows); the race is in the download, not the signer.
      const sim = await start(round === 0 ? {} : { signer: 'placeholder' });
      const id = await closedBatch(sim, { 'a.pdf': INVOICE, 'b.pdf': INVOICE });
      const download = await sim.fetch(`/api/batchfile/${id}`);
      expect(download.status).toBe(200);
      expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(INVOICE.length);
      const ms = await timedClose(sim);
      expect(ms, `round ${round}`).toBeLessThan(CLOSE_BOUND_MS);
      expect(existsSync(sim.app.sim.dataDir), 'the temporary data directory (test PKI keys included)').toBe(false);
    }
  });

  it('with a download in flight that the client has stopped reading', async () => {
    const sim = await start({ signer: 'placeholder' });
    // 24 MiB that cannot be compressed: more than every socket buffer between server and client.
    const id = await closedBatch(sim, { 'big.bin': randomBytes(24 * 1024 * 1024) }, 6, false);
    const download = await sim.fetch(`/api/batchfile/${id}`);
    expect(download.status).toBe(200);
    const reader = download.body!.getReader();
    await reader.read(); // the first bytes, then nothing more
    const ms = await timedClose(sim);
    expect(ms).toBeLessThan(CLOSE_BOUND_MS);
    await reader.cancel().catch(() => {});
    expect(existsSync(sim.app.sim.dataDir)).toBe(false);
  });

  it('during a dribble fault', async () => {
    const sim = await start({ signer: 'placeholder' });
    const id = await closedBatch(sim, { 'a.pdf': INVOICE });
    // 64 bytes every 100 ms: the download would take minutes.
    const download = await sim.fetch(`/api/batchfile/${id}`, { headers: { prefer: 'fault=dribble; chunkBytes=64; intervalMs=100' } });
    expect(download.status).toBe(200);
    const body = download.arrayBuffer().catch((e: unknown) => e);
    const ms = await timedClose(sim);
    expect(ms).toBeLessThan(CLOSE_BOUND_MS);
    expect(await body).toBeInstanceOf(Error); // cut, not completed
    expect(existsSync(sim.app.sim.dataDir)).toBe(false);
  });

  it('during a slow upload', async () => {
    const sim = await start({ signer: 'placeholder' });
    const created = await sim.fetch('/api/CreateBatch/1', { method: 'POST' });
    const id = Number(((await created.json()) as { id: string }).id);
    const zip = await zipOf({ 'a.pdf': INVOICE });
    const req = httpRequest(`${sim.url}/api/upload/${id}`, {
      method: 'POST',
      headers: { ...sim.headers, 'content-type': 'application/octet-stream', 'content-length': zip.length, expect: '100-continue' },
    });
    const outcome = new Promise<unknown>((resolve) => {
      req.on('response', (res) => resolve(res.statusCode));
      req.on('error', resolve);
    });
    const routed = new Promise<void>((resolve) => req.once('continue', () => resolve()));
    req.flushHeaders();
    await routed;
    req.write(zip.subarray(0, zip.length >> 1)); // half the body, and the rest never comes
    await new Promise((r) => setTimeout(r, 50));
    const ms = await timedClose(sim);
    expect(ms).toBeLessThan(CLOSE_BOUND_MS);
    expect(await outcome).toBeInstanceOf(Error); // the connection was cut
    expect(existsSync(sim.app.sim.dataDir)).toBe(false);
  });

  it('with an idle keep-alive connection, and twice', async () => {
    const sim = await start({ signer: 'placeholder' });
    expect((await sim.fetch('/_simulator/health')).status).toBe(200);
    expect(await timedClose(sim)).toBeLessThan(CLOSE_BOUND_MS);
    expect(await timedClose(sim)).toBeLessThan(CLOSE_BOUND_MS);
  });
});

describe('no temporary directory survives the CLI or a failed start', { timeout: 60_000 }, () => {
  // Each process gets its own TMPDIR, so "nothing left" is exact even with other tests running.
  const dirs: string[] = [];
  const freshTmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-close-tmp-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} of the CLI, with a keep-alive client connected`, async () => {
      const tmp = freshTmp();
      const cli = await startCli(['--port', '0', '--timing', 'instant', '--log-level', 'info'], { env: { TMPDIR: tmp } });
      try {
        expect(readdirSync(tmp).filter((n) => n.startsWith('seal-simulator-'))).toHaveLength(1);
        const headers = { 'API-KEY': 'cli-key' };
        const created = await fetch(`${cli.url}/api/CreateBatch/1`, { method: 'POST', headers });
        expect((await created.json()) as object).toHaveProperty('id');
        const exit = await cli.stop(signal, 15_000);
        expect(exit.code, cli.stdout()).toBe(0);
        expect(exit.ms).toBeLessThan(5_000);
        expect(readdirSync(tmp)).toEqual([]);
      } finally {
        await cli.stop('SIGKILL').catch(() => {});
      }
    });
  }

  it('a CLI start that fails (port in use)', async () => {
    const tmp = freshTmp();
    const first = await startCli(['--port', '0'], { env: { TMPDIR: freshTmp() } });
    try {
      // The placeholder signer starts no sealing process: nothing else keeps the process alive
      // while the PKI's idle thread is ended (it once exited 0 in silence then).
      for (const signer of ['real', 'placeholder']) {
        const result = await runCli(['--port', String(new URL(first.url).port), '--signer', signer], { env: { TMPDIR: tmp } });
        expect(result.code, signer).toBe(1);
        expect(result.stderr, signer).toMatch(/EADDRINUSE|in use/);
        expect(readdirSync(tmp), signer).toEqual([]);
      }
    } finally {
      await first.stop('SIGTERM');
    }
  });

  it('a startSimulator() that fails (bad processes file, then port in use)', async () => {
    const tmp = freshTmp();
    const sim = await start({ signer: 'placeholder' });
    const script = `
      const { startSimulator } = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'src', 'index.js'))});
      const errors = [];
      await startSimulator({ processesFile: '/nonexistent/processes.json' }).catch((e) => errors.push(e.message));
      await startSimulator({ port: ${sim.port} }).catch((e) => errors.push(e.message));
      await startSimulator({ port: ${sim.port}, signer: 'placeholder' }).catch((e) => errors.push(e.message));
      process.stdout.write(JSON.stringify({ errors, left: (await import('node:fs')).readdirSync(${JSON.stringify(tmp)}) }));
    `;
    const { execFileSync } = await import('node:child_process');
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' }),
    ) as {
      errors: string[];
      left: string[];
    };
    expect(out.errors).toHaveLength(3);
    expect(out.errors[2]).toMatch(/EADDRINUSE|in use/);
    expect(out.left).toEqual([]);
  });
});
