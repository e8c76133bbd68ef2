/**
 * Crash safety: the real process (dist/src/cli.js) on a database file and a data
 * directory, killed with SIGKILL at random moments while clients create, upload and accept
 * batches and the worker seals them, then restarted on the same data. Every 2xx answer is a
 * promise, written to a ledger; after each restart the ledger is checked (a batch whose 201 was
 * received exists, an upload whose 202 was received is there with its files, an accepted batch is
 * still accepted), and at the end every accepted batch must reach CLOSED with a complete package
 * whose every file is present, CRC-correct and sealed.
 *
 * Short form (npm test): 5 rounds. Long form: CRASH_ROUNDS=20 (vitest.robustness.config.ts).
 * CRASH_SEED replays a run's kill times; CRASH_DEBUG=1 logs when each batch closed. The real signer
 * is used (PAdES-B-T with a time-stamp); CRASH_SIGNER=placeholder swaps it out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { samplePdf, zipOf } from '../helpers/sim.js';
import { type SimProcess, startCli, waitFor } from '../e2e/process.js';
import { call, prng, rank, sleep, unzipChecked } from './common.js';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 5);
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const SIGNER = process.env.CRASH_SIGNER ?? 'real';
/** Concurrent clients per round, and their pause between flows (keeps the short form short). */
const CLIENTS = ROUNDS > 5 ? 3 : 1;
const PAUSE_MS = ROUNDS > 5 ? 20 : 150;

const dir = mkdtempSync(join(tmpdir(), 'seal-crash-'));
// Kills here are the test's, not the documents': a file caught in flight by several of them must
// not be given up as one that crashes the server (SEAL_SIM_FILE_ATTEMPTS).
const args = [
  '--port',
  '0',
  '--db',
  join(dir, 'sim.db'),
  '--data-dir',
  join(dir, 'data'),
  '--timing',
  'fast',
  '--signer',
  SIGNER,
  '--log-level',
  'warn',
  '--file-attempts',
  '100',
];
let current: SimProcess | undefined;
afterAll(async () => {
  if (current && current.child.exitCode === null && current.child.signalCode === null) current.child.kill('SIGKILL');
  await current?.exited;
  rmSync(dir, { recursive: true, force: true });
});

interface Ledger {
  /** Batch ids whose CreateBatch answered 201. */
  created: Set<number>;
  /** Batch id → the file names of the ZIP whose upload answered 202. */
  uploaded: Map<number, string[]>;
  /** Batch ids whose AcceptBatch answered 200. */
  accepted: Set<number>;
}

/** Create → upload → accept, over and over, until the process goes away; records every 2xx. */
async function client(base: string, ledger: Ledger, random: () => number, stop: () => boolean): Promise<number> {
  let requests = 0;
  try {
    while (!stop()) {
      const created = await call(base, 'POST', '/api/CreateBatch/1');
      requests++;
      expect(created.status).toBe(201);
      const id = Number(created.json().id);
      ledger.created.add(id);
      if (random() < 0.15) continue; // some batches stay empty
      const files = Object.fromEntries(
        Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => [`doc-${id}-${i}.pdf`, samplePdf(`batch ${id} file ${i}`)]),
      );
      const up = await call(base, 'POST', `/api/upload/${id}`, await zipOf(files));
      requests++;
      expect(up.status).toBe(202);
      ledger.uploaded.set(id, Object.keys(files));
      if (random() < 0.2) continue; // some uploads are never accepted (until the end)
      const acc = await call(base, 'POST', `/api/AcceptBatch/${id}`);
      requests++;
      expect(acc.status).toBe(200);
      ledger.accepted.add(id);
      await sleep(PAUSE_MS + Math.floor(random() * PAUSE_MS));
    }
  } catch (err) {
    // A request cut off by the kill: no answer, no promise. Anything else is a failure.
    if (!stop() && !(err instanceof TypeError)) throw err;
  }
  return requests;
}

/** After a restart: every promise made before the kill still holds. */
async function checkLedger(base: string, ledger: Ledger): Promise<void> {
  for (const id of ledger.created) {
    const res = await call(base, 'GET', `/api/BatchStatus/${id}`);
    expect(res.status, `batch ${id} (201 received) after restart`).toBe(200);
    const body = res.json<{ status: string; documents?: { fileName: string }[] }>();
    const names = ledger.uploaded.get(id);
    if (names) {
      const listed = JSON.stringify(body);
      for (const n of names) expect(listed, `batch ${id}: file ${n} of an upload whose 202 was received`).toContain(n);
    }
    if (ledger.accepted.has(id)) expect(rank(body.status), `batch ${id} (accepted) is ${body.status}`).toBeGreaterThanOrEqual(rank('ACCEPTED'));
  }
}

describe('crash safety under SIGKILL', () => {
  it(
    `${ROUNDS} rounds of kill -9 at random moments lose nothing a 2xx promised; every accepted batch closes with a complete package`,
    async () => {
      const random = prng(SEED);
      console.info(`[crash] seed ${SEED} (CRASH_SEED to replay), ${ROUNDS} rounds, ${CLIENTS} clients, signer ${SIGNER}, data in ${dir}`);
      const ledger: Ledger = { created: new Set(), uploaded: new Map(), accepted: new Set() };
      const started = Date.now();
      let requests = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        current = await startCli(args, { timeoutMs: 30_000 });
        await checkLedger(current.url, ledger);
        let killed = false;
        const clients = Array.from({ length: CLIENTS }, () => client(current!.url, ledger, random, () => killed));
        // Kill at a random moment: mid-request, mid-upload, mid-sealing of this or an earlier round's batches.
        const killAfter = 150 + Math.floor(random() * 2200);
        await sleep(killAfter);
        killed = true;
        current.child.kill('SIGKILL');
        const exit = await current.exited;
        expect(exit.signal).toBe('SIGKILL');
        for (const n of await Promise.all(clients)) requests += n;
      }

      const roundsDone = Date.now();
      // Last start: nothing more is killed. Accept what was uploaded but never accepted (its 202
      // promised a package), then every accepted batch must close.
      current = await startCli(args, { timeoutMs: 30_000 });
      const base = current.url;
      await checkLedger(base, ledger);
      for (const id of ledger.uploaded.keys()) {
        if (ledger.accepted.has(id)) continue;
        const acc = await call(base, 'POST', `/api/AcceptBatch/${id}`);
        // 409: an accept was in flight when the process died and did commit; it is accepted.
        expect([200, 409], `accepting batch ${id}: ${acc.body.toString()}`).toContain(acc.status);
        if (acc.status === 409) expect(acc.json().batchStatus).not.toBe('NEW');
        ledger.accepted.add(id);
      }
      const deadline = 60_000 + 200 * ledger.accepted.size;
      for (const id of ledger.accepted) {
        await waitFor(
          `batch ${id} to close`,
          async () => ((await call(base, 'GET', `/api/BatchStatus/${id}`)).json().status === 'CLOSED' ? true : undefined),
          deadline,
          100,
        );
        if (process.env.CRASH_DEBUG) console.info(`[crash] batch ${id} closed at +${Date.now() - roundsDone} ms`);
        const status = (await call(base, 'GET', `/api/BatchStatus/${id}`)).json<Record<string, unknown>>();
        const download = await call(base, 'GET', `/api/batchfile/${id}`);
        expect(download.status, `download of batch ${id}`).toBe(200);
        const entries = await unzipChecked(download.body);
        const expected = ledger.uploaded.get(id)!;
        expect([...entries.keys()].sort(), `files of batch ${id}`).toEqual([...expected].sort());
        for (const [name, data] of entries) {
          expect(data.subarray(0, 5).toString('latin1'), `${name} is a PDF`).toBe('%PDF-');
          if (SIGNER === 'real') expect(data.includes('/ByteRange'), `${name} is sealed`).toBe(true);
        }
        const docs = (status.documents ?? status.files ?? []) as Record<string, unknown>[];
        for (const d of docs) expect(String(d.signed), `batch ${id}: ${JSON.stringify(d)}`).toBe('true');
      }
      await current.stop('SIGTERM');
      const closing = ((Date.now() - roundsDone) / 1000).toFixed(1);
      console.info(
        `[crash] ${ROUNDS} kills, ${requests} requests; ${ledger.created.size} batches created, ${ledger.uploaded.size} uploaded, ${ledger.accepted.size} accepted and closed with complete packages, in ${((Date.now() - started) / 1000).toFixed(1)} s (${closing} s of it the last start closing them)`,
      );
      expect(ledger.accepted.size).toBeGreaterThan(0);
    },
    120_000 + ROUNDS * 20_000,
  );
});
