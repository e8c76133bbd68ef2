import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf, zipOf } from '../helpers/sim.js';
import { logLines, type SimProcess, startCli, waitFor } from './process.js';

/**
 * Hostile and careless clients against the real process, over real sockets: slow and stalled
 * uploads and bodies are cut off (408, partial files removed), one key cannot hold more than its
 * share of uploads, a client that hangs up mid-upload is not a server error, no secret reaches
 * the log, and a caller's pattern cannot freeze the server. Settings are small so this is quick.
 */
const ADMIN_TOKEN = 'S3CRET-admin-token-7f1c';
const QUERY_SECRET = 'Q-secret-api-key-99d2';
let sim: SimProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'seal-hostile-'));
  sim = await startCli([
    '--port',
    '0',
    '--signer',
    'placeholder',
    '--timing',
    'instant',
    '--data-dir',
    dataDir,
    '--admin-token',
    ADMIN_TOKEN,
    '--request-timeout-ms',
    '1000',
    '--upload-timeout-ms',
    '8000',
    '--upload-min-bytes-per-second',
    '1000',
    '--max-uploads-per-key',
    '2',
    '--pki-key-algorithm',
    'ECDSA-P256',
  ]);
  // The test PKI is made in the background after start; let that finish before timing anything.
  expect((await fetch(`${sim.url}/_simulator/pki/ca.pem`)).status).toBe(200);
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const url = () => new URL(sim.url);

async function createBatch(key: string): Promise<number> {
  const res = await fetch(`${sim.url}/api/CreateBatch/1`, { method: 'POST', headers: { 'API-KEY': key } });
  return Number(((await res.json()) as { id: string }).id);
}

interface RawResult {
  /** Everything the server sent before the connection closed. */
  response: string;
  /** ms from connect to close. */
  ms: number;
}

/**
 * A raw HTTP client: sends `head`, then `chunk` every `everyMs` until `stopAfter` chunks (or
 * forever), and resolves when the server closes the connection (or `giveUpMs` passes).
 */
function rawRequest(
  head: string,
  opts: { chunk?: Buffer; everyMs?: number; stopAfter?: number; giveUpMs?: number; hangUpAfterMs?: number; onData?: (soFar: string) => void } = {},
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(url().port), url().hostname);
    let response = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ response, ms: Date.now() - started });
    };
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${opts.giveUpMs ?? 20_000} ms; got ${JSON.stringify(response.slice(0, 200))}`));
    }, opts.giveUpMs ?? 20_000);
    socket.on('data', (d) => {
      response += d.toString('latin1');
      opts.onData?.(response);
    });
    socket.on('error', () => {}); // a reset is one way of being cut off
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(head);
      if (!opts.chunk) return;
      timer = setInterval(() => {
        if (socket.destroyed || (opts.stopAfter !== undefined && sent >= opts.stopAfter)) return;
        socket.write(opts.chunk!);
        sent++;
      }, opts.everyMs ?? 200);
      if (opts.hangUpAfterMs !== undefined) setTimeout(() => socket.destroy(), opts.hangUpAfterMs);
    });
  });
}

const uploadHead = (batchId: number, key: string, length: number) =>
  `POST /api/upload/${batchId} HTTP/1.1\r\nHost: x\r\nAPI-KEY: ${key}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;

/** Package files of a batch left in the data directory, complete (`7-….zip`) or partial (`.7-….zip.….part`). */
const packageFiles = (batchId: number) => readdirSync(join(dataDir, 'packages')).filter((f) => f.startsWith(`${batchId}-`) || f.startsWith(`.${batchId}-`));
const noFilesOf = (batchId: number) =>
  waitFor(`the partial files of batch ${batchId} to go`, async () => (packageFiles(batchId).length === 0 ? true : undefined), 5_000);
const uploadZip = async (batchId: number, key: string) =>
  fetch(`${sim.url}/api/upload/${batchId}`, {
    method: 'POST',
    headers: { 'API-KEY': key, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(await zipOf({ 'a.pdf': samplePdf() })),
  });
const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

describe('slow and idle clients are cut off', { timeout: 60_000 }, () => {
  it('uploads below the minimum rate get 408 and leave no file; a key cannot hold more than its upload slots', async () => {
    const ids = [await createBatch('slow-key'), await createBatch('slow-key'), await createBatch('slow-key')];
    const other = await createBatch('other-key');
    // A client sending 16 bytes every 10 s must not hold an upload (a socket and a file handle) open for ever.
    // Three slow uploads of one key at once, with two slots per key: whichever reaches the server
    // last is refused at once, the other two hold the slots until they are cut off.
    let refusedNow: (response: string) => void = () => {};
    const refused = new Promise<string>((r) => (refusedNow = r));
    const slow = ids.map((id) =>
      rawRequest(uploadHead(id, 'slow-key', 1_000_000), {
        chunk: Buffer.alloc(16, 1),
        everyMs: 250,
        onData: (soFar) => statusOf(soFar) === 429 && /\}\s*(0\s*)?$/.test(soFar) && refusedNow(soFar),
      }),
    );
    const third = await refused;
    expect(JSON.parse(third.slice(third.indexOf('{'), third.lastIndexOf('}') + 1))).toMatchObject({
      setting: 'SEAL_SIM_MAX_UPLOADS_PER_KEY',
      limit: 2,
      type: 'urn:seal-simulator:problem:too-many-uploads',
    });
    // Another key is not affected.
    expect((await uploadZip(other, 'other-key')).status).toBe(202);

    const results = await Promise.all(slow);
    expect(results.map((r) => statusOf(r.response)).sort()).toEqual([408, 408, 429]);
    for (const result of results.filter((r) => statusOf(r.response) === 408)) {
      expect(result.ms).toBeLessThan(15_000); // the rate is measured over 5 s
      expect(result.response).toMatch(/SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND/);
    }
    for (const id of ids) await noFilesOf(id);
    // The slots are free again.
    expect((await uploadZip(ids[0]!, 'slow-key')).status).toBe(202);
  });

  it('an upload that keeps a decent rate but never ends is cut at the upload deadline', async () => {
    const id = await createBatch('deadline-key');
    const result = await rawRequest(uploadHead(id, 'deadline-key', 100_000_000), { chunk: Buffer.alloc(1024, 1), everyMs: 100 });
    expect(statusOf(result.response)).toBe(408);
    expect(result.response).toMatch(/SEAL_SIM_UPLOAD_TIMEOUT_MS/);
    expect(result.ms).toBeGreaterThan(7_000);
    await noFilesOf(id);
  });

  it('a request body that stalls gets 408 within the request timeout', async () => {
    const head = 'POST /api/AcceptBatch HTTP/1.1\r\nHost: x\r\nAPI-KEY: k\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"batchId":';
    const result = await rawRequest(head);
    expect(statusOf(result.response)).toBe(408);
    expect(result.response).toMatch(/SEAL_SIM_REQUEST_TIMEOUT_MS/);
    expect(result.ms).toBeLessThan(10_000);
  });

  it('headers that never finish are cut off', async () => {
    const result = await rawRequest('GET /api/BatchStatus/1 HTTP/1.1\r\nHost: x\r\nAPI-KEY: k\r\n');
    expect(result.ms).toBeLessThan(10_000);
    expect([0, 408]).toContain(statusOf(result.response));
  });

  it('a client that hangs up mid-upload is logged at info without a stack, and its partial file is removed', async () => {
    const id = await createBatch('gone-key');
    const logFrom = sim.stdout().length;
    await rawRequest(uploadHead(id, 'gone-key', 1_000_000), { chunk: Buffer.alloc(64 * 1024, 1), everyMs: 20, hangUpAfterMs: 300 });
    const lines = await waitFor(
      'the disconnect to be logged',
      async () => {
        const found = logLines(sim.stdout().slice(logFrom)).filter((l) => /closed the connection/.test(String(l.msg)));
        return found.length > 0 ? logLines(sim.stdout().slice(logFrom)) : undefined;
      },
      5_000,
    );
    const line = lines.find((l) => /closed the connection/.test(String(l.msg)))!;
    expect(line.level).toBe(30);
    expect(JSON.stringify(line)).not.toMatch(/stack|"err"/);
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
    await noFilesOf(id);
  });
});

describe('secrets never reach the log', { timeout: 30_000 }, () => {
  it('redacts the admin token and credential query parameters from every logged URL and the journal', async () => {
    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await fetch(`${sim.url}/_simulator/state?scope=all&token=${ADMIN_TOKEN}`)).status).toBe(200);
    const board = await fetch(`${sim.url}/_simulator/?token=${ADMIN_TOKEN}`, { redirect: 'manual' });
    expect(board.status).toBe(303);
    expect((await fetch(`${sim.url}/_simulator/batches?token=wrong-${ADMIN_TOKEN}`)).status).toBe(401);
    expect((await fetch(`${sim.url}/api/BatchStatus/1?api_key=${QUERY_SECRET}&x=1`, { headers: { 'API-KEY': 'k' } })).status).toBe(404);
    expect((await fetch(`${sim.url}/api/BatchStatus/1?token=${QUERY_SECRET}`, { headers: { 'API-KEY': 'k' } })).status).toBe(404);
    const journal = await (await fetch(`${sim.url}/_simulator/journal?scope=all`, { headers: bearer })).text();
    expect(journal).toContain('api_key=[redacted]&x=1');
    expect(journal).not.toContain(QUERY_SECRET);
    await waitFor('the request lines', async () => (sim.stdout().includes('api_key=[redacted]') ? true : undefined), 5_000);
    const out = sim.stdout() + sim.stderr();
    expect(out).not.toContain(ADMIN_TOKEN);
    expect(out).not.toContain(QUERY_SECRET);
    expect(out).toContain('token=[redacted]');
  });
});

describe("a caller's pattern cannot freeze the server", { timeout: 30_000 }, () => {
  it('a catastrophically backtracking pattern is refused at once, and health answers promptly while verify runs', async () => {
    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    await fetch(`${sim.url}/api/BatchStatus/1?${'a'.repeat(30)}`, { headers: { 'API-KEY': 'pattern-key' } });
    // Run, this pattern against that path would freeze the event loop for seconds.
    const started = Date.now();
    const [verify, health] = await Promise.all([
      fetch(`${sim.url}/_simulator/journal/verify?scope=all`, {
        method: 'POST',
        headers: bearer,
        body: JSON.stringify({ expected: [{ path: '/^\\/api\\/BatchStatus\\/1\\?(a+)+$/' }] }),
      }),
      new Promise((r) => setTimeout(r, 20)).then(() => fetch(`${sim.url}/_simulator/health`)),
    ]);
    expect(health.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000); // generous for a shared machine; running the pattern would take far longer
    expect(verify.status).toBe(400);
    expect(((await verify.json()) as { detail: string }).detail).toMatch(/glob/);
    // The same kind of hostile pattern as a glob runs in linear time.
    const glob = await fetch(`${sim.url}/_simulator/journal/verify?scope=all`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({ expected: [{ path: `${'*a'.repeat(200)}b` }] }),
    });
    expect(glob.status).toBe(200);
    expect(((await glob.json()) as { matched: boolean }).matched).toBe(false);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
