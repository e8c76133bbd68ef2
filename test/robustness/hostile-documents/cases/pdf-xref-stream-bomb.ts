import type { HostileCase } from '../case.js';
import { PAGE, buildPdf, deflateBomb } from '../pdf.js';

/** A PDF 1.5 whose only cross-reference section is a stream inflating to `inflatedMb` MB. */
export function xrefStreamBomb(inflatedMb: number): Buffer {
  const data = deflateBomb('', inflatedMb * 1_000_000, 0x00);
  return buildPdf(
    [
      { body: '<< /Type /Catalog /Pages 2 0 R >>' },
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: PAGE(2) },
      { body: `<< /Type /XRef /Size 5 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length ${data.length} >>`, stream: data },
    ],
    { version: '1.5', xref: false },
  );
}

const hostileCase: HostileCase = {
  id: 'pdf-xref-stream-bomb',
  why:
    'A cross-reference stream (PDF 1.5) that inflates to ~500 MB of zero entries in a 0.5 MB file: a reader that decodes ' +
    'the xref stream to find its objects allocates it all, as with the object-stream bomb.',
  processId: 1,
  files: () => [{ name: 'xref-stream-bomb.pdf', bytes: xrefStreamBomb(500) }],
  expect: 'any',
};
export default hostileCase;
