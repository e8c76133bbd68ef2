/**
 * The hostile-document corpus against a real server process (dist/src/cli.js): tenant A sends each
 * case of `cases/` while tenant B goes about its business. Per case it asserts what another tenant
 * must be able to count on:
 *
 * - `/_simulator/health` answers within 200 ms throughout;
 * - B's one-file batch reaches CLOSED within 5 s of being accepted;
 *
 * Both bounds are on top of what the same measurement costs without the attack: an idle reference
 * server probed at the same moments (its slowest answer, half as much again for scheduling jitter
 * between two processes), and B's one-file batch sent just before the case. A machine busy with
 * other work then does not fail the test, while a server that stops answering or a batch stuck
 * behind another tenant's (seconds to minutes) still does; on an idle machine the bounds are
 * about the plain 200 ms and 5 s.
 * - the server and its sealing processes together stay under RSS_BOUND_MIB (Linux: /proc);
 * - A's batch ends, and where the case says so every file failed with a reason.
 *
 * Then: deleting a batch stops its work within 1 s, SIGTERM stays within its 8 s deadline with a
 * poison document in flight, and a document that takes the whole server down is given up after
 * SEAL_SIM_FILE_ATTEMPTS starts (its sealing processes die with the server).
 *
 * Short form (npm test): budgets of 3 s and 256 MiB so poison files fail fast. Long form
 * (npm run test:hostile, HOSTILE_LONG=1): default budgets, the cases' larger files, and a table of
 * figures printed at the end. HOSTILE_CLI runs another build (e.g. an older one, for "before").
 */
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyPdf } from '../../helpers/documents.js';
import { logLines, type SimProcess, startCli, waitFor } from '../../e2e/process.js';
import { loadCases } from './all-cases.js';
import type { HostileCase } from './case.js';
import { unendedStreams } from './cases/pdf-unended-streams.js';

const LONG = process.env.HOSTILE_LONG === '1';
const MiB = 1024 * 1024;
const TIME_MS = LONG ? 30_000 : 3_000;
const MEMORY_MIB = LONG ? 512 : 256;
/** Files one tenant seals at once; the pool has one more process, kept for the other tenants. */
const THREADS = LONG ? 2 : 1;
/** The server's own RSS bound, plus each sealing process's budget (and what it may overshoot between two 100 ms checks). */
const SERVER_MIB = 350;
/** Plus one idle spare sealing process (see createRealSigner). */
const SPARE_MIB = 200;
const RSS_BOUND_MIB = SERVER_MIB + (THREADS + 1) * (MEMORY_MIB + 160) + SPARE_MIB;
const HEALTH_MS = 200;
const VICTIM_MS = 5_000;

/** A PDF that keeps a sealing process busy for minutes at flat memory (see cases/pdf-unended-streams.ts). */
const poison = (): Buffer => unendedStreams(10_000);

const A = 'hostile-tenant-a';
const B = 'victim-tenant-b';
const dir = mkdtempSync(join(tmpdir(), 'seal-hostile-'));
const cases = await loadCases();
const figures: Record<string, unknown>[] = [];

/** An older build (HOSTILE_CLI) knows none of the budget settings. */
const LEGACY = process.env.HOSTILE_CLI !== undefined;
const baseArgs = (name: string): string[] => [
  '--port',
  '0',
  '--timing',
  'instant',
  '--log-level',
  'info',
  '--db',
  join(dir, `${name}.db`),
  '--data-dir',
  join(dir, name),
  '--signer-threads',
  String(THREADS),
  // Each server generates its own test PKI: ECDSA keys take milliseconds, RSA ones seconds.
  '--pki-key-algorithm',
  'ECDSA-P256',
  ...(LEGACY ? [] : ['--file-time-limit-ms', String(TIME_MS), '--file-memory-limit-mib', String(MEMORY_MIB)]),
];
const cliEnv = process.env.HOSTILE_CLI ? { cli: process.env.HOSTILE_CLI } : {};

let sim: SimProcess;
/** An idle server on the same machine: its health times are what the machine itself costs. */
let reference: SimProcess;
const started: SimProcess[] = [];
async function start(args: string[]): Promise<SimProcess> {
  const p = await startCli(args, { timeoutMs: 30_000, ...cliEnv });
  started.push(p);
  return p;
}

async function api(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: Buffer | string,
  timeoutMs = 30_000,
): Promise<{ status: number; json: any; ms: number }> {
  const t = Date.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'API-KEY': key, ...(body !== undefined ? { 'content-type': 'application/octet-stream' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, ms: Date.now() - t };
}

/** A stored (uncompressed) ZIP of the files, written to a file and uploaded from it: large cases never sit in memory twice. */
async function uploadFiles(base: string, key: string, id: number, files: { name: string; bytes: Buffer }[]): Promise<void> {
  const zipPath = join(dir, `upload-${key}-${id}.zip`);
  const zip = new yazl.ZipFile();
  for (const f of files) zip.addBuffer(f.bytes, f.name, { compress: false, mtime: new Date('2026-01-01T00:00:00Z') });
  zip.end();
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(createWriteStream(zipPath)).on('finish', resolve).on('error', reject));
  const res = await fetch(`${base}/api/upload/${id}`, {
    method: 'POST',
    headers: { 'API-KEY': key, 'content-type': 'application/octet-stream', 'content-length': String(statSync(zipPath).size) },
    body: Readable.toWeb((await import('node:fs')).createReadStream(zipPath)) as unknown as BodyInit,
    duplex: 'half',
    signal: AbortSignal.timeout(600_000),
  } as RequestInit);
  rmSync(zipPath, { force: true });
  if (res.status !== 202) throw new Error(`upload of batch ${id} answered ${res.status}: ${await res.text()}`);
}

async function submit(base: string, key: string, processId: number, files: { name: string; bytes: Buffer }[]): Promise<number> {
  const created = await api(base, key, 'POST', `/api/CreateBatch/${processId}`);
  expect(created.status).toBe(201);
  const id = Number(created.json.id);
  await uploadFiles(base, key, id, files);
  const accepted = await api(base, key, 'POST', `/api/AcceptBatch/${id}`);
  expect(accepted.status).toBe(200);
  return id;
}

async function statusOf(base: string, key: string, id: number): Promise<string> {
  return (await api(base, key, 'GET', `/api/BatchStatus/${id}`)).json.status as string;
}

/** The simulator's view of a batch (per-file success and reason). */
async function viewOf(base: string, key: string, id: number): Promise<any> {
  return (await api(base, key, 'GET', `/_simulator/batches/${id}`)).json;
}

/** RSS of a process and all its descendants, from /proc; undefined where there is no /proc. */
function treeRss(root: number): { total: number; own: number; processes: number } | undefined {
  if (!existsSync('/proc/self/statm')) return undefined;
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const rss = (pid: number): number => {
    try {
      return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * 4096;
    } catch {
      return 0;
    }
  };
  let total = 0;
  let processes = 0;
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    while (p !== undefined && p !== root && p > 1) p = parent.get(p);
    if (p === root) {
      total += rss(pid);
      processes++;
    }
  }
  return { total, own: rss(root), processes };
}

/** Children (sealing processes) of a pid. */
function childrenOf(root: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === root) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls health every 50 ms and samples RSS every 100 ms until stopped; keeps the worst of each. */
function monitor(s: SimProcess): {
  stop(): Promise<{ healthMaxMs: number; referenceMaxMs: number; healthFailures: number; rssMaxMib: number; serverRssMaxMib: number }>;
} {
  let running = true;
  let healthMaxMs = 0;
  let referenceMaxMs = 0;
  let healthFailures = 0;
  let rssMax = 0;
  let serverMax = 0;
  const pid = s.child.pid!;
  /** Time of one health check, or Infinity when it failed. */
  const probe = async (url: string): Promise<number> => {
    const t = Date.now();
    try {
      const res = await fetch(`${url}/_simulator/health`, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (res.status !== 200) return Infinity;
    } catch {
      return Infinity;
    }
    return Date.now() - t;
  };
  const health = (async () => {
    while (running) {
      const [attacked, idle] = await Promise.all([probe(s.url), probe(reference.url)]);
      if (attacked === Infinity) {
        healthFailures++;
        continue;
      }
      healthMaxMs = Math.max(healthMaxMs, attacked);
      if (idle !== Infinity) referenceMaxMs = Math.max(referenceMaxMs, idle);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const rss = setInterval(() => {
    const r = treeRss(pid);
    if (!r) return;
    rssMax = Math.max(rssMax, r.total);
    serverMax = Math.max(serverMax, r.own);
  }, 100);
  return {
    async stop() {
      running = false;
      clearInterval(rss);
      await health;
      return { healthMaxMs, referenceMaxMs, healthFailures, rssMaxMib: Math.round(rssMax / MiB), serverRssMaxMib: Math.round(serverMax / MiB) };
    },
  };
}

/** A one-file batch of tenant `key` (B by default), from accept to CLOSED, in ms. */
async function victimBatch(base: string, key = B): Promise<number> {
  const id = await submit(base, key, 1, [{ name: 'victim.pdf', bytes: tinyPdf('tenant B') }]);
  const t = Date.now();
  await waitFor(`${key}'s batch ${id} to close`, async () => ((await statusOf(base, key, id)) === 'CLOSED' ? true : undefined), 60_000, 50);
  return Date.now() - t;
}

beforeAll(async () => {
  [sim, reference] = await Promise.all([start(baseArgs('main')), start(['--port', '0', '--signer', 'placeholder', '--log-level', 'warn'])]);
  // Warm up: the test PKI and the sealing processes are made on first use.
  await victimBatch(sim.url);
}, 120_000);

afterAll(async () => {
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
  if (figures.length)
    console.log(
      `hostile documents (${LONG ? 'long' : 'short'} form; budgets ${TIME_MS} ms, ${MEMORY_MIB} MiB; ${THREADS}+1 sealing processes)\n${JSON.stringify(figures, null, 1)}`,
    );
  rmSync(dir, { recursive: true, force: true });
});

describe(`hostile documents (${LONG ? 'long' : 'short'} form) against a real server process`, () => {
  it.each(cases.map((c) => [c.id, c] as [string, HostileCase]))(
    '%s: other tenants are unaffected',
    async (_id, c) => {
      const files = LONG && c.longFiles ? await c.longFiles() : await c.files();
      // B's batch without an attack, now, beside another tenant's: two sealing processes must be
      // ready for these, so processes replaced in the case before have finished loading.
      const victimBaselineMs = Math.max(...(await Promise.all([victimBatch(sim.url), victimBatch(sim.url, `${B}-2`)])));
      const watch = monitor(sim);
      const t0 = Date.now();
      // Finding 1 was two such batches at once; every case is sent twice.
      const attacks = [await submit(sim.url, A, c.processId, files), await submit(sim.url, A, c.processId, files)];
      const victimMs = await victimBatch(sim.url);
      const endBy = (TIME_MS + 5_000) * files.length * attacks.length + 60_000;
      for (const id of attacks) {
        await waitFor(`A's batch ${id} to end`, async () => (['CLOSED', 'DELETED'].includes(await statusOf(sim.url, A, id)) ? true : undefined), endBy, 100);
      }
      const attackMs = Date.now() - t0;
      const seen = await watch.stop();
      const views = await Promise.all(attacks.map((id) => viewOf(sim.url, A, id)));
      const outcomes = views.flatMap((v) => v.documents.map((d: any) => ({ file: d.fileName, success: d.success, detail: d.detail })));
      figures.push({
        case: c.id,
        bytes: files.reduce((n, f) => n + f.bytes.length, 0),
        victimToClosedMs: victimMs,
        victimBaselineMs,
        healthMaxMs: seen.healthMaxMs,
        referenceHealthMaxMs: seen.referenceMaxMs,
        rssMaxMib: seen.rssMaxMib,
        serverRssMaxMib: seen.serverRssMaxMib,
        attackerDoneMs: attackMs,
        outcome: outcomes[0],
      });

      expect(seen.healthFailures, 'health checks that failed').toBe(0);
      expect(seen.healthMaxMs, 'slowest /_simulator/health answer (ms), over the idle reference server').toBeLessThanOrEqual(
        HEALTH_MS + 1.5 * seen.referenceMaxMs,
      );
      expect(victimMs, "tenant B's one-file batch, accepted to CLOSED (ms), over its time before any attack").toBeLessThanOrEqual(VICTIM_MS + victimBaselineMs);
      if (seen.rssMaxMib > 0) expect(seen.rssMaxMib, 'RSS of the server and its sealing processes (MiB)').toBeLessThanOrEqual(RSS_BOUND_MIB);
      for (const o of outcomes) expect(o.detail, `reason recorded for ${o.file}`).toBeTruthy();
      if (c.expect === 'files-fail') for (const o of outcomes) expect(o.success, `${o.file}: ${o.detail}`).toBe(false);
    },
    600_000,
  );

  it('a file over its time budget fails with a reason that names the budget and its setting, also in the log', async () => {
    const id = await submit(sim.url, A, 1, [
      { name: 'poison.pdf', bytes: poison() },
      { name: 'fine.pdf', bytes: tinyPdf('fine') },
    ]);
    await waitFor('the batch to close', async () => ((await statusOf(sim.url, A, id)) === 'CLOSED' ? true : undefined), TIME_MS + 30_000, 100);
    const docs = (await viewOf(sim.url, A, id)).documents;
    expect(docs.map((d: any) => [d.fileName, d.success])).toEqual([
      ['poison.pdf', false],
      ['fine.pdf', true], // the rest of the batch goes on
    ]);
    expect(docs[0].detail).toMatch(new RegExp(`took longer than the ${TIME_MS} ms one file may take \\(setting SEAL_SIM_FILE_TIME_LIMIT_MS\\)`));
    const line = logLines(sim.stdout()).find((l) => l.msg === 'file stopped: over its budget' && l.batchId === id);
    expect(line).toMatchObject({ level: 40, file: 'poison.pdf', budget: 'time' });
  }, 120_000);

  it('BatchDeleteCache stops the batch in progress within 1 s', async () => {
    const id = await submit(sim.url, A, 1, [{ name: 'poison.pdf', bytes: poison() }]);
    await waitFor(
      'the file to be in a sealing process',
      async () => (logLines(sim.stdout()).some((l) => l.msg === 'batch work started' && l.batchId === id) ? true : undefined),
      30_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 300));
    const t = Date.now();
    const del = await api(sim.url, A, 'DELETE', `/api/BatchDeleteCache/${id}`);
    expect(del.status).toBe(200);
    await waitFor(
      'the work to stop',
      async () => (logLines(sim.stdout()).some((l) => l.msg?.toString().startsWith('batch work stopped') && l.batchId === id) ? true : undefined),
      5_000,
      20,
    );
    expect(Date.now() - t, 'delete to work stopped (ms)').toBeLessThanOrEqual(1_000);
  }, 60_000);

  it('SIGTERM with a poison document in flight exits cleanly within the 8 s deadline', async () => {
    const s = await start(baseArgs('sigterm').map((a) => (a === String(TIME_MS) ? '600000' : a)));
    const id = await submit(s.url, A, 1, [{ name: 'poison.pdf', bytes: poison() }]);
    await waitFor(
      'the file to be in a sealing process',
      async () => (logLines(s.stdout()).some((l) => l.msg === 'batch work started' && l.batchId === id) ? true : undefined),
      30_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const exit = await s.stop('SIGTERM', 15_000);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(8_000);
  }, 90_000);

  it.skipIf(!existsSync('/proc/self/stat'))(
    'a document that takes the server down is given up after SEAL_SIM_FILE_ATTEMPTS starts, and its sealing process dies with the server',
    async () => {
      const args = [...baseArgs('attempts').map((a) => (a === String(TIME_MS) ? '600000' : a)), '--file-attempts', '2'];
      let s = await start(args);
      const id = await submit(s.url, A, 1, [
        { name: 'poison.pdf', bytes: poison() },
        { name: 'fine.pdf', bytes: tinyPdf('fine') },
      ]);
      for (let round = 1; round <= 2; round++) {
        const pid = s.child.pid!;
        const busy = await waitFor(
          `a busy sealing process (round ${round})`,
          async () => {
            const kids = childrenOf(pid);
            return kids.length > 0 && logLines(s.stdout()).some((l) => l.msg === 'batch work started') ? kids : undefined;
          },
          30_000,
          100,
        );
        await new Promise((r) => setTimeout(r, 1_000));
        s.child.kill('SIGKILL'); // the crash the poison document caused
        await s.exited;
        await waitFor('the orphaned sealing processes to end', async () => (busy.every((k) => !alive(k)) ? true : undefined), 5_000, 100);
        s = await start(args);
      }
      await waitFor('the batch to close', async () => ((await statusOf(s.url, A, id)) === 'CLOSED' ? true : undefined), 30_000, 100);
      const docs = (await viewOf(s.url, A, id)).documents;
      expect(docs.map((d: any) => [d.fileName, d.success])).toEqual([
        ['poison.pdf', false],
        ['fine.pdf', true],
      ]);
      expect(docs[0].detail).toMatch(/was not processed again: the simulator stopped 2 times while it was being processed/);
    },
    180_000,
  );
});
