import type { HostileCase } from '../case.js';

export function deepXml(depth: number): Buffer {
  return Buffer.from(`<?xml version="1.0"?>\n${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}\n`);
}

const hostileCase: HostileCase = {
  id: 'xades-deep-nesting',
  why:
    'XML nested 100,000 elements deep (700 KB), sealed as XAdES enveloped: canonicalisation and serialisation recurse per ' +
    'level and run out of stack, or take quadratic time.',
  processId: 3,
  files: () => [{ name: 'deep.xml', bytes: deepXml(100_000) }],
  expect: 'any',
};
export default hostileCase;
