import type { HostileCase } from '../case.js';

/** A .p7m that is `depth` nested SEQUENCE headers (4-octet lengths) around nothing. */
export function deepDer(depth: number): Buffer {
  const out = Buffer.alloc(depth * 6);
  for (let i = 0; i < depth; i++) {
    const len = (depth - i - 1) * 6;
    out.set([0x30, 0x84, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff], i * 6);
  }
  return out;
}

const deep: HostileCase = {
  id: 'validate-der-deep-nesting',
  why: 'A CMS file of 100,000 nested SEQUENCEs: a recursive ASN.1 parser without a depth limit overflows its stack or walks it at length; the strict DER reader refuses it at depth 64.',
  processId: 4,
  files: () => [{ name: 'deep.p7m', bytes: deepDer(100_000) }],
  expect: 'files-fail',
};
export default deep;
