import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';
import { FaultRegistry } from '../../../src/faults/fault-registry.js';
import { decodePrefer, parsePrefer, type PreferContext } from '../../../src/faults/prefer.js';

const T = 't-0123abcd4567';
const on = (route: PreferContext['route'], batchId?: number): PreferContext => ({ route, tenant: T, ...(batchId !== undefined && { batchId }) });

function refused(header: string, ctx: PreferContext = on('BatchStatus', 1)): string {
  try {
    decodePrefer(header, ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('invalid_request');
    return (e as DomainError).detail;
  }
  throw new Error(`expected "${header}" to be refused`);
}

describe('decodePrefer: the grammar forms', () => {
  it('code=503 (Prism style)', () => {
    expect(decodePrefer('code=503', on('BatchStatus', 4))).toEqual({ route: 'BatchStatus', tenant: T, batchId: 4, kind: 'status', status: 503, count: 1 });
    expect(decodePrefer('code=429; retryAfter=3; detail="slow down"', on('upload'))).toMatchObject({
      kind: 'status',
      status: 429,
      retryAfter: 3,
      detail: 'slow down',
    });
  });

  it('code=2xx is ignored (success happens anyway)', () => {
    expect(decodePrefer('code=200', on('BatchStatus'))).toBeNull();
  });

  it('fault=reset / empty', () => {
    expect(decodePrefer('fault=reset', on('upload', 2))).toMatchObject({ kind: 'reset', route: 'upload', tenant: T, batchId: 2, count: 1 });
    expect(decodePrefer('fault=EMPTY', on('CreateBatch'))).toMatchObject({ kind: 'empty', route: 'CreateBatch' });
  });

  it('fault=latency; ms=1500 and a range', () => {
    expect(decodePrefer('fault=latency; ms=1500', on('BatchStatus'))).toMatchObject({ kind: 'latency', ms: 1500 });
    expect(decodePrefer('fault=latency;minms=10;MAXMS=20', on('BatchStatus'))).toMatchObject({ minMs: 10, maxMs: 20 });
  });

  it('fault=status; status=…', () => {
    expect(decodePrefer('fault=status; status=500', on('AcceptBatch'))).toMatchObject({ kind: 'status', status: 500, route: 'AcceptBatch' });
  });

  it('fault=dribble; chunkBytes=16; intervalMs=50', () => {
    expect(decodePrefer('fault=dribble; chunkBytes=16; intervalMs=50', on('BatchStatus'))).toMatchObject({ kind: 'dribble', chunkBytes: 16, intervalMs: 50 });
  });

  it('fault=truncate-download on batchfile', () => {
    expect(decodePrefer('fault=truncate-download; fraction=0.25', on('batchfile', 9))).toMatchObject({ kind: 'truncate-download', fraction: 0.25, batchId: 9 });
    expect(decodePrefer('fault=truncate-download; bytes=100', on('batchfile', 9))).toMatchObject({ bytes: 100 });
  });

  it('domain faults on upload / AcceptBatch / CreateBatch apply to the batch via AcceptBatch', () => {
    expect(decodePrefer('fault=seal-fail; file=a.pdf', on('AcceptBatch', 5))).toEqual({
      route: 'AcceptBatch',
      tenant: T,
      batchId: 5,
      kind: 'seal-fail',
      fileName: 'a.pdf',
      count: 1,
    });
    expect(decodePrefer('fault=seal-fail', on('upload', 5))).toMatchObject({ route: 'AcceptBatch', batchId: 5 });
    expect(decodePrefer('fault=stall; status=ready; durationMs=5000', on('upload', 5))).toMatchObject({ kind: 'stall', status: 'READY', durationMs: 5000 });
    expect(decodePrefer('fault=expire; afterMs=60000', on('AcceptBatch', 5))).toMatchObject({ kind: 'expire', afterMs: 60000 });
    expect(decodePrefer('fault=untrusted-cert', on('CreateBatch'))).toMatchObject({ kind: 'untrusted-cert', route: 'AcceptBatch' });
    expect(decodePrefer('fault=corrupt-package', on('AcceptBatch', 1))).toMatchObject({ kind: 'corrupt-package', flips: 1 });
  });

  it('quoted and RFC 8187 file names', () => {
    expect(decodePrefer('fault=seal-fail; file="a; b, \\"c\\".pdf"', on('AcceptBatch', 1))).toMatchObject({ fileName: 'a; b, "c".pdf' });
    expect(decodePrefer("fault=seal-fail; file*=UTF-8''Umowa%20%C5%BC.pdf", on('AcceptBatch', 1))).toMatchObject({ fileName: 'Umowa ż.pdf' });
  });

  it('seed and probability', () => {
    expect(decodePrefer('fault=reset; seed=7; probability=0.5', on('upload'))).toMatchObject({ seed: 7, probability: 0.5 });
  });
});

describe('decodePrefer: other preferences', () => {
  it('ignores unknown preferences, alone or beside a fault, and several headers', () => {
    expect(decodePrefer(undefined, on('upload'))).toBeNull();
    expect(decodePrefer('', on('upload'))).toBeNull();
    expect(decodePrefer('return=minimal, respond-async, wait=10', on('upload'))).toBeNull();
    expect(decodePrefer('example=ok; x="1,2", dynamic=true', on('upload'))).toBeNull();
    expect(decodePrefer('respond-async, fault=reset, return=representation', on('upload'))).toMatchObject({ kind: 'reset' });
    expect(decodePrefer(['return=minimal', 'fault=latency; ms=5'], on('upload'))).toMatchObject({ kind: 'latency', ms: 5 });
  });

  it('ignores a malformed preference that is not a fault', () => {
    expect(decodePrefer('wait="unterminated', on('upload'))).toBeNull();
    expect(decodePrefer('x=; y, fault=empty', on('upload'))).toMatchObject({ kind: 'empty' });
  });

  it('parsePrefer exposes names, values and params', () => {
    const [p] = parsePrefer('Fault=Latency ; MS = 10');
    expect(p?.name).toBe('fault');
    expect(p?.value).toBe('Latency');
    expect(p?.params.get('ms')).toBe('10');
  });
});

describe('decodePrefer: malformed fault preferences', () => {
  const cases: Array<[string, RegExp, PreferContext?]> = [
    ['fault=explode', /fault=explode is not a fault kind; use one of latency, status/],
    ['fault', /fault= needs a kind/],
    ['fault=', /"fault=" has no value/],
    ['code=abc', /code= must be a 3-digit HTTP status/],
    ['code=302', /code=302 cannot be simulated; ask for 400\.\.599/],
    ['fault=latency', /a latency fault needs ms/],
    ['fault=latency; ms=abc', /ms=abc is not a number/],
    ['fault=latency; ms', /parameter "ms" needs a value/],
    ['fault=latency; ms=-5', /ms must be an integer from 0 to 300000; got -5/],
    ['fault=latency; speed=5', /fault=latency takes no parameter "speed"; it takes ms, minMs, maxMs, seed, probability/],
    ['fault=reset; file=a.pdf', /fault=reset takes no parameter "file"/],
    ['code=503; status=500', /code=503 takes no parameter "status"/],
    ['fault=reset, code=503', /one fault per request/],
    ['fault=seal-fail; file="a.pdf', /unterminated quote/],
    ['fault=reset junk', /unexpected "j"/],
    ['fault=truncate-download', /only applies to batchfile, not BatchStatus/],
    ['fault=seal-fail', /send it on CreateBatch, upload, AcceptBatch for that batch, not on BatchStatus/],
    ['fault=stall; status=CLOSED; durationMs=5', /must name a processing status/, on('AcceptBatch', 1)],
    ["fault=seal-fail; file*=latin1''a.pdf", /RFC 8187/, on('AcceptBatch', 1)],
  ];
  for (const [header, message, ctx] of cases) {
    it(`refuses ${header}`, () => {
      const detail = refused(header, ctx);
      expect(detail).toMatch(/^Malformed Prefer header: /);
      expect(detail).toMatch(message);
    });
  }
});

describe('Prefer with the registry', () => {
  it('an HTTP one-shot fires now without being stored; a domain one is stored for the batch', () => {
    const r = new FaultRegistry({ seed: 1 });
    const now = decodePrefer('fault=latency; minMs=10; maxMs=20; seed=3', on('BatchStatus', 1))!;
    const a = r.fireNow(now);
    const b = r.fireNow(now);
    expect(a?.params).toEqual(b?.params); // same seed, same draw
    expect(a?.label).toMatch(/^latency\(1\dms\)#prefer$/);
    expect(r.size).toBe(0);
    r.add(decodePrefer('fault=seal-fail; file=a.pdf', on('upload', 8))!);
    expect(r.take({ tenant: 't-ffffffffffff', route: 'AcceptBatch', batchId: 8, kinds: ['seal-fail'] })).toBeNull();
    expect(r.take({ tenant: T, route: 'AcceptBatch', batchId: 8, fileName: 'a.pdf', kinds: ['seal-fail'] })?.label).toBe('seal-fail(a.pdf)#f1');
  });
});
