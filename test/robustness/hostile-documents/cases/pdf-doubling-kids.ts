import type { HostileCase } from '../case.js';
import { PAGE, buildPdf, type PdfObject } from '../pdf.js';

/** About 4 KB: 40 /Pages nodes, each listing the next one twice, then one page. */
export function doublingKids(levels: number): Buffer {
  const objects: PdfObject[] = [{ body: '<< /Type /Catalog /Pages 2 0 R >>' }];
  for (let level = 0; level < levels; level++) {
    const self = 2 + level;
    const next = self + 1;
    objects.push({ body: `<< /Type /Pages ${level > 0 ? `/Parent ${self - 1} 0 R ` : ''}/Kids [${next} 0 R ${next} 0 R] /Count 2 >>` });
  }
  objects.push({ body: PAGE(1 + levels) });
  return buildPdf(objects);
}

const hostileCase: HostileCase = {
  id: 'pdf-doubling-kids',
  why:
    'Finding 1: a page tree whose /Pages nodes each list the next node twice, 40 levels deep (about 4 KB). ' +
    'A parser that walks the whole page tree visits 2^40 nodes. PAdES seals by incremental update and only descends to the first page, so the file ' +
    'is sealed in milliseconds; the case stays so that a page-tree walk coming back is caught (the time budget would stop it, other tenants must not notice).',
  processId: 1,
  files: () => [{ name: 'doubling-kids.pdf', bytes: doublingKids(40) }],
  expect: 'any',
};
export default hostileCase;
