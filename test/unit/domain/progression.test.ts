import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/domain/batch.js';
import { nextAdvanceAt } from '../../../src/domain/progression.js';
import { timingProfile } from '../../../src/domain/timing.js';

const batch = (over: Partial<Batch>): Batch => ({
  id: 1,
  tenant: 't',
  processId: 1,
  status: 'ACCEPTED',
  statusSince: 1_000,
  createdAt: 0,
  package: null,
  result: null,
  documents: [],
  ...over,
});
const result = { path: 'r.zip', size: 1, sha256: 'x', at: 5_000 };

describe('nextAdvanceAt', () => {
  it('is due the dwell time after entering the status', () => {
    expect(nextAdvanceAt(batch({ status: 'ACCEPTED' }), timingProfile('fast'))).toBe(1_400);
    expect(nextAdvanceAt(batch({ status: 'READY' }), timingProfile('instant'))).toBe(1_000);
  });

  it('keeps IN_PROGRESS until the worker has durably written the result', () => {
    const inProgress = batch({ status: 'IN_PROGRESS' });
    expect(nextAdvanceAt(inProgress, timingProfile('instant'))).toBeNull();
    expect(nextAdvanceAt({ ...inProgress, result }, timingProfile('instant'))).toBe(5_000);
    expect(nextAdvanceAt({ ...inProgress, result: { ...result, at: 0 } }, timingProfile('fast'))).toBe(1_600);
  });

  it('never advances batches that are not processing, nor anything in manual mode', () => {
    for (const status of ['NEW', 'UPLOADED', 'CLOSED', 'DELETED'] as const) {
      expect(nextAdvanceAt(batch({ status, result }), timingProfile('instant'))).toBeNull();
    }
    expect(nextAdvanceAt(batch({ status: 'ACCEPTED' }), timingProfile('manual'))).toBeNull();
  });

  it('takes longer in the realistic profile the more files a batch has', () => {
    const doc = { id: 1, fileName: 'a', size: 1, signed: false, success: false, detail: null };
    const few = nextAdvanceAt(batch({ status: 'READY', documents: [doc] }), timingProfile('realistic'))!;
    const many = nextAdvanceAt(batch({ status: 'READY', documents: Array(50).fill(doc) }), timingProfile('realistic'))!;
    expect(many).toBeGreaterThan(few);
    expect(few - 1_000).toBeGreaterThanOrEqual(1_000);
  });
});
