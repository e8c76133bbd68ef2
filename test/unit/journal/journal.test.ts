import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BodyMeter,
  entryJsonBytes,
  isoAt,
  Journal,
  type JournalEntry,
  type JournalInput,
  parseJournalQuery,
  redactHeaders,
} from '../../../src/journal/journal.js';

const A = 't-aaaaaaaaaaaa';
const B = 't-bbbbbbbbbbbb';

const input = (over: Partial<JournalInput> = {}): JournalInput => ({
  tenant: A,
  method: 'GET',
  path: '/api/BatchStatus/1',
  route: 'BatchStatus',
  batchId: 1,
  headers: { 'api-key': 'secret', accept: 'application/json' },
  bodyBytes: 0,
  bodySha256: null,
  status: 200,
  latencyMs: 3,
  fault: null,
  ...over,
});

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('redaction', () => {
  it('replaces secrets, lower-cases names, joins arrays, cuts long values', () => {
    const h = redactHeaders({
      'API-KEY': 'k',
      Authorization: 'Bearer x',
      cookie: 'a=b',
      'proxy-authorization': 'Basic y',
      'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
      'content-length': 5,
      'x-long': 'z'.repeat(5000),
      absent: undefined,
    });
    expect(h['api-key']).toBe('[redacted]');
    expect(h.authorization).toBe('[redacted]');
    expect(h.cookie).toBe('[redacted]');
    expect(h['proxy-authorization']).toBe('[redacted]');
    expect(h['x-forwarded-for']).toBe('1.1.1.1, 2.2.2.2');
    expect(h['content-length']).toBe('5');
    expect(h['x-long']!.length).toBeLessThan(1100);
    expect('absent' in h).toBe(false);
  });

  it('record never stores a secret', () => {
    const j = new Journal();
    j.record(input({ headers: { 'Api-Key': 'super-secret-key', Authorization: 'Bearer tok' } }));
    const text = j.toNdjson();
    expect(text).not.toContain('super-secret-key');
    expect(text).not.toContain('Bearer tok');
    expect(j.query()[0]?.headers).toEqual({ 'api-key': '[redacted]', authorization: '[redacted]' });
  });
});

describe('bounds', () => {
  it('by count: oldest evicted first', () => {
    const j = new Journal({ maxEntries: 3 });
    for (let i = 1; i <= 5; i++) j.record(input({ batchId: i }));
    expect(j.query().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(j.stats()).toMatchObject({ entries: 3, maxEntries: 3, evicted: 2 });
  });

  it('by bytes: the serialized size stays under maxBytes', () => {
    const probe = new Journal();
    probe.record(input());
    const one = Buffer.byteLength(JSON.stringify(probe.query()[0]));
    const j = new Journal({ maxEntries: 1000, maxBytes: one * 4 + 10 });
    for (let i = 0; i < 50; i++) j.record(input());
    const s = j.stats();
    expect(s.entries).toBe(4);
    expect(s.bytes).toBeLessThanOrEqual(s.maxBytes);
    expect(s.evicted).toBe(46);
  });

  it('an entry larger than maxBytes alone is dropped, not stored', () => {
    const j = new Journal({ maxBytes: 50 });
    j.record(input());
    expect(j.stats()).toMatchObject({ entries: 0, bytes: 0, evicted: 1 });
  });

  it('a flood of 100k entries keeps bytes under the bound and the heap flat', () => {
    const j = new Journal({ maxEntries: 20_000, maxBytes: 2 * 1024 * 1024 });
    const flood = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        j.record(
          input({
            tenant: i % 2 ? A : B,
            path: `/api/BatchStatus/${i}`,
            batchId: i,
            headers: { 'api-key': 'k', 'user-agent': `client-${i}`, 'x-request-id': `req-${i}-${'x'.repeat(i % 200)}` },
            bodySha256: i % 3 ? null : 'ab'.repeat(32),
          }),
        );
      }
    };
    flood(0, 20_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    flood(20_000, 80_000);
    gc();
    const after = process.memoryUsage().heapUsed;
    const s = j.stats();
    expect(s.bytes).toBeLessThanOrEqual(s.maxBytes);
    expect(s.entries).toBeLessThanOrEqual(s.maxEntries);
    expect(s.evicted).toBe(100_000 - s.entries);
    // Flat: growing from 20k to 100k recorded entries costs (almost) nothing.
    expect(after - before).toBeLessThan(4 * 1024 * 1024);
    const q = j.query();
    expect(q[q.length - 1]?.seq).toBe(100_000);
    expect(q.length).toBe(s.entries);
  });
});

describe('query', () => {
  const setup = () => {
    const j = new Journal();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    j.record(input({ at: new Date(t0), route: 'CreateBatch', method: 'POST', path: '/api/CreateBatch/1', batchId: null }));
    j.record(input({ at: new Date(t0 + 1000), route: 'upload', method: 'POST', path: '/api/upload/1' }));
    j.record(input({ at: new Date(t0 + 2000), tenant: B, batchId: 2, path: '/api/BatchStatus/2' }));
    j.record(input({ at: new Date(t0 + 3000) }));
    j.record(input({ at: new Date(t0 + 4000), route: 'batchfile', path: '/api/batchfile/1', fault: 'truncate-download(50%)#f1' }));
    j.record(input({ at: new Date(t0 + 5000), route: null, path: '/api/Nope' }));
    return { j, t0 };
  };

  it('filters by tenant, route, batch, method and time; newest last; limit keeps the newest', () => {
    const { j, t0 } = setup();
    expect(j.query({ tenant: B }).map((e) => e.seq)).toEqual([3]);
    expect(j.query({ route: 'BatchStatus' }).map((e) => e.seq)).toEqual([3, 4]);
    expect(j.query({ batchId: 1 }).map((e) => e.seq)).toEqual([2, 4, 5, 6]);
    expect(j.query({ method: 'post' }).map((e) => e.seq)).toEqual([1, 2]);
    expect(j.query({ since: new Date(t0 + 1000).toISOString(), until: t0 + 4000 }).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(j.query({ limit: 2 }).map((e) => e.seq)).toEqual([5, 6]);
    expect(j.query({ afterSeq: 4 }).map((e) => e.seq)).toEqual([5, 6]);
    expect(j.query({ tenant: A, limit: 1, route: 'BatchStatus' }).map((e) => e.seq)).toEqual([4]);
    expect(j.query()[4]).toMatchObject({ fault: 'truncate-download(50%)#f1', at: '2026-01-01T00:00:04.000Z' });
  });

  it('exports NDJSON lines that parse back to the entries', () => {
    const { j } = setup();
    const text = j.toNdjson({ tenant: A });
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(j.query({ tenant: A }));
    expect([...j.ndjsonLines({ limit: 1 })]).toHaveLength(1);
  });

  it('clears all or one tenant; seq keeps counting', () => {
    const { j } = setup();
    expect(j.clear(B)).toBe(1);
    expect(j.query().map((e) => e.seq)).toEqual([1, 2, 4, 5, 6]);
    expect(j.stats().bytes).toBe(j.query().reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0));
    expect(j.clear()).toBe(5);
    expect(j.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(j.record(input())).toBe(7);
    expect(j.lastSeq).toBe(7);
  });

  it('parseJournalQuery converts query strings and refuses typos', () => {
    expect(parseJournalQuery({ tenant: A, batchId: '3', limit: '10', since: '2026-01-01T00:00:00Z', afterSeq: '0', until: '' })).toEqual({
      tenant: A,
      batchId: 3,
      limit: 10,
      since: '2026-01-01T00:00:00Z',
      afterSeq: 0,
    });
    expect(parseJournalQuery({ since: '1767225600000' })).toEqual({ since: 1767225600000 });
    expect(() => parseJournalQuery({ batch: '1' })).toThrow(/Unknown journal filter "batch"/);
    expect(() => parseJournalQuery({ limit: '0' })).toThrow(/limit must be an integer of at least 1/);
    expect(() => parseJournalQuery({ since: 'yesterday' })).toThrow(/since must be an ISO 8601 time/);
  });
});

describe('BodyMeter', () => {
  it('counts and hashes', () => {
    const m = new BodyMeter();
    m.update(Buffer.from('hello '));
    m.update('world');
    expect(m.result()).toEqual({ bodyBytes: 11, bodySha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' });
    expect(new BodyMeter().result()).toEqual({ bodyBytes: 0, bodySha256: null });
  });
});

describe('sizes and dates written without serialising (the journal is on every request)', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 }); // any code point, lone surrogates, quotes, controls
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
  const entry: fc.Arbitrary<JournalEntry> = fc.record({
    seq: fc.nat(),
    at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    tenant: text,
    method: text,
    path: text,
    route: maybe(text),
    batchId: maybe(fc.maxSafeNat()),
    headers: fc.dictionary(text, text, { maxKeys: 6 }),
    bodyBytes: fc.maxSafeNat(),
    bodySha256: maybe(text),
    status: fc.integer({ min: 0, max: 999 }),
    latencyMs: fc.nat(),
    fault: maybe(text),
  });

  it('entryJsonBytes equals the UTF-8 length of the JSON line, for any strings', () => {
    fc.assert(
      fc.property(entry, (e) => {
        expect(entryJsonBytes(e)).toBe(Buffer.byteLength(JSON.stringify(e)));
      }),
      { numRuns: 2000 },
    );
  });

  it('what stats() counts is what NDJSON export sends, for hostile header values too', () => {
    const j = new Journal();
    j.record(input({ headers: { 'x-a': 'quote " back\\slash \u0001 ünïcødé 🦭', 'x-b': 'x'.repeat(5000) }, path: '/api/BatchStatus/1?q="1"' }));
    j.record(input());
    expect(j.stats().bytes).toBe(Buffer.byteLength(j.toNdjson()) - 2);
  });

  it('isoAt is toISOString, across second boundaries and far from now', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 - 2500 }), fc.integer({ min: 0, max: 2500 }), (ms, step) => {
        expect(isoAt(ms)).toBe(new Date(ms).toISOString());
        expect(isoAt(ms + step)).toBe(new Date(ms + step).toISOString()); // the cached second, or the next
      }),
      { numRuns: 5000 },
    );
  });
});
