import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyObject } from 'node:crypto';
import { buildSignedData } from '../../../../src/signing/cms.js';
import { createTsa, type Tsa } from '../../../../src/signing/tsa.js';
import { padesSeal } from '../../../../src/signing/pades.js';
import { xadesEnveloped } from '../../../../src/signing/xades.js';
import { validateFile, type ValidationReport } from '../../../../src/signing/validate.js';
import { cadesFacts } from '../../../../src/signing/validation/cades.js';
import { judge } from '../../../../src/signing/validation/judge.js';
import type { Pki } from '../../../../src/signing/pki.js';
import { NOW, doc, sharedPki } from '../helpers.js';
import { docBlock } from '../../../helpers/doc-blocks.js';
import { addDocTimeStamp, addDss, addSignatureRevision, attribute, caKeyOf, makeCrl, makeOcsp, withUnsignedAttrs } from './builders.js';

let pki: Pki;
let tsa: Tsa;
let caKey: KeyObject;
beforeAll(async () => {
  const s = await sharedPki();
  pki = s.pki;
  caKey = caKeyOf(s.dir);
  tsa = createTsa(pki);
});

const DAY = 86_400_000;
const VNOW = new Date();
const stamp =
  (at: Date) =>
  (d: Buffer): Buffer =>
    tsa.tokenForDigest(d, at);

async function report(name: string, bytes: Buffer, crlDer: Buffer | null = pki.crlDer, siblings: Record<string, Buffer> = {}): Promise<ValidationReport> {
  const o = await validateFile({ name, bytes }, { pki: { ca: pki.ca, ...(crlDer ? { crlDer } : {}) }, now: VNOW, sibling: (n) => siblings[n] });
  const r = JSON.parse(o.outputs[1]!.bytes.toString('utf8')) as ValidationReport;
  expect(o.success).toBe(r.indication === 'TOTAL-PASSED');
  expect(r.valid).toBe(o.success);
  return r;
}

const crlRevoking = (at: Date) => makeCrl(pki.ca, caKey, [{ cert: pki.seal.cert, at }], new Date(VNOW.getTime() - DAY), new Date(VNOW.getTime() + DAY));

describe('baseline levels (EN 319 122-1 / 319 142-1 / 319 132-1)', () => {
  it('CAdES: B-B, B-T, B-LT (revocation values), B-LTA (archive-time-stamp-v3)', async () => {
    const data = doc('notes.txt');
    const bb = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW });
    const bt = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW, timestamp: stamp(NOW) });
    const revVals = attribute('1.2.840.113549.1.9.16.2.24', seqOf(ctx0(seqOf(pki.crlDer))));
    const certVals = attribute('1.2.840.113549.1.9.16.2.23', seqOf(pki.ca.der));
    const blt = withUnsignedAttrs(bt, certVals, revVals);
    const blta = withUnsignedAttrs(blt, attribute('0.4.0.1733.2.4', tsa.tokenForDigest(Buffer.alloc(32, 7), NOW)));
    const levels = [];
    for (const [n, b] of [
      ['bb', bb],
      ['bt', bt],
      ['blt', blt],
      ['blta', blta],
    ] as const) {
      const r = await report(`${n}.p7m`, b);
      expect(r.indication, `${n}: ${r.reasons.join('; ')}`).toBe('TOTAL-PASSED');
      levels.push(r.signatures[0]!.level);
    }
    expect(levels).toEqual(['B-B', 'B-T', 'B-LT', 'B-LTA']);
  });

  it('PAdES: B-T, then a DSS makes B-LT, then a document time-stamp makes B-LTA; revisions are reported', async () => {
    const bt = await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW, timestamp: stamp(NOW) });
    const lt = addDss(bt, { certs: [pki.seal.cert.der, pki.ca.der], crls: [pki.crlDer] });
    const lta = addDocTimeStamp(lt, stamp(new Date(NOW.getTime() + 60_000)));
    const r1 = await report('bt.pdf', bt);
    expect(r1.signatures[0]).toMatchObject({ level: 'B-T', indication: 'TOTAL-PASSED', revision: { number: 1, coversWholeFile: true } });
    const r2 = await report('lt.pdf', lt);
    expect(r2.indication, r2.reasons.join('; ')).toBe('TOTAL-PASSED');
    expect(r2.signatures[0]).toMatchObject({ level: 'B-LT', revision: { coversWholeFile: false } });
    const r3 = await report('lta.pdf', lta);
    expect(r3.indication, r3.reasons.join('; ')).toBe('TOTAL-PASSED');
    // the README's example is this report: same fields at every level
    const example = JSON.parse(docBlock('validation-report-example')) as ValidationReport;
    const shape = (o: unknown): unknown =>
      Array.isArray(o)
        ? o.map(shape)
        : o && typeof o === 'object'
          ? Object.fromEntries(
              Object.keys(o)
                .sort()
                .map((k) => [k, shape((o as Record<string, unknown>)[k])]),
            )
          : typeof o;
    expect(shape(example)).toEqual(shape(r3));
    expect(example.signatures[0]).toMatchObject({ level: 'B-LTA', indication: 'TOTAL-PASSED' });
    expect(r3.signatures).toHaveLength(1);
    expect(r3.signatures[0]!.level).toBe('B-LTA');
    expect(r3.signatures[0]!.timeStamps.map((t) => t.type)).toEqual(['SIGNATURE_TIMESTAMP', 'DOCUMENT_TIMESTAMP']);
    expect(r3.documentTimeStamps).toHaveLength(1);
    expect(r3.documentTimeStamps![0]).toMatchObject({ indication: 'TOTAL-PASSED', revision: { number: 2, coversWholeFile: true } });
    // a DSS whose revocation data is about another certificate does not make the signature B-LT
    const other = addDss(bt, { certs: [pki.ca.der], ocsps: [makeOcsp(pki.ca, caKey, pki.tsa.cert, 'good', NOW)] });
    expect((await report('other.pdf', other)).signatures[0]!.level).toBe('B-T');
    // a B-B signature with only a later document time-stamp is B-T
    const bbDoc = addDocTimeStamp(await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW }), stamp(NOW));
    expect((await report('bbdoc.pdf', bbDoc)).signatures[0]!.level).toBe('B-T');
  });

  it('PAdES: a tampered document time-stamp revision is reported against the signature it covers', async () => {
    const bt = await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW, timestamp: stamp(NOW) });
    const lta = addDocTimeStamp(bt, () => tsa.tokenForDigest(Buffer.alloc(32, 9), NOW));
    const r = await report('x.pdf', lta);
    expect(r.documentTimeStamps![0]).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    expect(r.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' });
  });

  it('XAdES: B-B, B-T, and B-LT when CertificateValues and RevocationValues are added', async () => {
    const bb = await xadesEnveloped(doc('invoice.xml'), { signer: pki.seal, now: NOW });
    const bt = await xadesEnveloped(doc('invoice.xml'), { signer: pki.seal, now: NOW, timestamp: stamp(NOW) });
    const values =
      `<xades:CertificateValues><xades:EncapsulatedX509Certificate>${pki.ca.der.toString('base64')}</xades:EncapsulatedX509Certificate></xades:CertificateValues>` +
      `<xades:RevocationValues><xades:CRLValues><xades:EncapsulatedCRLValue>${pki.crlDer.toString('base64')}</xades:EncapsulatedCRLValue></xades:CRLValues></xades:RevocationValues>`;
    const text = bt.toString('utf8');
    const at = text.indexOf('</xades:UnsignedSignatureProperties>');
    expect(at).toBeGreaterThan(0);
    const blt = Buffer.from(text.slice(0, at) + values + text.slice(at));
    const got = [];
    for (const b of [bb, bt, blt]) {
      const r = await report('invoice.xml', b);
      expect(r.indication, r.reasons.join('; ')).toBe('TOTAL-PASSED');
      got.push(r.signatures[0]!.level);
    }
    expect(got).toEqual(['B-B', 'B-T', 'B-LT']);
  });
});

describe('revocation (EN 319 102-1 proof-of-existence rules)', () => {
  const data = doc('notes.txt');

  it('a revoked signer without a time-stamp is INDETERMINATE/REVOKED_NO_POE', async () => {
    const p7m = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW });
    const r = await report('a.p7m', p7m, crlRevoking(new Date(NOW.getTime() + DAY)));
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE', valid: false });
    expect(r.signatures[0]!.revocation).toMatchObject({ status: 'revoked', source: 'CRL' });
  });

  it('a time-stamp before the revocation proves the signature existed: TOTAL-PASSED', async () => {
    const p7m = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW, timestamp: stamp(NOW) });
    const r = await report('b.p7m', p7m, crlRevoking(new Date(NOW.getTime() + DAY)));
    expect(r.indication, r.reasons.join('; ')).toBe('TOTAL-PASSED');
    expect(r.signatures[0]).toMatchObject({ bestSignatureTime: NOW.toISOString(), revocation: { status: 'revoked' } });
  });

  it('a time-stamp after the revocation proves nothing: INDETERMINATE/REVOKED_NO_POE', async () => {
    const p7m = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW, timestamp: stamp(NOW) });
    const r = await report('c.p7m', p7m, crlRevoking(new Date(NOW.getTime() - DAY)));
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
  });

  it('a content time-stamp after the revocation proves the signature is later: TOTAL-FAILED/REVOKED', () => {
    const p7m = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW });
    const revokedAt = new Date(NOW.getTime() - DAY);
    const trust = { anchorDer: pki.ca.der, now: VNOW, revocation: { crls: [{ der: crlRevoking(revokedAt), live: true }], ocsps: [] } };
    const facts = cadesFacts(p7m, undefined, trust);
    facts.contentTimeStamps = [NOW];
    expect(judge(facts, 'S-1', trust)).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'REVOKED' });
  });

  it('an OCSP response embedded in the DSS is used (revoked → REVOKED_NO_POE; good → passes without any CRL)', async () => {
    const pdf = await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW });
    const revoked = addDss(pdf, { certs: [pki.ca.der], ocsps: [makeOcsp(pki.ca, caKey, pki.seal.cert, { revokedAt: new Date(NOW.getTime() - DAY) }, NOW)] });
    const r = await report('r.pdf', revoked);
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
    expect(r.signatures[0]!.revocation).toMatchObject({ status: 'revoked', source: 'OCSP' });
    const good = addDss(pdf, { certs: [pki.ca.der], ocsps: [makeOcsp(pki.ca, caKey, pki.seal.cert, 'good', NOW)] });
    const g = await report('g.pdf', good, null);
    expect(g.indication, g.reasons.join('; ')).toBe('TOTAL-PASSED');
    expect(g.signatures[0]!.revocation).toMatchObject({ status: 'good', source: 'OCSP' });
  });

  it('no revocation data at all is INDETERMINATE/TRY_LATER; a CRL signed by someone else is not believed', async () => {
    const p7m = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW });
    expect(await report('n.p7m', p7m, null)).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    const forged = makeCrl(pki.ca, pki.seal.key, [{ cert: pki.seal.cert, at: NOW }], NOW, new Date(VNOW.getTime() + DAY));
    const f = await report('f.p7m', p7m, forged);
    expect(f).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(f.reasons.join()).toMatch(/signature does not verify/);
  });
});

describe('several signatures in one PDF (one entry per revision)', () => {
  it('two incremental signatures give two TOTAL-PASSED entries; only the last revision covers the file', async () => {
    const once = await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW, timestamp: stamp(NOW) });
    const twice = addSignatureRevision(once, {
      signer: pki.seal,
      now: new Date(NOW.getTime() + 3_600_000),
      timestamp: stamp(new Date(NOW.getTime() + 3_600_000)),
    });
    expect(twice.subarray(0, once.length).equals(once)).toBe(true);
    const r = await report('two.pdf', twice);
    expect(r.indication, r.reasons.join('; ')).toBe('TOTAL-PASSED');
    expect(r.signatures.map((s) => [s.id, s.indication, s.level, s.revision?.number, s.revision?.coversWholeFile])).toEqual([
      ['S-1', 'TOTAL-PASSED', 'B-T', 1, false],
      ['S-2', 'TOTAL-PASSED', 'B-T', 2, true],
    ]);
    expect(r.signatures[1]!.signingTime).toBe(new Date(NOW.getTime() + 3_600_000).toISOString());
    // tampering with the first revision fails signature 1 only
    const i = twice.indexOf('/Type /Catalog');
    const bad = Buffer.from(twice);
    bad[i + 1] = bad[i + 1]! ^ 0x20;
    const t = await report('two.pdf', bad);
    expect(t.signatures.map((s) => s.subIndication ?? s.indication)).toEqual(['HASH_FAILURE', 'HASH_FAILURE']);
  });
});

// DER helpers local to the CAdES-LT test
function seqOf(...items: Buffer[]): Buffer {
  return tlvOf(0x30, Buffer.concat(items));
}
function ctx0(b: Buffer): Buffer {
  return tlvOf(0xa0, b);
}
function tlvOf(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : n < 0x10000
          ? Buffer.from([0x82, n >> 8, n & 0xff])
          : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
