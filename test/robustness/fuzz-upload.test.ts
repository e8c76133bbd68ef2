/**
 * Hostile-input fuzzing over the HTTP surface. fast-check properties, sent
 * through app.inject against the app exactly as production builds it (manual clock, no ticker),
 * plus a raw-socket pass for headers against a real listening server.
 *
 * Short form (npm test): FUZZ_RUNS unset → a few hundred cases per property.
 * Long form: `FUZZ_RUNS=10000 vitest run --config vitest.robustness.config.ts test/robustness/fuzz`
 * (the upload property gets FUZZ_RUNS cases; the other properties a fifth of it each).
 * FUZZ_SEED replays a failing run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KEY, samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';
import { fixture } from '../unit/archive/helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 0;
const LONG = RUNS > 0;
const UPLOAD_RUNS = LONG ? RUNS : 200;
const OTHER_RUNS = LONG ? Math.max(200, Math.floor(RUNS / 5)) : 150;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const params = (numRuns: number) => ({ numRuns, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true });
/** Generous: the simulator streams packages to disk; a leak of a few KB per case shows over 10k cases. */
const HEAP_BOUND = 256 * 1024 * 1024;
const RSS_BOUND = 1024 * 1024 * 1024;

let sim: TestSim;
beforeAll(async () => {
  sim = await startTestSim({ timing: 'manual' });
});
afterAll(async () => {
  await sim?.close();
});

/**
 * Never a 5xx, and every 4xx is an RFC 9457 problem. `injectedFaults`: the request carried a Prefer
 * header, which may ask for a 5xx on purpose (`Prefer: code=500`, the fault-injection feature);
 * such an answer says so in its problem type.
 */
function expectProblem(res: LightMyRequestResponse, what: string, options: { injectedFaults?: boolean } = {}): void {
  if (res.statusCode >= 500 && !(options.injectedFaults && res.body.includes('"urn:seal-simulator:problem:injected-fault"'))) {
    throw new Error(`${what} → ${res.statusCode}: ${res.body}`);
  }
  if (res.statusCode >= 400) {
    const type = String(res.headers['content-type'] ?? '');
    if (!type.startsWith('application/problem+json')) throw new Error(`${what} → ${res.statusCode} with content type ${type}: ${res.body}`);
    const body = JSON.parse(res.body) as { status?: number; type?: string; detail?: string };
    if (body.status !== res.statusCode || typeof body.type !== 'string' || typeof body.detail !== 'string') {
      throw new Error(`${what} → ${res.statusCode} with a malformed problem: ${res.body}`);
    }
  }
}

async function healthy(): Promise<void> {
  const res = await sim.app.inject({ method: 'GET', url: '/_simulator/health' });
  if (res.statusCode !== 200) throw new Error(`health answered ${res.statusCode}: ${res.body}`);
}

function memoryCheck(label: string): { heapMB: number; rssMB: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  expect(heapUsed, `${label}: heapUsed`).toBeLessThan(HEAP_BOUND);
  expect(rss, `${label}: rss`).toBeLessThan(RSS_BOUND);
  return { heapMB: Math.round(heapUsed / 2 ** 20), rssMB: Math.round(rss / 2 ** 20) };
}

// ---- ZIP mutations --------------------------------------------------------------------------

const SIG = { local: 0x04034b50, central: 0x02014b50, eocd: 0x06054b50, zip64eocd: 0x06064b50, zip64loc: 0x07064b50, dd: 0x08074b50 };

/** Offsets of every record signature in a ZIP: where header-field mutations aim. */
function recordOffsets(zip: Buffer): { local: number[]; central: number[]; end: number[] } {
  const out = { local: [] as number[], central: [] as number[], end: [] as number[] };
  for (let i = 0; i + 4 <= zip.length; i++) {
    const sig = zip.readUInt32LE(i);
    if (sig === SIG.local) out.local.push(i);
    else if (sig === SIG.central) out.central.push(i);
    else if (sig === SIG.eocd || sig === SIG.zip64eocd || sig === SIG.zip64loc || sig === SIG.dd) out.end.push(i);
  }
  return out;
}

interface Base {
  name: string;
  bytes: Buffer;
  offsets: ReturnType<typeof recordOffsets>;
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; to: number }
  | { kind: 'field'; record: 'local' | 'central' | 'end'; index: number; field: number; width: 2 | 4; value: number }
  | { kind: 'duplicate'; from: number; length: number; to: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number };

const interesting32 = fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff);
const fieldValue = fc.oneof(interesting32, fc.integer({ min: 0, max: 0xffffffff }));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), to: fc.nat() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('field' as const),
      record: fc.constantFrom('local' as const, 'central' as const, 'end' as const),
      index: fc.nat(),
      // Local headers are 30 bytes + name/extra, central 46 + …, EOCD 22 (zip64 records 56/20).
      field: fc.integer({ min: 4, max: 48 }),
      width: fc.constantFrom(2 as const, 4 as const),
      value: fieldValue,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), from: fc.nat(), length: fc.integer({ min: 1, max: 4096 }), to: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 256 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 512 }) }) },
);

function applyMutation(zip: Buffer, offsets: Base['offsets'], m: Mutation): Buffer {
  if (zip.length === 0) return zip;
  const at = (n: number) => n % zip.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(zip);
      out[at(m.at)]! ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      const out = Buffer.from(zip);
      out[at(m.at)] = m.value;
      return out;
    }
    case 'truncate':
      return zip.subarray(0, m.to % zip.length);
    case 'field': {
      const list = offsets[m.record];
      if (list.length === 0) return zip;
      const pos = list[m.index % list.length]! + m.field;
      if (pos + m.width > zip.length) return zip;
      const out = Buffer.from(zip);
      if (m.width === 2) out.writeUInt16LE(m.value & 0xffff, pos);
      else out.writeUInt32LE(m.value >>> 0, pos);
      return out;
    }
    case 'duplicate': {
      // Entry insertion/duplication: copy a run of bytes (often a whole local or central record)
      // to another position, shifting everything after it.
      const from = at(m.from);
      const chunk = zip.subarray(from, Math.min(zip.length, from + m.length));
      const to = m.to % (zip.length + 1);
      return Buffer.concat([zip.subarray(0, to), chunk, zip.subarray(to)]);
    }
    case 'insert': {
      const to = m.at % (zip.length + 1);
      return Buffer.concat([zip.subarray(0, to), Buffer.from(m.bytes), zip.subarray(to)]);
    }
    case 'delete': {
      const from = at(m.at);
      return Buffer.concat([zip.subarray(0, from), zip.subarray(Math.min(zip.length, from + m.length))]);
    }
  }
}

/** A whole central-directory record duplicated with the EOCD counts bumped: a structural entry insertion. */
function duplicateCentralEntry(zip: Buffer, offsets: Base['offsets'], which: number): Buffer {
  const eocd = offsets.end.filter((o) => zip.readUInt32LE(o) === SIG.eocd).at(-1);
  if (eocd === undefined || offsets.central.length === 0 || eocd + 22 > zip.length) return zip;
  const start = offsets.central[which % offsets.central.length]!;
  if (start + 46 > zip.length) return zip;
  const len = 46 + zip.readUInt16LE(start + 28) + zip.readUInt16LE(start + 30) + zip.readUInt16LE(start + 32);
  const record = zip.subarray(start, Math.min(zip.length, start + len));
  const out = Buffer.concat([zip.subarray(0, eocd), record, zip.subarray(eocd)]);
  const e = eocd + record.length;
  out.writeUInt16LE((out.readUInt16LE(e + 8) + 1) & 0xffff, e + 8);
  out.writeUInt16LE((out.readUInt16LE(e + 10) + 1) & 0xffff, e + 10);
  out.writeUInt32LE((out.readUInt32LE(e + 12) + record.length) >>> 0, e + 12);
  return out;
}

type Body =
  | { kind: 'mutant'; base: number; mutations: Mutation[]; duplicateCentral: number | null }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'random-with-magic'; bytes: Uint8Array; magic: number };

const bodyArb = (bases: number): fc.Arbitrary<Body> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('mutant' as const),
        base: fc.integer({ min: 0, max: bases - 1 }),
        mutations: fc.array(mutationArb, { minLength: 0, maxLength: 6 }), // 0: the valid base (a 202 that replaces the package)
        duplicateCentral: fc.option(fc.nat(), { freq: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 2048 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('random-with-magic' as const),
        bytes: fc.uint8Array({ minLength: 22, maxLength: 2048 }),
        magic: fc.constantFrom(SIG.local, SIG.eocd, SIG.central),
      }),
    },
  );

function materialize(bases: Base[], body: Body): Buffer {
  if (body.kind === 'random') return Buffer.from(body.bytes);
  if (body.kind === 'random-with-magic') {
    const out = Buffer.from(body.bytes);
    // Start with a local header signature, or end with an EOCD signature where a reader looks for it.
    if (body.magic === SIG.eocd) out.writeUInt32LE(SIG.eocd, out.length - 22);
    else out.writeUInt32LE(body.magic, 0);
    return out;
  }
  const base = bases[body.base]!;
  let zip = body.duplicateCentral === null ? base.bytes : duplicateCentralEntry(base.bytes, base.offsets, body.duplicateCentral);
  for (const m of body.mutations) zip = applyMutation(zip, recordOffsets(zip), m);
  return zip;
}

/** Files in the packages directory must be exactly the packages some batch records. */
function assertNoStrayFiles(): void {
  const root = sim.app.sim.blobs.root;
  const onDisk = readdirSync(join(root, 'packages')).sort();
  const recorded = sim.app.sim.store
    .listBatches({ limit: Number.MAX_SAFE_INTEGER })
    .flatMap((b) => (b.package ? [b.package.path.replace(/^packages[\\/]/, '')] : []))
    .sort();
  expect(onDisk).toEqual(recorded);
  expect(readdirSync(join(root, 'tmp')).filter((f) => !f.startsWith('.probe-'))).toEqual([]);
}

describe('fuzzing uploads with mutated and random ZIPs', () => {
  it(
    `every answer is 202 or a 4xx problem, a refused upload changes nothing, memory stays bounded (${UPLOAD_RUNS} cases)`,
    async () => {
      const bases: Base[] = await Promise.all(
        ['valid-flat.zip', 'valid-stored.zip', 'valid-zip64.zip', 'valid-single.zip', 'valid-utf8-names.zip', 'valid-cp437-name.zip'].map(async (name) => {
          const bytes = readFileSync(fixture(name));
          return { name, bytes, offsets: recordOffsets(bytes) };
        }),
      );
      const many = await zipOf(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.pdf`, samplePdf(`doc ${i}`)])));
      bases.push({ name: 'twenty-files', bytes: many, offsets: recordOffsets(many) });

      // Two batches: a fresh one (no package) and one that already holds a valid package; a
      // refused upload must leave either exactly as it was.
      const fresh = await sim.createBatch(1);
      const holding = await sim.createBatch(1);
      expect((await sim.upload(holding, bases[0]!.bytes)).statusCode).toBe(202);

      const start = Date.now();
      let cases = 0;
      const codes = new Map<number, number>();
      const reasons = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(bodyArb(bases.length), fc.boolean(), async (body, toFresh) => {
          cases++;
          const zip = materialize(bases, body);
          const id = toFresh ? fresh : holding;
          const before = sim.app.sim.store.getBatch(id);
          const res = await sim.upload(id, zip);
          codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1);
          expectProblem(res, `upload of ${zip.length} bytes`);
          if (res.statusCode !== 202) {
            expect([400, 413]).toContain(res.statusCode);
            const reason = String(res.json().reason ?? res.json().type);
            reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
            expect(isDeepStrictEqual(sim.app.sim.store.getBatch(id), before), 'a refused upload changed the batch').toBe(true);
          } else {
            const after = sim.app.sim.store.getBatch(id)!;
            expect(after.package?.size).toBe(zip.length);
            expect(after.documents.length).toBeGreaterThan(0);
          }
          assertNoStrayFiles();
          if (cases % 1000 === 0) memoryCheck(`after ${cases} uploads`);
        }),
        params(UPLOAD_RUNS),
      );
      const mem = memoryCheck(`after ${cases} uploads`);
      await healthy();
      const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12);
      console.info(
        `[fuzz-upload] ${cases} cases in ${((Date.now() - start) / 1000).toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(codes))}; heap ${mem.heapMB} MB, rss ${mem.rssMB} MB${typeof (globalThis as { gc?: unknown }).gc === 'function' ? ' (after gc)' : ''}; top reasons ${JSON.stringify(Object.fromEntries(top))}`,
      );
    },
    LONG ? 3_600_000 : 60_000,
  );
});

// ---- the other inputs -------------------------------------------------------------------------

const hostileSegment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    '0',
    '-1',
    '1e3',
    '0x10',
    '1.5',
    ' 1',
    '1 ',
    '+1',
    '00001',
    '9007199254740991',
    '9007199254740992',
    '99999999999999999999',
    'NaN',
    'Infinity',
    '..',
    '../..',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    '%00',
    '%',
    '%zz',
    '%C0%AE',
    '%E2%80%AE',
    'null',
    'undefined',
    '[]',
    '{}',
    '__proto__',
    'constructor',
  ),
);

/** A path segment as a client would put it on the wire: percent-encoded, or raw when it is safe. */
const encodeSegment = (s: string, raw: boolean) => (raw && /^[\x21-\x7e]*$/.test(s) && !/[?#]/.test(s) ? s : encodeURIComponent(s));

const VENDOR_ROUTES: Array<{ method: 'GET' | 'POST' | 'DELETE'; path: (seg: string) => string }> = [
  { method: 'POST', path: (s) => `/api/CreateBatch/${s}` },
  { method: 'POST', path: (s) => `/api/upload/${s}` },
  { method: 'GET', path: (s) => `/api/BatchStatus/${s}` },
  { method: 'POST', path: (s) => `/api/AcceptBatch/${s}` },
  { method: 'POST', path: (s) => `/api/AcceptBatch?batchId=${s}` },
  { method: 'GET', path: (s) => `/api/batchfile/${s}` },
  { method: 'DELETE', path: (s) => `/api/BatchDeleteCache/${s}` },
  { method: 'POST', path: (s) => `/tsa/stamp/${s}` },
  { method: 'POST', path: (s) => `/tsa/stamp/rfc3161/${s}` },
];

describe('fuzzing the other inputs', () => {
  let batchId: number;
  // A fresh NEW batch for each property: the path fuzz may draw this very id for
  // DELETE /api/BatchDeleteCache/{id} (a NEW batch may be deleted), and the next
  // property asserts the batch is still NEW after its random AcceptBatch bodies.
  beforeEach(async () => {
    batchId = await sim.createBatch(1);
  });

  it(
    'path parameters on every vendor route: never a 5xx, always a problem',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: VENDOR_ROUTES.length - 1 }), hostileSegment, fc.boolean(), async (r, seg, raw) => {
          const route = VENDOR_ROUTES[r]!;
          const url = route.path(encodeSegment(seg, raw));
          const res = await sim.app.inject({
            method: route.method,
            url,
            headers: { 'api-key': KEY, 'content-type': 'application/json' },
            payload: route.method === 'POST' ? '{}' : undefined,
          });
          expectProblem(res, `${route.method} ${url}`);
        }),
        params(OTHER_RUNS),
      );
      await healthy();
    },
    LONG ? 1_800_000 : 30_000,
  );

  it(
    'AcceptBatch bodies (random JSON, text, forms, bytes): never a 5xx, always a problem',
    async () => {
      const contentType = fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/octet-stream',
        'multipart/form-data; boundary=x',
        'application/xml',
        'text/plain; charset=latin1',
        '',
        'garbage',
        ';;;',
      );
      const payload = fc.oneof(
        fc.json({ maxDepth: 3 }),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ batchId: v })),
        fc.record({ batchId: hostileSegment }).map((o) => JSON.stringify(o)),
        fc.string({ maxLength: 200 }),
        hostileSegment.map((s) => `batchId=${encodeURIComponent(s)}`),
        hostileSegment,
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.constant('x'.repeat(5000)),
        fc.constant('{"batchId": 1, "batchId": 2}'),
        fc.constant('{"__proto__": {"batchId": 1}}'),
      );
      const where = fc.constantFrom('/api/AcceptBatch', `/api/AcceptBatch?batchId=1`, '/api/AcceptBatch/1', '/api/AcceptBatch?batchId=');
      await fc.assert(
        fc.asyncProperty(contentType, payload, where, async (type, body, url) => {
          const headers: Record<string, string> = { 'api-key': KEY };
          if (type) headers['content-type'] = type;
          const res = await sim.app.inject({ method: 'POST', url: url.replace('=1', `=${batchId}`).replace('/1', `/${batchId}`), headers, payload: body });
          expectProblem(res, `AcceptBatch ${type} ${String(body).slice(0, 80)}`);
        }),
        params(OTHER_RUNS),
      );
      expect(sim.app.sim.store.getBatch(batchId)!.status).toBe('NEW');
      await healthy();
    },
    LONG ? 1_800_000 : 30_000,
  );

  it(
    'TSA requests (random bytes, random JSON, random digests): never a 5xx, always a problem',
    async () => {
      const digestLike = fc.constantFrom(20, 32, 48, 64).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
      const rfc3161 = fc.record({
        type: fc.constantFrom('application/timestamp-query', 'application/octet-stream', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        bytes: fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          digestLike,
          fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Uint8Array.from([0x30, ...b])),
        ),
        process: fc.constantFrom('1', '2', '0', '999', '-1'),
      });
      const jsonStamp = fc.record({
        type: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'),
        body: fc.oneof(
          fc.json({ maxDepth: 3 }),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ hash: v })),
          digestLike.map((d) => JSON.stringify({ hash: Buffer.from(d).toString('base64') })),
          fc.string({ maxLength: 100 }).map((s) => JSON.stringify({ hash: s })),
          fc.string({ maxLength: 100 }),
        ),
        process: fc.constantFrom('1', '2', '0', '999'),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            rfc3161.map((r) => ({ rfc: true as const, ...r })),
            jsonStamp.map((j) => ({ rfc: false as const, ...j })),
          ),
          async (c) => {
            const res = c.rfc
              ? await sim.app.inject({
                  method: 'POST',
                  url: `/tsa/stamp/rfc3161/${c.process}`,
                  headers: { 'api-key': KEY, 'content-type': c.type },
                  payload: Buffer.from(c.bytes),
                })
              : await sim.app.inject({ method: 'POST', url: `/tsa/stamp/${c.process}`, headers: { 'api-key': KEY, 'content-type': c.type }, payload: c.body });
            expectProblem(res, `TSA ${JSON.stringify(c).slice(0, 200)}`);
          },
        ),
        params(Math.min(OTHER_RUNS, LONG ? 2000 : 100)),
      );
      await healthy();
    },
    LONG ? 1_800_000 : 60_000,
  );

  it(
    'headers (API-KEY, Content-Type, Prefer, Content-Disposition): never a 5xx, always a problem',
    async () => {
      // Header values as HTTP allows them: visible ASCII, space, tab, and obs-text (0x80–0xFF).
      const headerValue = fc.oneof(
        fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
        fc
          .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 60 })
          .map((cs) => String.fromCharCode(...cs)),
        fc.constantFrom(
          '',
          ' ',
          '\t',
          'x'.repeat(8000),
          'attachment; filename="../../etc/passwd"',
          "attachment; filename*=UTF-8''%E2%80%AE%00.zip",
          'attachment; filename="a\tb.zip"',
          "attachment; filename*=UTF-8''%ZZ",
          'respond-async, wait=-1',
          'code=500',
          'fault=' + 'x'.repeat(300),
          'multipart/form-data',
          'application/json; charset=ebcdic',
        ),
      );
      const routes = fc.constantFrom(
        { method: 'POST' as const, url: '/api/CreateBatch/1' },
        { method: 'GET' as const, url: '/api/BatchStatus/1' },
        { method: 'POST' as const, url: '/api/upload/1' },
        { method: 'POST' as const, url: '/api/AcceptBatch/1' },
        { method: 'GET' as const, url: '/api/batchfile/1' },
        { method: 'DELETE' as const, url: '/api/BatchDeleteCache/999999' },
        { method: 'POST' as const, url: '/tsa/stamp/1' },
        { method: 'POST' as const, url: '/tsa/stamp/rfc3161/1' },
      );
      const headerSet = fc.record(
        {
          'api-key': headerValue,
          'content-type': headerValue,
          prefer: headerValue,
          'content-disposition': headerValue,
          authorization: headerValue,
          'x-request-id': headerValue,
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(routes, headerSet, fc.option(fc.uint8Array({ maxLength: 200 })), async (route, headers, body) => {
          const url = route.url.replace('/1', `/${batchId}`);
          const res = await sim.app.inject({
            method: route.method,
            url,
            headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v, 'latin1').toString('latin1')])),
            ...(body && route.method === 'POST' ? { payload: Buffer.from(body) } : {}),
          });
          expectProblem(res, `${route.method} ${url} with ${JSON.stringify(headers).slice(0, 300)}`, { injectedFaults: headers.prefer !== undefined });
        }),
        params(OTHER_RUNS),
      );
      await healthy();
    },
    LONG ? 1_800_000 : 30_000,
  );

  it(
    'raw HTTP requests with hostile header bytes on a real socket: an answer, never a 5xx or a dropped connection',
    async () => {
      const address = await sim.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(address);
      const rawValue = fc.array(fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.constant(0x20), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })), {
        minLength: 1,
        maxLength: 80,
      });
      const send = (request: Buffer): Promise<string> =>
        new Promise((resolve, reject) => {
          const socket = connect(Number(port), '127.0.0.1');
          const chunks: Buffer[] = [];
          const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error('no answer within 5 s'));
          }, 5000);
          socket.on('data', (c) => chunks.push(c));
          socket.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
          socket.on('end', () => {
            clearTimeout(timer);
            resolve(Buffer.concat(chunks).toString('latin1'));
          });
          // Written, not ended: a client that half-closes its side is taken by Node's HTTP server
          // as gone (it aborts the request), which real HTTP clients never do.
          socket.write(request);
        });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('api-key', 'content-type', 'prefer', 'content-disposition'),
          rawValue,
          fc.constantFrom('GET /api/BatchStatus/1', 'POST /api/CreateBatch/1', 'POST /api/upload/1', 'POST /api/AcceptBatch/1'),
          async (name, value, line) => {
            const head = `${line.replace('/1', `/${batchId}`)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${name === 'api-key' ? '' : `API-KEY: ${KEY}\r\n`}`;
            const body = line.startsWith('POST') ? 'PK' : '';
            const request = Buffer.concat([
              Buffer.from(head, 'latin1'),
              Buffer.from(`${name}: `),
              Buffer.from(value),
              Buffer.from(`\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
            ]);
            const answer = await send(request);
            const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
            if (!m) throw new Error(`no HTTP answer to ${JSON.stringify(request.toString('latin1'))}: ${JSON.stringify(answer)}`);
            const code = Number(m[1]);
            if (code >= 500 && !(name === 'prefer' && answer.includes('injected-fault')))
              throw new Error(`${code} for ${JSON.stringify(request.toString('latin1'))}: ${answer}`);
            // Node's parser refuses a malformed request before the app sees it (a bare 400); every
            // answer that reached the app is a problem document.
            if (code >= 400 && !/\r\n\r\n$/.test(answer)) expect(answer.toLowerCase()).toContain('content-type: application/problem+json');
          },
        ),
        params(Math.min(OTHER_RUNS, LONG ? 2000 : 100)),
      );
      const health = await fetch(`${address}/_simulator/health`);
      expect(health.status).toBe(200);
    },
    LONG ? 1_800_000 : 30_000,
  );
});

// ---- regressions: what the fuzzers found --------------------------------------------------------

describe('regressions found by fuzzing', () => {
  it('a non-finite numeric path parameter ("Infinity", "1e400") is a 400 problem, not an unserializable 404', async () => {
    for (const url of [
      '/api/CreateBatch/Infinity',
      '/api/CreateBatch/-Infinity',
      '/api/BatchStatus/1e400',
      '/api/upload/Infinity',
      '/api/batchfile/Infinity',
      '/tsa/stamp/Infinity',
    ]) {
      const method = url.includes('BatchStatus') || url.includes('batchfile') ? 'GET' : 'POST';
      const body = url.startsWith('/api/upload')
        ? { headers: { 'content-type': 'application/octet-stream' }, payload: 'x' }
        : url.startsWith('/tsa')
          ? { headers: { 'content-type': 'application/json' }, payload: '{"hash":"AAAA"}' }
          : {};
      const res = await sim.request({ method, url, ...body });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().detail, url).toMatch(/must be a finite number/);
    }
  });

  it("a malformed percent-escape in the path is a 400 problem, not Fastify's own JSON", async () => {
    const res = await sim.app.inject({ method: 'GET', url: '/api/BatchStatus/%', headers: { 'api-key': KEY } });
    expectProblem(res, 'GET /api/BatchStatus/%');
    expect(res.statusCode).toBe(400);
  });

  it('an upload sent as application/json or text/plain is read as bytes (400 not-a-zip), not parsed (500)', async () => {
    const id = await sim.createBatch(1);
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
      const res = await sim.request({ method: 'POST', url: `/api/upload/${id}`, headers: { 'content-type': type }, payload: '{}' });
      expect(res.statusCode, type).toBe(400);
      expect(res.json().reason).toBe('not-a-zip');
    }
    // …and a real ZIP sent with a JSON content type is taken.
    const ok = await sim.request({
      method: 'POST',
      url: `/api/upload/${id}`,
      headers: { 'content-type': 'application/json' },
      payload: await zipOf({ 'a.pdf': samplePdf() }),
    });
    expect(ok.statusCode).toBe(202);
  });
});
