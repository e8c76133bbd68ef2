import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf, unzip, zipOf } from '../helpers/sim.js';
import { assertBuilt, type SimProcess, startCli, waitFor } from './process.js';

/**
 * A package of 1,000 files through the real process: upload (inspected entry by entry), seal,
 * download. Node prints a MaxListenersExceededWarning on stderr when one FileHandle gains a
 * listener per read stream; nothing of the kind may appear, whatever the number of files.
 */

const FILES = 1_000;
const KEY = 'many-files-key';
let sim: SimProcess | undefined;

beforeAll(() => assertBuilt());
afterEach(async () => {
  await sim?.stop('SIGTERM').catch(() => {});
  sim = undefined;
});

describe('a package of 1,000 files', { timeout: 180_000 }, () => {
  it('is uploaded, sealed and downloaded with nothing on stderr', async () => {
    sim = await startCli(['--port', '0', '--timing', 'instant', '--signer', 'placeholder']);
    const { url } = sim;
    const call = (method: string, path: string, body?: Buffer) =>
      fetch(`${url}${path}`, {
        method,
        body: body ? new Uint8Array(body) : undefined,
        headers: { 'API-KEY': KEY, ...(body ? { 'content-type': 'application/octet-stream' } : {}) },
        signal: AbortSignal.timeout(60_000),
      });
    const files = Object.fromEntries(Array.from({ length: FILES }, (_, i) => [`doc-${String(i).padStart(4, '0')}.pdf`, samplePdf(`document ${i}`)]));
    const id = Number(((await (await call('POST', '/api/CreateBatch/1')).json()) as { id: string }).id);
    const upload = await call('POST', `/api/upload/${id}`, await zipOf(files));
    expect(upload.status, await upload.text()).toBe(202);
    expect((await call('POST', `/api/AcceptBatch/${id}`)).status).toBe(200);
    await waitFor(
      'the batch to be CLOSED',
      async () => (((await (await call('GET', `/api/BatchStatus/${id}`)).json()) as { status: string }).status === 'CLOSED' ? true : undefined),
      120_000,
    );
    const download = await call('GET', `/api/batchfile/${id}`);
    expect(download.status).toBe(200);
    const result = await unzip(Buffer.from(await download.arrayBuffer()));
    expect(result.size).toBe(FILES);

    expect(sim.stderr()).not.toMatch(/MaxListenersExceeded/);
    expect(sim.stderr()).toBe('');
  });
});
