import type { HostileCase } from '../case.js';
import { buildSignedData } from '../../../../src/signing/cms.js';
import { createTsa } from '../../../../src/signing/tsa.js';
import { readTlv } from '../../../../src/signing/der.js';
import { sharedPki } from '../../../unit/signing/helpers.js';

const CONTENT_TYPE_ATTR = Buffer.from('06092a864886f70d010903', 'hex');
const TST_ATTR = Buffer.from('060b2a864886f70d010910020e', 'hex');

/**
 * The same CAdES-B-T .p7m with the length of the time-stamp token's signed attributes lowered by
 * one: `openssl asn1parse` rejects it; a validator that re-encodes the token before checking it
 * does not notice.
 */
export function malformedTstP7m(p7m: Buffer): Buffer {
  const tst = p7m.indexOf(TST_ATTR);
  const ct = p7m.indexOf(CONTENT_TYPE_ATTR, tst);
  for (let i = ct - 8; i < ct; i++) {
    if (p7m[i] !== 0xa0) continue;
    const t = readTlv(p7m, i);
    if (t.hdr + i + 2 > ct + 2) continue;
    const out = Buffer.from(p7m);
    out[i + t.hdr - 1] = out[i + t.hdr - 1]! - 1;
    return out;
  }
  throw new Error('no time-stamp signed attributes found');
}

const malformed: HostileCase = {
  id: 'validate-malformed-tst',
  why: "A .p7m whose time-stamp token's signed-attributes length was changed was reported valid (the token was re-encoded before it was checked); it must fail as not DER.",
  processId: 4,
  files: async () => {
    const { pki } = await sharedPki();
    const tsa = createTsa(pki);
    const now = new Date('2026-03-15T09:30:00Z');
    const p7m = buildSignedData({
      signer: pki.seal,
      content: Buffer.from('hello\n'),
      attach: true,
      signingTime: now,
      timestamp: (d) => tsa.tokenForDigest(d, now),
    });
    return [{ name: 'notes.txt.p7m', bytes: malformedTstP7m(p7m) }];
  },
  expect: 'files-fail',
};
export default malformed;
