import type { HostileCase } from '../case.js';
import { manySignaturesXml } from './validate-many-xml-signatures.js';
import { sharedPki } from '../../../unit/signing/helpers.js';

/** One enveloped signature whose SignedInfo repeats its whole-document Reference `n` times. */
export async function manyReferencesXml(n: number, padBytes: number): Promise<Buffer> {
  const xml = (await manySignaturesXml(1, (await sharedPki()).pki, padBytes)).toString('utf8');
  // The data Reference may carry an Id before its URI (XAdES baseline: DataObjectFormat points at it).
  const start = xml.search(/<ds:Reference(?: Id="[^"]*")? URI=""/);
  const end = xml.indexOf('</ds:Reference>', start) + '</ds:Reference>'.length;
  if (start < 0) throw new Error('no whole-document reference');
  return Buffer.from(xml.slice(0, end) + xml.slice(start, end).repeat(n - 1) + xml.slice(end));
}

const refs: HostileCase = {
  id: 'validate-many-references',
  why: 'One XML signature whose SignedInfo holds 2,000 references to the whole document: each costs a canonicalisation of the document; the per-signature reference limit refuses it.',
  processId: 4,
  files: async () => [{ name: 'many-references.xml', bytes: await manyReferencesXml(2000, 40_000) }],
  expect: 'files-fail',
};
export default refs;
