import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../src/index.js';
import { samplePdf, zipOf } from '../helpers/sim.js';

/**
 * The journal is never behind the client: a client that has the whole response of a vendor call
 * and reads the journal (or verifies it) at once finds that call there. Real HTTP on a listening
 * simulator with Node's fetch (keep-alive), as a test suite uses it; every read comes straight
 * after the response, with no wait of any kind.
 */

const ROUNDS = 200;

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ signer: 'placeholder', journalMaxEntries: 100_000 });
});
afterAll(() => sim?.close());

interface Entry {
  seq: number;
  route: string;
  batchId: number | null;
  status: number;
}

/** The first journal entry of `route` after `afterSeq`, read right now. */
async function nextEntry(route: string, afterSeq: number): Promise<Entry | undefined> {
  const res = await sim.fetch(`/_simulator/journal?route=${route}&afterSeq=${afterSeq}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: Entry[] }).entries[0];
}

describe('the journal is never behind the client', { timeout: 300_000 }, () => {
  it(`has every vendor call the moment its response is complete (${ROUNDS} rounds of every route, downloads plain and dribbled)`, async () => {
    const zip = new Uint8Array(await zipOf({ 'a.pdf': samplePdf('journal'), 'b.pdf': samplePdf('timing') }));
    const missed: string[] = [];
    let lastSeq = 0;
    /** The call just answered must be in the journal, after every earlier call (CreateBatch names no batch in its path). */
    const check = async (round: number, route: string, batchId: number | null, status: number) => {
      const entry = await nextEntry(route, lastSeq);
      if (!entry || entry.batchId !== batchId || entry.status !== status) {
        missed.push(`round ${round}: ${route} ${batchId} → ${status}, journal has ${JSON.stringify(entry ?? null)}`);
        return;
      }
      lastSeq = entry.seq;
    };

    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts from an empty journal (sequence numbers keep counting), so nothing is evicted.
      expect((await sim.fetch('/_simulator/journal', { method: 'DELETE' })).status).toBe(200);
      const created = await sim.fetch('/api/CreateBatch/1', { method: 'POST' });
      const id = Number(((await created.json()) as { id: string }).id);
      await check(round, 'CreateBatch', null, 201);

      const upload = await sim.fetch(`/api/upload/${id}`, { method: 'POST', body: zip, headers: { 'content-type': 'application/octet-stream' } });
      await upload.arrayBuffer();
      await check(round, 'upload', id, upload.status);

      const accept = await sim.fetch(`/api/AcceptBatch/${id}`, { method: 'POST' });
      await accept.arrayBuffer();
      await check(round, 'AcceptBatch', id, accept.status);

      for (;;) {
        const res = await sim.fetch(`/api/BatchStatus/${id}`);
        const { status } = (await res.json()) as { status: string };
        await check(round, 'BatchStatus', id, 200);
        if (status === 'CLOSED') break;
      }

      // Every tenth download is dribbled (a body produced slowly, in pieces, by a fault).
      const prefer = round % 10 === 9 ? { prefer: 'fault=dribble; chunkBytes=512; intervalMs=1' } : undefined;
      const download = await sim.fetch(`/api/batchfile/${id}`, { headers: prefer });
      expect((await download.arrayBuffer()).byteLength).toBe(Number(download.headers.get('content-length')));
      await check(round, 'batchfile', id, 200);
      // What a test does right after its download: verify the sequence of its calls.
      const verified = await sim.fetch('/_simulator/journal/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          expected: [
            { route: 'CreateBatch' },
            { route: 'upload', batchId: id, status: 202 },
            { route: 'AcceptBatch', batchId: id },
            { route: 'batchfile', batchId: id, status: 200 },
          ],
        }),
      });
      const verdict = (await verified.json()) as { matched: boolean };
      if (!verdict.matched) missed.push(`round ${round}: verify after the download: ${JSON.stringify(verdict)}`);

      const deleted = await sim.fetch(`/api/BatchDeleteCache/${id}`, { method: 'DELETE' });
      await deleted.arrayBuffer();
      await check(round, 'BatchDeleteCache', id, deleted.status);
    }
    expect(missed).toEqual([]);
  });
});
