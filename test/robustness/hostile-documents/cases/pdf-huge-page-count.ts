import type { HostileCase } from '../case.js';
import { PAGE, buildPdf } from '../pdf.js';

/** One /Pages node listing the same page `kids` times and claiming 2^31-1 pages. */
export function hugePageCount(kids: number): Buffer {
  return buildPdf([
    { body: '<< /Type /Catalog /Pages 2 0 R >>' },
    { body: `<< /Type /Pages /Kids [${'3 0 R '.repeat(kids)}] /Count 2147483647 >>` },
    { body: PAGE(2) },
  ]);
}

const hostileCase: HostileCase = {
  id: 'pdf-huge-page-count',
  why:
    'A page tree claiming 2^31-1 pages and listing one page 100,000 times (600 KB): code that sizes arrays by /Count, or ' +
    'touches every page (placing a signature widget, counting pages), costs memory or time per claimed page.',
  processId: 1,
  files: () => [{ name: 'huge-page-count.pdf', bytes: hugePageCount(100_000) }],
  longFiles: () => [{ name: 'huge-page-count.pdf', bytes: hugePageCount(1_000_000) }],
  expect: 'any',
};
export default hostileCase;
