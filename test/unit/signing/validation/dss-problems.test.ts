import { describe, expect, it } from 'vitest';
import { scanPdf } from '../../../../src/signing/validation/pdf.js';
import { dssInflateBomb } from '../../../robustness/hostile-documents/cases/validate-dss-inflate-bomb.js';

describe('the DSS reader', () => {
  it('stops at its byte budget and reports it once, not once per unread entry', () => {
    // 400 streams of 1 MiB each against a 32 MiB budget: 368 entries are never read.
    const scan = scanPdf(dssInflateBomb(400, 1024 * 1024), 50);
    const problems = scan.dss?.problems ?? [];
    expect(problems.length).toBeLessThanOrEqual(6);
    expect(problems.join('\n')).toMatch(/holds more data than this validator reads \(33554432 bytes\); \d+ of its entries were not read/);
  });
});
