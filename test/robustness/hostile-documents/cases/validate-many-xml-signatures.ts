import type { HostileCase } from '../case.js';
import type { Pki } from '../../../../src/signing/pki.js';
import { xadesEnveloped } from '../../../../src/signing/xades.js';
import { sharedPki } from '../../../unit/signing/helpers.js';

/**
 * An XML document carrying `n` copies of one enveloped XAdES signature (each verifies over the
 * document, so each costs a full canonicalisation), padded to roughly `padBytes`.
 */
export async function manySignaturesXml(n: number, pki: Pki, padBytes = 0): Promise<Buffer> {
  const items = Array.from({ length: Math.ceil(padBytes / 60) }, (_, i) => `<Line n="${i}">padding line ${i}</Line>`).join('');
  const base = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Invoice><Total>123.45</Total>${items}</Invoice>`);
  const signed = (await xadesEnveloped(base, { signer: pki.seal, now: new Date('2026-03-15T09:30:00Z') })).toString('utf8');
  const start = signed.indexOf('<ds:Signature');
  const end = signed.lastIndexOf('</ds:Signature>') + '</ds:Signature>'.length;
  const sig = signed.slice(start, end);
  return Buffer.from(signed.slice(0, end) + sig.repeat(n - 1) + signed.slice(end));
}

const many: HostileCase = {
  id: 'validate-many-xml-signatures',
  why: '600 enveloped ds:Signature elements in a 340 KB XML held a batch 28 s (the library clones the document per signature); the signature cap must refuse it at once.',
  processId: 4,
  files: async () => [{ name: 'many-signatures.xml', bytes: await manySignaturesXml(600, (await sharedPki()).pki, 40_000) }],
  longFiles: async () => [{ name: 'many-signatures.xml', bytes: await manySignaturesXml(600, (await sharedPki()).pki, 340_000) }],
  expect: 'files-fail',
};
export default many;
