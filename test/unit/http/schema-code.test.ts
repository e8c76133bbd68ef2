/**
 * The validators and serializers `npm run build` generates (scripts/precompile-schemas.mjs, into
 * dist/src/http/schema-code/) answer exactly as the ones ajv and fast-json-stringify compile, and a
 * server built from dist loads neither compiler for them. The same requests go to an app built
 * from dist in a plain `node` (generated code) and to one built from the sources here (compiled on
 * first use). Runs when dist is built and not older than the sources (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../signing/helpers.js';
import { buildApp } from '../../../src/app.js';
import { defaultConfig } from '../../../src/config.js';
// @ts-expect-error: plain JavaScript, no declarations
import { staleReason } from '../../../scripts/start.mjs';

const KEY = 'schema-code-key';
type Call = { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; headers?: Record<string, string>; payload?: string };
const json = { 'content-type': 'application/json' };
/** Valid and refused requests over vendor and control routes: params, query strings, bodies, responses. */
const CALLS: Call[] = [
  { method: 'POST', url: '/api/CreateBatch/1' },
  { method: 'POST', url: '/api/CreateBatch/x' },
  { method: 'POST', url: '/api/CreateBatch/1e400' },
  { method: 'GET', url: '/api/BatchStatus/1' },
  { method: 'GET', url: '/api/BatchStatus/abc' },
  { method: 'GET', url: '/api/BatchStatus/99' },
  { method: 'POST', url: '/api/AcceptBatch?batchId=1' },
  { method: 'POST', url: '/api/AcceptBatch', headers: json, payload: '{"batchId":"x"}' },
  { method: 'GET', url: '/api/batchfile/1' },
  { method: 'DELETE', url: '/api/BatchDeleteCache/-1' },
  { method: 'GET', url: '/_simulator/batches?limit=2' },
  { method: 'GET', url: '/_simulator/batches?limit=zero' },
  { method: 'PUT', url: '/_simulator/clock', headers: json, payload: '{"speed":"fast"}' },
  { method: 'POST', url: '/_simulator/clock/advance', headers: json, payload: '{"by":5}' },
  { method: 'POST', url: '/_simulator/clock/advance', headers: json, payload: '{}' },
  { method: 'GET', url: '/_simulator/health' },
  { method: 'DELETE', url: '/api/BatchDeleteCache/1' },
];

/** What may differ between two fresh apps: times, durations and request ids. */
const settled = (body: string) =>
  body
    .replace(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?Z?/g, 'TIME')
    .replace(/"(instance|requestId|traceId|uptimeSeconds|startedAt|timeInStatusMs|offsetMs)":("[^"]*"|[\d.]+)/g, '"$1":"…"');

const distFresh = staleReason(ROOT) === null;

// The vendor schemas differ by JSON style and status table: the build generates code for each.
describe.skipIf(!distFresh).each([{ json: 'vendor', statusTable: 'A' } as const, { json: 'typed', statusTable: 'B' } as const])(
  'generated schema code (dist), %o',
  (settings) => {
    let fromDist: { answers: [number, string][]; compilersLoaded: string[] };
    let fromSource: [number, string][];

    beforeAll(async () => {
      const script = `
      import { createRequire } from 'node:module';
      const { buildApp } = await import(${JSON.stringify(join(ROOT, 'dist/src/app.js'))});
      const { defaultConfig } = await import(${JSON.stringify(join(ROOT, 'dist/src/config.js'))});
      const app = await buildApp(defaultConfig({ signer: 'placeholder', logLevel: 'silent', timing: 'instant', apiKeys: [${JSON.stringify(KEY)}], ...${JSON.stringify(settings)} }), { logger: false, tickMs: 0 });
      await app.ready();
      const answers = [];
      for (const c of ${JSON.stringify(CALLS)}) {
        const res = await app.inject({ ...c, headers: { 'api-key': ${JSON.stringify(KEY)}, ...c.headers } });
        answers.push([res.statusCode, res.body]);
      }
      await app.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      const compilersLoaded = loaded.filter((f) => /node_modules\\/(ajv\\/dist\\/core|fast-json-stringify\\/index|@fastify\\/ajv-compiler\\/index)\\.js$/.test(f));
      process.stdout.write(JSON.stringify({ answers, compilersLoaded }));
    `;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`the dist app failed: ${run.stderr}`);
      fromDist = JSON.parse(run.stdout) as typeof fromDist;

      const app = await buildApp(defaultConfig({ signer: 'placeholder', logLevel: 'silent', timing: 'instant', apiKeys: [KEY], ...settings }), {
        logger: false,
        tickMs: 0,
      });
      await app.ready();
      fromSource = [];
      for (const c of CALLS) {
        const res = await app.inject({ ...c, headers: { 'api-key': KEY, ...c.headers } });
        fromSource.push([res.statusCode, res.body]);
      }
      await app.close();
    }, 60_000);

    it('answers every request as the compiled validators and serializers do', () => {
      expect(fromDist.answers.map(([s, b]) => [s, settled(b)])).toEqual(fromSource.map(([s, b]) => [s, settled(b)]));
      // Both valid and refused requests were among them.
      expect(new Set(fromSource.map(([s]) => Math.floor(s / 100)))).toEqual(new Set([2, 4]));
    });

    it('loads neither ajv nor fast-json-stringify to serve them', () => {
      expect(fromDist.compilersLoaded).toEqual([]);
    });
  },
);
