import type { HostileCase } from '../case.js';

/** The "billion laughs": ten levels of entities, each ten of the one below. */
export function billionLaughs(): Buffer {
  let dtd = '<!ENTITY lol0 "lol">\n';
  for (let i = 1; i <= 10; i++) dtd += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">\n`;
  return Buffer.from(`<?xml version="1.0"?>\n<!DOCTYPE invoice [\n${dtd}]>\n<invoice>&lol10;</invoice>\n`);
}

const hostileCase: HostileCase = {
  id: 'xades-entity-expansion',
  why:
    'The "billion laughs" XML (1 KB, 10^10 characters if its entities are expanded), sent to be sealed as XAdES enveloped: ' +
    'an XML parser or canonicaliser that expands internal entities allocates without bound.',
  processId: 3,
  files: () => [{ name: 'billion-laughs.xml', bytes: billionLaughs() }],
  expect: 'any',
};
export default hostileCase;
