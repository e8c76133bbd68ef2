import type { HostileCase } from '../case.js';

/**
 * A PDF of `size` bytes whose text repeats `/ByteRange [0 S-2 S 0]` n times: every occurrence
 * claims to sign (almost) the whole file.
 */
export function byteRangeBomb(n: number, size = 1024 * 1024): Buffer {
  const unit = Buffer.from(`/ByteRange [0 ${size - 2} ${size} 0]\n`);
  const body = Buffer.concat([Buffer.from('%PDF-1.7\n'), ...Array<Buffer>(n).fill(unit)]);
  if (body.length > size - 2) throw new Error(`${n} occurrences do not fit in ${size} bytes`);
  const pdf = Buffer.alloc(size, 0x20);
  body.copy(pdf);
  pdf.write('<>', size - 2, 'latin1');
  return pdf;
}

const bomb: HostileCase = {
  id: 'validate-byterange-bomb',
  why: 'Each /ByteRange occurrence made the validator copy the whole file (N=3000 in 1 MiB held 3 GB); it must fail on the signature cap without copying.',
  processId: 4,
  files: () => [{ name: 'byterange-bomb.pdf', bytes: byteRangeBomb(3000) }],
  longFiles: () => [{ name: 'byterange-bomb.pdf', bytes: byteRangeBomb(30_000) }], // ≈ what fits in 1 MiB
  expect: 'files-fail',
};
export default bomb;
