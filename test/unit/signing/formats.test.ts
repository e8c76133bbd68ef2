import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedData } from '../../../src/signing/cms.js';
import { createTsa, type Tsa } from '../../../src/signing/tsa.js';
import { padesSeal } from '../../../src/signing/pades.js';
import { extractPdfSignatures } from '../../helpers/pdf-signatures.js';
import { xadesDetached, xadesEnveloped } from '../../../src/signing/xades.js';
import { verifyXades } from '../../helpers/xades-check.js';
import { validateFile, type ValidationReport } from '../../../src/signing/validate.js';
import { cadesFacts } from '../../../src/signing/validation/cades.js';
import { judge, type SignatureReport } from '../../../src/signing/validation/judge.js';
import type { Pki } from '../../../src/signing/pki.js';
import type { InputFile } from '../../../src/signing/signer.js';
import { NOW, doc, flip, sharedPki, tempPki } from './helpers.js';

let pki: Pki;
let tsa: Tsa;
let cleanup: () => void;
beforeAll(async () => {
  ({ pki, cleanup } = await sharedPki());
  tsa = createTsa(pki);
});
afterAll(() => cleanup());

const ts = (d: Buffer): Buffer => tsa.tokenForDigest(d, NOW);
const VNOW = new Date(); // validation time

/** One CMS signature judged on its own (detached data given, or the eContent). */
function checkCms(der: Buffer, detached?: Buffer, p: Pki = pki): SignatureReport {
  const trust = { anchorDer: p.ca.der, now: VNOW, revocation: { crls: [{ der: p.crlDer, live: true }], ocsps: [] } };
  return judge(cadesFacts(der, detached ? [detached] : undefined, trust), 'S-1', trust);
}

async function validate(files: InputFile[], name: string): Promise<ValidationReport & { success: boolean }> {
  const map = new Map(files.map((f) => [f.name, f.bytes]));
  const f = files.find((x) => x.name === name)!;
  const o = await validateFile(f, { pki, now: VNOW, sibling: (n) => map.get(n) });
  expect(o.outputs.map((x) => x.name)).toEqual([name, `${name}.validation.json`]);
  const report = JSON.parse(o.outputs[1]!.bytes.toString('utf8')) as ValidationReport;
  expect(report.valid).toBe(o.success);
  return { ...report, success: o.success };
}

describe('CAdES', () => {
  const data = doc('notes.txt');

  it.each([
    ['B-B', false],
    ['B-T', true],
  ])('detached %s round-trips; tampered data and signature are rejected', async (_lvl, withTs) => {
    const p7s = buildSignedData({ signer: pki.seal, content: data, signingTime: NOW, ...(withTs ? { timestamp: ts } : {}) });
    const ok = checkCms(p7s, data);
    expect(ok.reasons).toEqual([]);
    expect(ok.indication).toBe('TOTAL-PASSED');
    expect(ok.level).toBe(withTs ? 'B-T' : 'B-B');
    expect(ok.signingTime).toBe(NOW.toISOString());
    expect(ok.timestamp.present).toBe(withTs);
    if (withTs) {
      expect(ok.timestamp.valid).toBe(true);
      expect(ok.timestamp.time).toBe(NOW.toISOString());
    }
    const r = await validate(
      [
        { name: 'notes.txt', bytes: data },
        { name: 'notes.txt.p7s', bytes: p7s },
      ],
      'notes.txt.p7s',
    );
    expect(r.success).toBe(true);
    expect(r.format).toMatch(/CAdES detached/);
    expect(r.signer).toMatch(/Seal Simulator TEST Seal/);
    expect(r.timestamp.present).toBe(withTs);
    const pair = await validate(
      [
        { name: 'notes.txt', bytes: data },
        { name: 'notes.txt.p7s', bytes: p7s },
      ],
      'notes.txt',
    );
    expect(pair.success).toBe(true);

    const bad = checkCms(p7s, flip(data, 3));
    expect(bad).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    expect(
      (
        await validate(
          [
            { name: 'notes.txt', bytes: flip(data, 3) },
            { name: 'notes.txt.p7s', bytes: p7s },
          ],
          'notes.txt.p7s',
        )
      ).success,
    ).toBe(false);
    // a flipped byte in the signature value (near the end, before any unsigned attrs when B-B)
    if (!withTs) expect(checkCms(flip(p7s, -5), data)).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
    const lone = await validate([{ name: 'notes.txt.p7s', bytes: p7s }], 'notes.txt.p7s');
    expect(lone.success).toBe(false);
    expect(lone.reasons.join()).toMatch(/not in the batch/);
  });

  it.each([
    ['B-B', false],
    ['B-T', true],
  ])('enveloping %s round-trips with the content inside; tampering is rejected', async (_lvl, withTs) => {
    const p7m = buildSignedData({ signer: pki.seal, content: data, attach: true, signingTime: NOW, ...(withTs ? { timestamp: ts } : {}) });
    const ok = checkCms(p7m);
    expect(ok.reasons).toEqual([]);
    const trust = { anchorDer: pki.ca.der, now: VNOW, revocation: { crls: [], ocsps: [] } };
    expect(cadesFacts(p7m, undefined, trust).sd?.eContent?.equals(data)).toBe(true);
    expect((await validate([{ name: 'notes.txt.p7m', bytes: p7m }], 'notes.txt.p7m')).success).toBe(true);
    const i = p7m.indexOf(data);
    expect(i).toBeGreaterThan(0);
    expect((await validate([{ name: 'notes.txt.p7m', bytes: flip(p7m, i + 2) }], 'notes.txt.p7m')).success).toBe(false);
  });

  it('a time-stamp over something else is reported', async () => {
    const p7s = buildSignedData({ signer: pki.seal, content: data, signingTime: NOW, timestamp: () => tsa.tokenForDigest(Buffer.alloc(32, 1), NOW) });
    const r = checkCms(p7s, data);
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' });
    expect(r.timeStamps[0]).toMatchObject({ type: 'SIGNATURE_TIMESTAMP', indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
    expect(r.timestamp.valid).toBe(false);
    expect(r.reasons.join()).toMatch(/imprint/);
  });
});

describe('PAdES', () => {
  it.each([
    ['B-B', false, 'invoice.pdf'],
    ['B-T', true, 'invoice.pdf'],
    ['B-T', true, 'report.pdf'],
  ])('%s (time-stamp: %s) of %s round-trips; /M comes from now; tampering is rejected', async (_lvl, withTs, name) => {
    const pdf = doc(name);
    const sealed = await padesSeal(pdf, { signer: pki.seal, now: NOW, ...(withTs ? { timestamp: ts } : {}) });
    const sigs = extractPdfSignatures(sealed);
    expect(sigs).toHaveLength(1);
    expect(sigs[0]!.subFilter).toBe('ETSI.CAdES.detached');
    expect(sigs[0]!.coversWholeFile).toBe(true);
    expect(sigs[0]!.m?.toISOString()).toBe(NOW.toISOString());
    const cms = checkCms(sigs[0]!.cms, sigs[0]!.signedBytes);
    expect(cms.reasons).toEqual([]);
    expect(cms.signingTime).toBeUndefined(); // PAdES: no signingTime attribute
    expect(cms.timestamp.present).toBe(withTs);
    const r = await validate([{ name, bytes: sealed }], name);
    expect(r.success).toBe(true);
    expect(r.format).toBe('PAdES');
    expect(r.signingTime).toBe(NOW.toISOString());
    expect(r.timestamp).toMatchObject({ present: withTs, valid: withTs });
    // flip a byte inside the first signed range (the PDF header comment area is safe to change)
    const tampered = flip(sealed, 20);
    const t = await validate([{ name, bytes: tampered }], name);
    expect(t.success).toBe(false);
    expect(t.reasons.join()).toMatch(/does not verify/);
    // appending bytes after signing is reported
    const appended = Buffer.concat([sealed, Buffer.from('\n% appended\n')]);
    expect((await validate([{ name, bytes: appended }], name)).reasons.join()).toMatch(/changed after the last signature/);
  });

  it('sealing an already sealed PDF appends a revision: the input is a prefix and both signatures verify', async () => {
    const once = await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW });
    const twice = await padesSeal(once, { signer: pki.seal, now: NOW });
    expect(twice.subarray(0, once.length).equals(once)).toBe(true);
    const r = await validate([{ name: 'x.pdf', bytes: twice }], 'x.pdf');
    expect(r.signatures).toHaveLength(2);
    expect(r.signatures.map((s: { valid: boolean }) => s.valid)).toEqual([true, true]);
    expect(r.success).toBe(true);
  });

  it('a classic-xref PDF re-saved with object streams (xref stream) is sealed incrementally too', async () => {
    const { PDFDocument } = await import('pdf-lib');
    const objstm = Buffer.from(await (await PDFDocument.load(doc('report.pdf'))).save({ useObjectStreams: true }));
    const sealed = await padesSeal(objstm, { signer: pki.seal, now: NOW });
    expect(sealed.subarray(0, objstm.length).equals(objstm)).toBe(true);
    expect(sealed.subarray(objstm.length).toString('latin1')).toMatch(/\/Type \/XRef .*\/Prev \d+/);
    const r = await validate([{ name: 'x.pdf', bytes: sealed }], 'x.pdf');
    expect(r.success).toBe(true);
  });

  it('refuses a PDF certified with DocMDP /P 1 (no changes allowed), and seals one with /P 2', async () => {
    const { PDFDocument, PDFName, PDFNumber } = await import('pdf-lib');
    for (const p of [1, 2]) {
      const d = await PDFDocument.load(doc('report.pdf'));
      const ref = d.context.register(
        d.context.obj({
          Type: 'Sig',
          Reference: [
            d.context.obj({
              Type: 'SigRef',
              TransformMethod: 'DocMDP',
              TransformParams: d.context.obj({ Type: 'TransformParams', P: PDFNumber.of(p), V: PDFName.of('1.2') }),
            }),
          ],
        }),
      );
      d.catalog.set(PDFName.of('Perms'), d.context.obj({ DocMDP: ref }));
      const certified = Buffer.from(await d.save({ useObjectStreams: false }));
      const sealing = padesSeal(certified, { signer: pki.seal, now: NOW });
      if (p === 1) await expect(sealing).rejects.toThrow(/DocMDP \/P 1/);
      else expect((await sealing).subarray(0, certified.length).equals(certified)).toBe(true);
    }
  });

  it('an unsigned PDF is not valid (no signature)', async () => {
    const r = await validate([{ name: 'invoice.pdf', bytes: doc('invoice.pdf') }], 'invoice.pdf');
    expect(r.success).toBe(false);
    expect(r.format).toBe('none');
  });

  it('refuses what is not a PDF', async () => {
    await expect(padesSeal(doc('not-a-pdf.pdf'), { signer: pki.seal, now: NOW })).rejects.toThrow();
  });
});

describe('XAdES', () => {
  it.each([
    ['B-B', false],
    ['B-T', true],
  ])('enveloped %s round-trips; tampering is rejected', async (_lvl, withTs) => {
    const xml = doc('invoice.xml');
    const signed = await xadesEnveloped(xml, { signer: pki.seal, now: NOW, ...(withTs ? { timestamp: ts } : {}) });
    expect(signed.toString()).toMatch(/^<\?xml/);
    const [x] = await verifyXades(signed);
    expect(x!.signatureValid).toBe(true);
    expect(x!.signingTime?.toISOString()).toBe(NOW.toISOString());
    expect(x!.timestampTokens.length).toBe(withTs ? 1 : 0);
    const r = await validate([{ name: 'invoice.xml', bytes: signed }], 'invoice.xml');
    expect(r.reasons).toEqual([]);
    expect(r.format).toBe('XAdES enveloped');
    expect(r.timestamp).toMatchObject({ present: withTs, valid: withTs });
    const tampered = Buffer.from(signed.toString().replace('123.45', '999.99'));
    expect((await validate([{ name: 'invoice.xml', bytes: tampered }], 'invoice.xml')).success).toBe(false);
    const st = Buffer.from(signed.toString().replace(/(<xades:SigningTime>)2026/, '$12025'));
    expect(st.equals(signed)).toBe(false);
    expect((await validate([{ name: 'invoice.xml', bytes: st }], 'invoice.xml')).success).toBe(false);
  });

  it.each([
    ['B-B', false],
    ['B-T', true],
  ])('detached %s over a non-XML file round-trips as a pair; tampering is rejected', async (_lvl, withTs) => {
    const data = doc('notes.txt');
    const sig = await xadesDetached(data, 'notes.txt', { signer: pki.seal, now: NOW, ...(withTs ? { timestamp: ts } : {}) });
    const files = [
      { name: 'notes.txt', bytes: data },
      { name: 'notes.txt.xades.xml', bytes: sig },
    ];
    const r = await validate(files, 'notes.txt.xades.xml');
    expect(r.reasons).toEqual([]);
    expect(r.timestamp.present).toBe(withTs);
    expect((await validate(files, 'notes.txt')).success).toBe(true);
    const t = await validate([{ name: 'notes.txt', bytes: flip(data, 0) }, files[1]!], 'notes.txt.xades.xml');
    expect(t.success).toBe(false);
  });
});

describe('fault identities', () => {
  it.each(['expired', 'untrusted'] as const)('a seal by the %s identity does not validate', async (which) => {
    const id = which === 'expired' ? pki.expiredSeal : pki.untrustedSeal;
    const data = doc('notes.txt');
    const p7m = buildSignedData({ signer: id, content: data, attach: true, signingTime: NOW });
    const r = await validate([{ name: 'notes.txt.p7m', bytes: p7m }], 'notes.txt.p7m');
    expect(r.success).toBe(false);
    expect(r.reasons.join()).toMatch(which === 'expired' ? /expired/ : /not the simulator's trust anchor/);
    const pdf = await padesSeal(doc('invoice.pdf'), { signer: id, now: NOW });
    expect((await validate([{ name: 'invoice.pdf', bytes: pdf }], 'invoice.pdf')).success).toBe(false);
    const xml = await xadesEnveloped(doc('invoice.xml'), { signer: id, now: NOW });
    const rx = await validate([{ name: 'invoice.xml', bytes: xml }], 'invoice.xml');
    expect(rx.success).toBe(false);
    expect(rx.signatures[0]?.reasons.join()).toMatch(which === 'expired' ? /expired/ : /trust anchor/);
  });
});

describe('ECDSA P-256 keys', () => {
  it('CAdES, PAdES and XAdES round-trip with an ECDSA seal', async () => {
    const ec = await tempPki({ keyAlgorithm: 'ECDSA-P256' });
    try {
      const p = ec.pki;
      const ets = createTsa(p);
      const stamp = (d: Buffer): Buffer => ets.tokenForDigest(d, NOW);
      const v = (f: InputFile, files: InputFile[] = [f]) => {
        const m = new Map(files.map((x) => [x.name, x.bytes]));
        return validateFile(f, { pki: p, now: VNOW, sibling: (n) => m.get(n) });
      };
      const p7m = buildSignedData({ signer: p.seal, content: doc('notes.txt'), attach: true, signingTime: NOW, timestamp: stamp });
      expect((await v({ name: 'n.txt.p7m', bytes: p7m })).success).toBe(true);
      const pdf = await padesSeal(doc('invoice.pdf'), { signer: p.seal, now: NOW, timestamp: stamp });
      expect((await v({ name: 'i.pdf', bytes: pdf })).detail).toMatch(/^PAdES: 1 valid/);
      const xml = await xadesEnveloped(doc('invoice.xml'), { signer: p.seal, now: NOW, timestamp: stamp });
      expect((await v({ name: 'i.xml', bytes: xml })).detail).toMatch(/^XAdES enveloped: 1 valid/);
    } finally {
      ec.cleanup();
    }
  });
});
