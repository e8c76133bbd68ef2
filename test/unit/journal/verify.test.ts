import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';
import { Journal, type JournalEntry } from '../../../src/journal/journal.js';
import { compileGlob, parseExpected, verifySequence } from '../../../src/journal/verify.js';

const A = 't-aaaaaaaaaaaa';
const B = 't-bbbbbbbbbbbb';

/** A journal of calls: [tenant, method, route, batchId, status]. */
function log(calls: Array<[string, string, string, number | null, number]>): JournalEntry[] {
  const j = new Journal();
  for (const [tenant, method, route, batchId, status] of calls) {
    j.record({
      tenant,
      method,
      route,
      batchId,
      status,
      path: `/api/${route}${batchId === null ? '' : `/${batchId}`}`,
      headers: {},
      bodyBytes: 0,
      bodySha256: null,
      latencyMs: 1,
      fault: null,
    });
  }
  return j.query();
}

const happy = log([
  [A, 'POST', 'CreateBatch', null, 201], // 1
  [B, 'GET', 'BatchStatus', 9, 200], // 2 (another tenant)
  [A, 'POST', 'upload', 7, 202], // 3
  [A, 'POST', 'AcceptBatch', 7, 200], // 4
  [A, 'GET', 'BatchStatus', 7, 200], // 5
  [A, 'GET', 'BatchStatus', 7, 200], // 6
  [A, 'GET', 'BatchStatus', 7, 200], // 7
  [A, 'GET', 'batchfile', 7, 200], // 8
  [A, 'DELETE', 'BatchDeleteCache', 7, 200], // 9
]);

describe('verifySequence', () => {
  it('in order', () => {
    const r = verifySequence(happy, [{ route: 'CreateBatch' }, { route: 'upload' }, { route: 'AcceptBatch' }, { route: 'batchfile', status: 200 }], {
      tenant: A,
    });
    expect(r).toEqual({ matched: true, matchedSeqs: [1, 3, 4, 8], steps: [[1], [3], [4], [8]] });
  });

  it('interleaved calls are allowed (a subsequence)', () => {
    const r = verifySequence(happy, [{ route: 'CreateBatch' }, { route: 'batchfile' }]);
    expect(r.matched).toBe(true);
    expect(r.matchedSeqs).toEqual([1, 8]);
  });

  it('a missing step fails with the step index and a reason', () => {
    const r = verifySequence(happy, [{ route: 'upload' }, { route: 'BatchStatus' }, { route: 'CreateBatch' }], { tenant: A });
    expect(r.matched).toBe(false);
    expect(r.failedAt).toBe(2);
    expect(r.reason).toMatch(/^Step 3 \(CreateBatch\): no matching call after seq 7\. No CreateBatch call was made at all in that range\./);
    expect(r.matchedSeqs).toEqual([3, 5, 6, 7]);
  });

  it('out of order fails', () => {
    expect(verifySequence(happy, [{ route: 'batchfile' }, { route: 'BatchStatus' }], { tenant: A }).matched).toBe(false);
  });

  it('repetition: minTimes polls, and all polls before the next step are reported', () => {
    const ok = verifySequence(happy, [{ route: 'AcceptBatch' }, { route: 'BatchStatus', minTimes: 3 }, { route: 'batchfile' }], { tenant: A });
    expect(ok).toMatchObject({ matched: true, steps: [[4], [5, 6, 7], [8]] });
    const few = verifySequence(happy, [{ route: 'BatchStatus', minTimes: 4 }, { route: 'batchfile' }], { tenant: A });
    expect(few).toMatchObject({ matched: false, failedAt: 0 });
    expect(few.reason).toMatch(/only 3 of 4 matching calls/);
  });

  it('maxTimes caps repetitions', () => {
    const r = verifySequence(happy, [{ route: 'BatchStatus', maxTimes: 2 }, { route: 'batchfile' }], { tenant: A });
    expect(r).toMatchObject({ matched: false, failedAt: 0 });
    expect(r.reason).toMatch(/made 3 times in a row \(seqs 5, 6, 7\); at most 2 expected/);
    expect(verifySequence(happy, [{ route: 'upload', maxTimes: 1 }, { route: 'AcceptBatch' }], { tenant: A }).matched).toBe(true);
  });

  it('tenant filter: another tenant’s calls do not count', () => {
    expect(verifySequence(happy, [{ route: 'BatchStatus', batchId: 9 }], { tenant: A }).matched).toBe(false);
    expect(verifySequence(happy, [{ route: 'BatchStatus', batchId: 9 }], { tenant: B }).matched).toBe(true);
  });

  it('matches method, exact path, glob path, path prefix and status class', () => {
    expect(
      verifySequence(happy, [
        { method: 'post', path: '/api/upload/7' },
        { path: '/api/batchfile/*', status: '2xx' },
      ]).matched,
    ).toBe(true);
    expect(
      verifySequence(happy, [
        { method: 'post', pathPrefix: '/api/up' },
        { path: '/api/*file/*', status: '2xx' },
      ]).matched,
    ).toBe(true);
    expect(verifySequence(happy, [{ path: '/api/batchfile/*8' }]).matched).toBe(false);
    expect(verifySequence(happy, [{ path: '/api/upload/8' }]).matched).toBe(false);
    expect(verifySequence(happy, [{ route: 'batchfile', status: '4xx' }]).reason).toMatch(/Calls to batchfile seen: GET \/api\/batchfile\/7 → 200 \(seq 8\)/);
  });

  it('an entry matching this and the next step goes to the next step', () => {
    const r = verifySequence(happy, [{ route: 'BatchStatus' }, { route: 'BatchStatus', batchId: 7 }], { tenant: A });
    expect(r).toMatchObject({ matched: true, steps: [[5], [6, 7]] });
  });
});

describe('compileGlob', () => {
  it('matches * as any run of characters and everything else literally', () => {
    const g = compileGlob('/api/*/7*');
    expect(g('/api/BatchStatus/7')).toBe(true);
    expect(g('/api/BatchStatus/7?x=1')).toBe(true);
    expect(g('/api/BatchStatus/8')).toBe(false);
    expect(compileGlob('a*a')('a')).toBe(false);
    expect(compileGlob('a*a')('aa')).toBe(true);
    expect(compileGlob('*')('')).toBe(true);
    expect(compileGlob('a.c')('abc')).toBe(false); // no regex meaning
  });

  it('costs no more than a few passes over the text for a hostile pattern', () => {
    // The shape that backtracks exponentially in a regex engine: many stars and a near miss.
    const g = compileGlob(`${'*a'.repeat(500)}b`);
    const started = performance.now();
    expect(g('a'.repeat(100_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000); // generous: exponential would never end
  });
});

describe('parseExpected', () => {
  const bad: Array<[unknown, RegExp]> = [
    [undefined, /expected must be a non-empty JSON array/],
    [[], /non-empty JSON array/],
    [[{ route: 'upload' }, 5], /expected\[1\] must be an object/],
    [[{ rout: 'upload' }], /expected\[0\] has an unknown field "rout"/],
    [[{}], /expected\[0\] matches every call/],
    [[{ route: '' }], /route must be a non-empty string/],
    [[{ route: 'x', minTimes: 0 }], /minTimes must be an integer of at least 1/],
    [[{ route: 'x', minTimes: 3, maxTimes: 2 }], /maxTimes \(2\) is less than minTimes \(3\)/],
    [[{ status: 'ok' }], /status must be an HTTP status \(100\.\.599\) or a class like "2xx"/],
    [[{ path: '/^\\/api\\/BatchStatus\\/1\\?(a+)+$/' }], /looks like a regular expression; regular expressions are not accepted.*glob.*pathPrefix/],
    [[{ route: 'x', regex: '^/api' }], /expected\[0\]\.regex: regular expressions are not accepted/],
    [[{ path: `/${'a'.repeat(3000)}` }], /at most 2048/],
    [[{ batchId: 1.5 }], /batchId must be an integer/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      let err: unknown;
      try {
        parseExpected(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).detail).toMatch(message);
    });
  }

  it('accepts a JSON list', () => {
    expect(parseExpected(JSON.parse('[{"route":"BatchStatus","minTimes":2,"status":"2XX"},{"route":"batchfile"}]'))).toEqual([
      { route: 'BatchStatus', minTimes: 2, status: '2xx' },
      { route: 'batchfile' },
    ]);
  });
});
