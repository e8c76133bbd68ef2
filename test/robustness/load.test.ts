/**
 * Concurrency: one real process (dist/src/cli.js, instant timing, placeholder signer),
 * real HTTP over keep-alive connections (Node's fetch, undici), many clients each running full
 * flows: create, upload, accept, poll BatchStatus until CLOSED, download, delete. Asserts zero
 * errors, every downloaded package complete (names match, CRCs right), no status ever seen out of
 * lifecycle order by any client, and that two concurrent AcceptBatch calls on one batch give
 * exactly one 200 and one 409.
 *
 * Short form (npm test): 10 clients × 5 flows. Full form: LOAD_FULL=1 → 50 clients × 20 flows
 * (1,000 flows), run by vitest.robustness.config.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf, tinyTxt, zipOf } from '../helpers/sim.js';
import { type SimProcess, startCli } from '../e2e/process.js';
import { type Answer, call, rank, sleep, unzipChecked } from './common.js';

const FULL = process.env.LOAD_FULL === '1';
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? (FULL ? 50 : 10));
const FLOWS = Number(process.env.LOAD_FLOWS ?? (FULL ? 20 : 5));
const RACES = FULL ? 50 : 10;
/** A flow that has not closed after this long is an error (instant timing closes in milliseconds). */
const FLOW_DEADLINE_MS = 30_000;

let sim: SimProcess;
beforeAll(async () => {
  // Every client here shares one API key (the point is the process under concurrency), so that key
  // may have as many uploads in flight as there are clients (SEAL_SIM_MAX_UPLOADS_PER_KEY).
  const uploads = String(Math.max(CLIENTS, RACES));
  sim = await startCli(['--port', '0', '--timing', 'instant', '--signer', 'placeholder', '--log-level', 'warn', '--max-uploads-per-key', uploads]);
});
afterAll(async () => {
  await sim?.stop('SIGTERM');
});

function expectStatus(res: Answer, code: number, what: string): void {
  if (res.status !== code) throw new Error(`${what}: expected ${code}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
}

interface ClientReport {
  flows: number;
  polls: number;
  latencies: number[];
}

async function runClient(base: string, client: number): Promise<ClientReport> {
  const report: ClientReport = { flows: 0, polls: 0, latencies: [] };
  for (let flow = 0; flow < FLOWS; flow++) {
    const began = Date.now();
    const files: Record<string, Buffer> = {};
    for (let i = 0; i <= (client + flow) % 3; i++) files[`c${client}-f${flow}-${i}.pdf`] = samplePdf(`client ${client} flow ${flow} file ${i}`);
    files[`c${client}-f${flow}-notes.txt`] = tinyTxt();
    const seen: string[] = [];
    const see = (status: string, where: string) => {
      const last = seen.at(-1);
      if (last !== undefined && rank(status) < rank(last))
        throw new Error(`client ${client} flow ${flow}: saw ${status} after ${last} (${where}); history ${seen.join(' → ')}`);
      seen.push(status);
    };

    // Process 2 (CAdES detached) takes any file type.
    const created = await call(base, 'POST', '/api/CreateBatch/2');
    expectStatus(created, 201, 'CreateBatch');
    const id = Number(created.json().id);
    see('NEW', 'create');
    const up = await call(base, 'POST', `/api/upload/${id}`, await zipOf(files));
    expectStatus(up, 202, `upload ${id}`);
    const acc = await call(base, 'POST', `/api/AcceptBatch/${id}`);
    expectStatus(acc, 200, `AcceptBatch ${id}`);
    see('ACCEPTED', 'accept');
    for (;;) {
      const st = await call(base, 'GET', `/api/BatchStatus/${id}`);
      expectStatus(st, 200, `BatchStatus ${id}`);
      report.polls++;
      const status = String(st.json().status);
      see(status, 'poll');
      if (status === 'CLOSED') break;
      if (Date.now() - began > FLOW_DEADLINE_MS) throw new Error(`batch ${id} not CLOSED after ${FLOW_DEADLINE_MS} ms (${seen.join(' → ')})`);
      await sleep(5);
    }
    const download = await call(base, 'GET', `/api/batchfile/${id}`);
    expectStatus(download, 200, `batchfile ${id}`);
    const entries = await unzipChecked(download.body);
    // The placeholder signer copies every file unchanged (no .p7s): the package is the upload.
    expect([...entries.keys()].sort(), `package of batch ${id}`).toEqual(Object.keys(files).sort());
    for (const [name, data] of Object.entries(files)) expect(entries.get(name)!.equals(data), `${name} in the package of batch ${id}`).toBe(true);
    const del = await call(base, 'DELETE', `/api/BatchDeleteCache/${id}`);
    expectStatus(del, 200, `BatchDeleteCache ${id}`);
    see(String(del.json().status), 'delete');
    const after = await call(base, 'GET', `/api/BatchStatus/${id}`);
    expectStatus(after, 200, `BatchStatus ${id} after delete`);
    see(String(after.json().status), 'after delete');
    expect(after.json().status).toBe('DELETED');
    report.flows++;
    report.latencies.push(Date.now() - began);
  }
  return report;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

describe('load: concurrent clients against one process', () => {
  it(
    `${CLIENTS} clients × ${FLOWS} full flows: zero errors, complete packages, statuses only move forward`,
    async () => {
      const started = Date.now();
      const results = await Promise.allSettled(Array.from({ length: CLIENTS }, (_, c) => runClient(sim.url, c)));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
      expect(failures, failures.slice(0, 3).join('\n')).toEqual([]);
      const reports = results.map((r) => (r as PromiseFulfilledResult<ClientReport>).value);
      const flows = reports.reduce((n, r) => n + r.flows, 0);
      expect(flows).toBe(CLIENTS * FLOWS);
      const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const seconds = (Date.now() - started) / 1000;
      console.info(
        `[load] ${flows} flows (${CLIENTS} clients × ${FLOWS}) in ${seconds.toFixed(1)} s = ${(flows / seconds).toFixed(1)} flows/s; ${reports.reduce((n, r) => n + r.polls, 0)} status polls; flow p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
      );
      const health = await call(sim.url, 'GET', '/_simulator/health');
      expect(health.status).toBe(200);
    },
    FULL ? 600_000 : 60_000,
  );

  it(`two concurrent AcceptBatch calls on one batch: exactly one 200 and one 409 (${RACES} batches)`, async () => {
    const zip = await zipOf({ 'a.pdf': samplePdf() });
    const ids = await Promise.all(
      Array.from({ length: RACES }, async () => {
        const created = await call(sim.url, 'POST', '/api/CreateBatch/1');
        expectStatus(created, 201, 'CreateBatch');
        const id = Number(created.json().id);
        expectStatus(await call(sim.url, 'POST', `/api/upload/${id}`, zip), 202, `upload ${id}`);
        return id;
      }),
    );
    // All races at once: the two calls of a pair go out together, over different connections.
    const outcomes = await Promise.all(
      ids.map(async (id) => {
        const pair = await Promise.all([
          call(sim.url, 'POST', `/api/AcceptBatch/${id}`),
          call(sim.url, 'POST', '/api/AcceptBatch', JSON.stringify({ batchId: id }), { 'content-type': 'application/json' }),
        ]);
        return pair.map((r) => r.status).sort();
      }),
    );
    for (const [i, codes] of outcomes.entries()) expect(codes, `batch ${ids[i]}`).toEqual([200, 409]);
  }, 60_000);
});
