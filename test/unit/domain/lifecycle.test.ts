import { describe, expect, it } from 'vitest';
import { EVENTS, LIFECYCLE_ORDER, remedy, transition } from '../../../src/domain/lifecycle.js';
import { STATUSES, type Status } from '../../../src/domain/status.js';

// The whole table, written out: every status × every event. A change to the lifecycle must change
// this list on purpose.
const EXPECTED: Record<Status, Record<string, Status | undefined>> = {
  NEW: { upload: 'UPLOADED', accept: undefined, advance: undefined, delete: 'DELETED' },
  UPLOADED: { upload: 'UPLOADED', accept: 'ACCEPTED', advance: undefined, delete: 'DELETED' },
  ACCEPTED: { upload: undefined, accept: undefined, advance: 'READY', delete: 'DELETED' },
  READY: { upload: undefined, accept: undefined, advance: 'IN_PROGRESS', delete: 'DELETED' },
  IN_PROGRESS: { upload: undefined, accept: undefined, advance: 'FINISHING', delete: 'DELETED' },
  FINISHING: { upload: undefined, accept: undefined, advance: 'CLOSED', delete: 'DELETED' },
  CLOSED: { upload: undefined, accept: undefined, advance: undefined, delete: 'DELETED' },
  DELETED: { upload: undefined, accept: undefined, advance: undefined, delete: undefined },
};

describe('lifecycle transition table', () => {
  for (const status of STATUSES) {
    for (const event of EVENTS) {
      it(`${status} × ${event} → ${EXPECTED[status][event] ?? 'refused'}`, () => {
        expect(transition(status, event)).toBe(EXPECTED[status][event]);
      });
    }
  }

  it('never moves a batch backwards in the lifecycle order', () => {
    for (const status of STATUSES) {
      for (const event of EVENTS) {
        const to = transition(status, event);
        if (to) expect(LIFECYCLE_ORDER.indexOf(to)).toBeGreaterThanOrEqual(LIFECYCLE_ORDER.indexOf(status));
      }
    }
  });

  it('tells the caller what to do when a call is refused', () => {
    expect(remedy('NEW', 'accept')).toMatch(/Upload the ZIP/);
    expect(remedy('ACCEPTED', 'upload')).toMatch(/before AcceptBatch/);
    expect(remedy('IN_PROGRESS', 'download')).toMatch(/poll .*BatchStatus.* until it is CLOSED/);
    expect(remedy('DELETED', 'download')).toMatch(/deleted/);
  });
});
