import type { HostileCase } from '../case.js';
import { PAGE, buildPdf, deflateBomb } from '../pdf.js';

/** A 1 MB PDF whose object stream inflates to `inflatedMb` MB: inflating it whole would hold that much memory. */
export function objectStreamBomb(inflatedMb: number): Buffer {
  const head = '5 0 << /Bomb true >>';
  const data = deflateBomb(head, inflatedMb * 1_000_000);
  return buildPdf(
    [
      { body: '<< /Type /Catalog /Pages 2 0 R >>' },
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: PAGE(2) },
      { body: `<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${data.length} >>`, stream: data },
    ],
    { version: '1.5' },
  );
}

const hostileCase: HostileCase = {
  id: 'pdf-objstm-bomb',
  why:
    'Finding 4: a 1 MB PDF whose object stream inflates to ~1000 MB. The parser inflates it in full when the PDF is loaded, ' +
    "in ArrayBuffers outside any JavaScript heap limit: without a memory budget the server's RSS grows by gigabytes.",
  processId: 1,
  files: () => [{ name: 'objstm-bomb.pdf', bytes: objectStreamBomb(1000) }],
  expect: 'files-fail',
};
export default hostileCase;
