import { deflateSync } from 'node:zlib';
import type { HostileCase } from '../case.js';

/**
 * A PDF with one (unverifiable) signature field and a DSS whose `n` certificate streams each
 * inflate to `each` bytes of zeros: the DSS reader must stop at its byte budget.
 */
export function dssInflateBomb(n: number, each: number): Buffer {
  const bomb = deflateSync(Buffer.alloc(each));
  const parts: string[] = ['%PDF-1.7\n'];
  const bin: Buffer[] = [];
  const refs: string[] = [];
  for (let i = 0; i < n; i++) refs.push(`${100 + i} 0 R`);
  parts.push(`1 0 obj\n<< /Type /Catalog /DSS 2 0 R >>\nendobj\n2 0 obj\n<< /Certs [ ${refs.join(' ')} ] >>\nendobj\n`);
  bin.push(Buffer.from(parts.join('')));
  for (let i = 0; i < n; i++)
    bin.push(Buffer.from(`${100 + i} 0 obj\n<< /Length ${bomb.length} /Filter /FlateDecode >>\nstream\n`), bomb, Buffer.from('\nendstream\nendobj\n'));
  const head = Buffer.concat(bin);
  // A signature field whose ByteRange hole is the "<00>" at the very end of the file.
  const sigAt = head.length;
  const sigText = (b: number): string =>
    `3 0 obj\n<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 ${String(b).padStart(10, '0')} ${String(b + 4).padStart(10, '0')} 0] /Contents <00> >>\nendobj\n`;
  const b = sigAt + sigText(0).length;
  return Buffer.concat([head, Buffer.from(sigText(b)), Buffer.from('<00>')]);
}

const dss: HostileCase = {
  id: 'validate-dss-inflate-bomb',
  why: 'A PDF whose DSS lists 400 FlateDecode streams of 1 MiB of zeros each (about 1 KiB compressed): reading validation data must not inflate 400 MiB; the DSS budget (32 MiB) stops it.',
  processId: 4,
  files: () => [{ name: 'dss-bomb.pdf', bytes: dssInflateBomb(400, 1024 * 1024) }],
  expect: 'files-fail',
};
export default dss;
