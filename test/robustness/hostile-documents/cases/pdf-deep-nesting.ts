import type { HostileCase } from '../case.js';
import { PAGE, buildPdf } from '../pdf.js';

/** An object of `depth` nested arrays and dictionaries, referenced from the page. */
export function deepNesting(depth: number): Buffer {
  const open = '[<< /A '.repeat(depth);
  const close = '>>]'.repeat(depth);
  return buildPdf([
    { body: '<< /Type /Catalog /Pages 2 0 R >>' },
    { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
    { body: PAGE(2).replace('>>', '/Deep 4 0 R >>') },
    { body: `${open}0${close}` },
  ]);
}

const hostileCase: HostileCase = {
  id: 'pdf-deep-nesting',
  why:
    'An object nested 50,000 arrays and dictionaries deep (500 KB): recursive-descent parsers and serializers run out of stack ' +
    'or spend quadratic time; the file must fail (or seal) without touching anyone else.',
  processId: 1,
  files: () => [{ name: 'deep-nesting.pdf', bytes: deepNesting(50_000) }],
  expect: 'any',
};
export default hostileCase;
