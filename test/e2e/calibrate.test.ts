import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitPackages } from '../../src/calibrate/kit-documents.js';
import { parseProfile } from '../../src/contract/vendor-profile.js';
import type { KitReport } from '../../src/calibrate/report.js';
import { startDeviantServer } from '../calibrate/deviant-server.js';
import { runCli, type SimProcess, startCli } from './process.js';

/**
 * The conformance kit, the recording proxy and replay, each run as an integrator runs them (the
 * built bin, real HTTP) against the simulator itself and against a server that departs from it on
 * purpose (test/calibrate/deviant-server.ts).
 */

const dir = mkdtempSync(join(tmpdir(), 'seal-calibrate-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function simulator(args: string[] = [], env: Record<string, string> = {}): Promise<SimProcess> {
  const sim = await startCli(['--port', '0', '--log-level', 'warn', ...args], { env });
  // The test PKI is made on first use; fetch it now so the kit's phase timings measure the lifecycle.
  await fetch(`${sim.url}/_simulator/pki/ca.pem`).then((r) => r.text());
  return sim;
}

async function kit(url: string, name: string, extra: string[] = []): Promise<{ code: number | null; report: KitReport; stderr: string }> {
  const out = join(dir, name);
  const result = await runCli(
    ['conformance', '--url', url, '--api-key', 'kit-key', '--other-api-key', 'kit-other', '--out', out, '--poll-ms', '100', ...extra],
    { timeoutMs: 120_000 },
  );
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as KitReport;
  return { code: result.code, report, stderr: result.stderr };
}

describe('conformance kit against the simulator', () => {
  it('finds no difference with the default settings, and cleans up after itself', async () => {
    const sim = await simulator();
    try {
      const { code, report, stderr } = await kit(sim.url, 'default');
      expect(report.differences, `${stderr}\n${JSON.stringify(report.observations.phases)}`).toEqual([]);
      expect(code).toBe(0);
      expect(report.aspects.length).toBeGreaterThan(40);
      const state = (await (await fetch(`${sim.url}/_simulator/batches?scope=all`)).json()) as { batches?: { status: string }[] } | { status: string }[];
      const list = Array.isArray(state) ? state : (state.batches ?? []);
      expect(list.every((b) => b.status === 'DELETED')).toBe(true);
    } finally {
      await sim.stop();
    }
  }, 120_000);

  it('names each difference of table B, typed JSON and realistic timing, with the switch that takes it on', async () => {
    const sim = await simulator(['--status-table', 'B', '--json', 'typed', '--timing', 'realistic']);
    try {
      const { code, report } = await kit(sim.url, 'b-typed-realistic', ['--poll-ms', '200']);
      expect(code).toBe(1);
      const byName = new Map(report.differences.map((d) => [d.name, d]));
      expect(byName.get('status table')).toMatchObject({ expected: 'A', observed: 'B', switch: 'statusTable' });
      expect(byName.get('type of create.id')).toMatchObject({ expected: 'string', observed: 'number', switch: 'json' });
      expect(byName.get('type of status.documents[].signed')).toMatchObject({ expected: 'string', observed: 'boolean', switch: 'json' });
      expect(byName.get('duration of ACCEPTED (ms)')).toMatchObject({ expected: '400', switch: 'timing' });
      expect(Number(byName.get('duration of ACCEPTED (ms)')!.observed)).toBeGreaterThan(1500);
      // Nothing is reported that the three settings do not explain.
      expect(report.differences.every((d) => ['statusTable', 'json', 'timing'].includes(d.switch ?? ''))).toBe(true);
    } finally {
      await sim.stop();
    }
  }, 120_000);
});

describe('conformance kit against a deviant server', () => {
  let deviant: Awaited<ReturnType<typeof startDeviantServer>>;
  beforeAll(async () => {
    deviant = await startDeviantServer();
  });
  afterAll(() => deviant.close());

  it('finds every deviation, writes a profile, and a simulator loaded with it matches the server wherever a switch exists', async () => {
    const profilePath = join(dir, 'deviant-profile.json');
    const first = await kit(deviant.url, 'deviant', ['--write-profile', profilePath]);
    expect(first.code).toBe(1);
    const found = new Map(first.report.differences.map((d) => [d.name, d]));
    expect(found.get('status of refusal.acceptNew')).toMatchObject({ expected: '409', observed: '404', switch: 'refusals.wrong_state' });
    expect(found.get('date format')).toMatchObject({ expected: 'yyyy-MM-dd HH:mm:ss', observed: 'yyyy-MM-ddTHH:mm:ssZ', switch: 'dates.format' });
    expect(found.get('error body shape')).toMatchObject({ expected: 'problem+json', observed: 'json{code,message}', switch: 'errorBody' });
    expect(found.get('duration of ACCEPTED (ms)')).toMatchObject({ switch: 'timing' });
    expect(found.get('download package layout')).toMatchObject({ expected: 'doc.pdf', observed: 'doc.pdf, note.txt', switch: null });

    const profile = parseProfile(JSON.parse(readFileSync(profilePath, 'utf8')));
    expect(profile.refusals.wrong_state).toBe(404);
    expect(profile.dates.format).toBe('yyyy-MM-ddTHH:mm:ssZ');
    expect(profile.errorBody).toEqual({ shape: 'json', contentType: 'application/json', fields: { code: 'status', message: 'detail' } });
    expect(profile.timing?.ACCEPTED).toBeGreaterThan(700);
    expect(profile.cannotTakeOn).toEqual(['download package layout: the simulator doc.pdf, the target doc.pdf, note.txt']);

    // Judged against its own profile, the server only differs where no switch exists (known).
    const again = await kit(deviant.url, 'deviant-again', ['--profile', profilePath]);
    expect(again.report.differences, again.stderr).toEqual([]);
    expect(again.report.known.map((k) => k.name)).toEqual(['download package layout']);
    expect(again.code).toBe(0);

    // A fresh simulator started with the profile passes the kit judged by that profile.
    const sim = await simulator([], { SEAL_SIM_PROFILE: profilePath });
    try {
      const judged = await kit(sim.url, 'simulator-with-profile', ['--profile', profilePath]);
      expect(judged.report.differences, judged.stderr).toEqual([]);
      expect(judged.code).toBe(0);
      expect(judged.report.observations.errorBody?.shape).toBe('json{code,message}');
      expect(judged.report.observations.dates.format).toBe('yyyy-MM-ddTHH:mm:ssZ');
    } finally {
      await sim.stop();
    }
  }, 180_000);

  it('asks before touching a target that is not on this machine, and --dry-run sends nothing', async () => {
    const refused = await runCli(['conformance', '--url', 'http://sandbox.invalid', '--api-key', 'k']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Nothing was sent.*--dry-run.*--yes/s);
    expect(refused.stderr).toMatch(/creates 2 batches/);
    const dry = await runCli(['conformance', '--url', 'http://sandbox.invalid', '--api-key', 'k', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/POST \/api\/CreateBatch\/1/);
    expect(dry.stderr).toMatch(/POST \/api\/upload\/\{batch-1\}\s+\(\d+ bytes, application\/octet-stream\)/);
  }, 60_000);
});

describe('recording proxy and replay', () => {
  it('records a session without credentials and replays its JSON answers byte for byte', async () => {
    const sim = await simulator();
    const cassette = join(dir, 'session.ndjson');
    const recorder = await startCli(['record', '--target', sim.url, '--out', cassette, '--port', '0']);
    const key = 'secret-key-that-must-not-be-recorded';
    const flow = async (base: string): Promise<string[]> => {
      const texts: string[] = [];
      const call = async (method: string, path: string, body?: Buffer) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { 'API-KEY': key, ...(body ? { 'content-type': 'application/octet-stream' } : {}) },
          ...(body ? { body: new Uint8Array(body) } : {}),
        });
        const text = Buffer.from(await res.arrayBuffer());
        // JSON routes only: a package is kept as size and hash unless recorded with --store-bodies.
        if (!path.startsWith('/api/batchfile') && /json/.test(res.headers.get('content-type') ?? '')) texts.push(`${res.status} ${text.toString('utf8')}`);
        return JSON.parse(/json/.test(res.headers.get('content-type') ?? '') ? text.toString('utf8') : '{}') as { id?: string | number; status?: string };
      };
      const created = await call('POST', '/api/CreateBatch/1');
      await call('POST', `/api/upload/${created.id}`, (await kitPackages()).valid);
      await call('POST', `/api/AcceptBatch/${created.id}`);
      for (let i = 0; i < 100; i++) {
        if ((await call('GET', `/api/BatchStatus/${created.id}`)).status === 'CLOSED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await call('GET', `/api/batchfile/${created.id}`);
      await call('DELETE', `/api/BatchDeleteCache/${created.id}`);
      await call('GET', `/api/BatchStatus/999999`);
      return texts;
    };
    let recorded: string[];
    try {
      recorded = await flow(recorder.url);
    } finally {
      await recorder.stop('SIGINT');
      await sim.stop();
    }
    const text = readFileSync(cassette, 'utf8');
    expect(text).not.toContain(key);
    expect(text).toContain('[redacted]');

    const replay = await startCli(['replay', cassette, '--port', '0']);
    try {
      const replayed = await flow(replay.url);
      // The replay's poll loop stops at the first CLOSED, as the recording's did: same sequence.
      expect(replayed).toEqual(recorded);
      expect(recorded.length).toBeGreaterThan(5);
    } finally {
      await replay.stop();
    }

    const judged = await runCli(['conformance', '--cassette', cassette, '--out', join(dir, 'from-cassette')]);
    const report = JSON.parse(readFileSync(join(dir, 'from-cassette', 'report.json'), 'utf8')) as KitReport;
    expect(report.differences, judged.stderr).toEqual([]);
    expect(judged.code).toBe(0);
    expect(report.observations.statusTable).toBe('A');
  }, 120_000);
});
