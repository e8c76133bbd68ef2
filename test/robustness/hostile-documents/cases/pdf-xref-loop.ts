import type { HostileCase } from '../case.js';
import { PAGE, buildPdf, type PdfObject } from '../pdf.js';

/**
 * Two classic cross-reference sections whose trailers point at each other with /Prev (and a
 * /XRefStm at itself): a reader that follows the chain without remembering where it has been
 * loops for ever.
 */
export function xrefLoop(): Buffer {
  const objects: PdfObject[] = [{ body: '<< /Type /Catalog /Pages 2 0 R >>' }, { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' }, { body: PAGE(2) }];
  const first = buildPdf(objects, { xref: false, startxref: 0 });
  const body = first.subarray(0, first.indexOf('startxref'));
  const offsets = objects.map((_, i) => body.indexOf(`${i + 1} 0 obj\n`, 0, 'latin1'));
  const section = (prev: number): string => {
    let t = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
    for (const o of offsets) t += `${String(o).padStart(10, '0')} 00000 n \n`;
    return `${t}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Prev ${String(prev).padStart(10, '0')} >>\n`;
  };
  const a = body.length;
  const aText = section(0); // both sections have the same length (offsets are zero-padded)
  const b = a + aText.length;
  const text = section(b) + section(a) + `startxref\n${a}\n%%EOF\n`;
  return Buffer.concat([body, Buffer.from(text, 'latin1')]);
}

const hostileCase: HostileCase = {
  id: 'pdf-xref-loop',
  why: 'Cross-reference sections whose /Prev pointers form a loop: a reader that follows /Prev without a visited set never finishes.',
  processId: 1,
  files: () => [{ name: 'xref-loop.pdf', bytes: xrefLoop() }],
  expect: 'any',
};
export default hostileCase;
