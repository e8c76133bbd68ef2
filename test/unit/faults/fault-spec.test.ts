import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';
import { FAULT_KINDS, KIND_INFO, parseFaultSpec, parseFaultSpecs, vendorRouteOf } from '../../../src/faults/fault-spec.js';

const T = 't-0123abcd4567';

function errorOf(input: unknown): DomainError {
  try {
    parseFaultSpec(input);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('invalid_request');
    return e as DomainError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('parseFaultSpec: every kind', () => {
  const valid: Array<[unknown, Record<string, unknown>]> = [
    [
      { kind: 'latency', ms: 1500 },
      { kind: 'latency', ms: 1500, route: '*', count: 1 },
    ],
    [
      { kind: 'latency', minMs: 100, maxMs: 900, route: 'BatchStatus' },
      { minMs: 100, maxMs: 900, route: 'BatchStatus' },
    ],
    [
      { kind: 'status', status: 503, detail: 'down', retryAfter: 2 },
      { status: 503, detail: 'down', retryAfter: 2 },
    ],
    [
      { kind: 'reset', route: 'upload', count: 3 },
      { kind: 'reset', count: 3 },
    ],
    [
      { kind: 'empty', probability: 0.25, seed: 7 },
      { kind: 'empty', probability: 0.25, seed: 7 },
    ],
    [{ kind: 'dribble' }, { chunkBytes: 16, intervalMs: 100 }],
    [
      { kind: 'dribble', chunkBytes: 1, intervalMs: 5 },
      { chunkBytes: 1, intervalMs: 5 },
    ],
    [{ kind: 'truncate-download', route: 'batchfile' }, { fraction: 0.5 }],
    [{ kind: 'truncate-download', bytes: 100 }, { bytes: 100 }],
    [
      { kind: 'seal-fail', fileName: 'a.pdf', tenant: T, batchId: 4 },
      { fileName: 'a.pdf', tenant: T, batchId: 4, route: '*' },
    ],
    [
      { kind: 'seal-fail', route: 'AcceptBatch' },
      { kind: 'seal-fail', route: 'AcceptBatch' },
    ],
    [
      { kind: 'stall', status: 'READY', durationMs: 5000 },
      { status: 'READY', durationMs: 5000 },
    ],
    [{ kind: 'corrupt-package' }, { flips: 1 }],
    [{ kind: 'truncate-package', fraction: 0.1 }, { fraction: 0.1 }],
    [{ kind: 'expire', afterMs: 0 }, { afterMs: 0 }],
    [{ kind: 'expired-cert', fileName: 'x.xml' }, { fileName: 'x.xml' }],
    [{ kind: 'untrusted-cert', tenant: 'public' }, { tenant: 'public' }],
    [{ kind: 'revoked-cert', fileName: 'a.pdf' }, { fileName: 'a.pdf' }],
  ];
  for (const [input, expected] of valid) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      expect(parseFaultSpec(input)).toMatchObject(expected);
    });
  }

  it('covers every kind', () => {
    const kinds = new Set(valid.map(([i]) => (i as { kind: string }).kind));
    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('says which kinds are HTTP and which domain', () => {
    expect(FAULT_KINDS.filter((k) => KIND_INFO[k].level === 'http')).toEqual(['latency', 'status', 'reset', 'empty', 'dribble', 'truncate-download']);
    expect(KIND_INFO['seal-fail'].point).toBe('process');
    expect(KIND_INFO.stall.point).toBe('progress');
    expect(KIND_INFO.expire.point).toBe('progress');
  });

  it('is idempotent on its own output', () => {
    for (const [input] of valid) {
      const once = parseFaultSpec(input);
      expect(parseFaultSpec(once)).toEqual(once);
    }
  });
});

describe('parseFaultSpec: bad inputs', () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /must be a JSON object/],
    [[], /must be a JSON object/],
    [{}, /fault\.kind is required/],
    [{ kind: 'explode' }, /fault\.kind must be one of latency, status/],
    [{ kind: 'latency' }, /needs ms \(fixed\), or both minMs and maxMs/],
    [{ kind: 'latency', ms: 5, minMs: 1, maxMs: 2 }, /either ms .* or minMs and maxMs/],
    [{ kind: 'latency', minMs: 9, maxMs: 2 }, /minMs \(9\) must not be greater than fault\.maxMs \(2\)/],
    [{ kind: 'latency', ms: -1 }, /fault\.ms must be an integer from 0 to 300000; got -1/],
    [{ kind: 'latency', ms: '100' }, /fault\.ms must be an integer.*got "100"/],
    [{ kind: 'status' }, /fault\.status is required for a status fault/],
    [{ kind: 'status', status: 200 }, /fault\.status must be an integer from 400 to 599; got 200/],
    [{ kind: 'status', status: 503, ms: 5 }, /field "ms" that a status fault does not take; its own fields are: status, detail, retryAfter/],
    [{ kind: 'reset', fileName: 'a.pdf' }, /field "fileName" that a reset fault does not take/],
    [{ kind: 'dribble', chunkBytes: 0 }, /chunkBytes must be an integer from 1/],
    [{ kind: 'truncate-download', route: 'BatchStatus' }, /only applies to batchfile/],
    [{ kind: 'truncate-download', fraction: 1 }, /fraction must be a number from 0 to 1 \(exclusive\)/],
    [{ kind: 'truncate-package', fraction: 0.5, bytes: 3 }, /either fraction .* or bytes/],
    [{ kind: 'seal-fail', route: 'BatchStatus' }, /domain fault: it fires when the worker processes an accepted batch, so its route is "\*" or "AcceptBatch"/],
    [{ kind: 'seal-fail', fileName: '' }, /fileName must be a non-empty string/],
    [{ kind: 'stall', status: 'CLOSED', durationMs: 5 }, /status must name a processing status .*ACCEPTED, READY, IN_PROGRESS, FINISHING; got "CLOSED"/],
    [{ kind: 'stall', status: 'READY' }, /durationMs is required/],
    [{ kind: 'expire', route: 'batchfile', afterMs: 1 }, /as the batch progresses/],
    [{ kind: 'expire' }, /afterMs is required/],
    [{ kind: 'corrupt-package', flips: 65 }, /flips must be an integer from 1 to 64/],
    [{ kind: 'reset', route: 'nope' }, /fault\.route must be one of CreateBatch, upload/],
    [{ kind: 'reset', tenant: 'my-api-key' }, /tenant id such as "t-0123abcd4567".*not|Leave it out/],
    [{ kind: 'reset', batchId: 0 }, /batchId must be an integer from 1/],
    [{ kind: 'reset', count: 0 }, /count must be an integer from 1/],
    [{ kind: 'reset', probability: 1.5 }, /probability must be a number from 0 to 1; got 1.5/],
    [{ kind: 'reset', seed: -1 }, /seed must be an integer from 0 to 4294967295/],
    [{ kind: 'reset', id: 'has space' }, /fault\.id must be 1-64 letters/],
  ];
  for (const [input, message] of cases) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      expect(errorOf(input).detail).toMatch(message);
    });
  }

  it('names the entry in a list', () => {
    expect(() => parseFaultSpecs([{ kind: 'reset' }, { kind: 'latency' }])).toThrow(/faults\[1\]: a latency fault needs/);
    expect(() => parseFaultSpecs({ kind: 'reset' })).toThrow(/faults must be a JSON array/);
  });

  it('probability without count is unlimited; with count, both are kept', () => {
    expect(parseFaultSpec({ kind: 'reset', probability: 0.5 })).not.toHaveProperty('count');
    expect(parseFaultSpec({ kind: 'reset', probability: 0.5, count: 2 })).toMatchObject({ probability: 0.5, count: 2 });
  });
});

describe('vendorRouteOf', () => {
  it('names routes and batch ids', () => {
    expect(vendorRouteOf('/api/BatchStatus/42')).toEqual({ route: 'BatchStatus', batchId: 42 });
    expect(vendorRouteOf('/api/AcceptBatch?batchId=3')).toEqual({ route: 'AcceptBatch', batchId: null });
    expect(vendorRouteOf('/api/CreateBatch/1')).toEqual({ route: 'CreateBatch', batchId: null });
    expect(vendorRouteOf('/api/batchfile/9')).toEqual({ route: 'batchfile', batchId: 9 });
    expect(vendorRouteOf('/_simulator/batches')).toBeNull();
    expect(vendorRouteOf('/tsa')).toEqual({ route: 'tsa', batchId: null });
  });
});
