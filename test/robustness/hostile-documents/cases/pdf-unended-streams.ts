import type { HostileCase } from '../case.js';
import { PAGE, buildPdf, type PdfObject } from '../pdf.js';

/**
 * A one-page PDF followed by `count` objects that each open a stream and never end it
 * (`<< >> stream endobj`, about 50 bytes with its cross-reference entry). pdf-lib's parser looks for each one's `endstream` to the end
 * of the file, counting every later `stream` as a nested one, so it never finds it; it then
 * recovers that object and does the same for the next: the work grows with the square of the
 * object count while memory stays flat (1,000 objects: about 1.5 s on a small box; 2,000: about 6 s; 10,000: minutes).
 */
export function unendedStreams(count: number): Buffer {
  const objects: PdfObject[] = [{ body: '<< /Type /Catalog /Pages 2 0 R >>' }, { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' }, { body: PAGE(2) }];
  for (let i = 0; i < count; i++) objects.push({ body: '<< >>\nstream' });
  return buildPdf(objects);
}

const hostileCase: HostileCase = {
  id: 'pdf-unended-streams',
  why:
    'Objects that open a stream and never end it, 10,000 of them (about 500 KB). The PDF parser scans to the end of the file for each ' +
    "one (quadratic, with no memory growth), so without a time budget one file holds a sealing process for many minutes and other tenants' batches wait.",
  processId: 1,
  files: () => [{ name: 'unended-streams.pdf', bytes: unendedStreams(10_000) }],
  expect: 'files-fail',
};
export default hostileCase;
