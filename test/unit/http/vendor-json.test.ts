import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vendorDate } from '../../../src/http/vendor-json.js';

describe('vendorDate', () => {
  it('writes yyyy-MM-dd HH:mm:ss in UTC, the same on every call (it keeps recent answers)', () => {
    expect(vendorDate(Date.UTC(2023, 0, 1, 10, 0, 0, 999))).toBe('2023-01-01 10:00:00');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
        const expected = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
        expect(vendorDate(ms)).toBe(expected);
        expect(vendorDate(ms)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
