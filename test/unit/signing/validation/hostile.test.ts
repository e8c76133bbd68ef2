import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import { buildSignedData } from '../../../../src/signing/cms.js';
import { createTsa, type Tsa } from '../../../../src/signing/tsa.js';
import { padesSeal } from '../../../../src/signing/pades.js';
import { validateFile, type ValidationReport } from '../../../../src/signing/validate.js';
import { scanPdf } from '../../../../src/signing/validation/pdf.js';
import type { Pki } from '../../../../src/signing/pki.js';
import { NOW, doc, sharedPki } from '../helpers.js';
import { byteRangeBomb } from '../../../robustness/hostile-documents/cases/validate-byterange-bomb.js';
import { manySignaturesXml } from '../../../robustness/hostile-documents/cases/validate-many-xml-signatures.js';
import { malformedTstP7m } from '../../../robustness/hostile-documents/cases/validate-malformed-tst.js';

let pki: Pki;
let tsa: Tsa;
beforeAll(async () => {
  pki = (await sharedPki()).pki;
  tsa = createTsa(pki);
});

async function validate(name: string, bytes: Buffer, maxSignaturesPerFile?: number) {
  const o = await validateFile({ name, bytes }, { pki, now: new Date(), ...(maxSignaturesPerFile ? { limits: { maxSignaturesPerFile } } : {}) });
  return { outcome: o, report: JSON.parse(o.outputs[1]!.bytes.toString('utf8')) as ValidationReport };
}

const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

describe('validation does not multiply its input', () => {
  it('a 1 MiB PDF repeating /ByteRange [0 S-2 S 0] 1000 times fails on the signature cap, holding no copies', async () => {
    const pdf = byteRangeBomb(1000);
    const before = rssMiB();
    const { outcome, report } = await validate('bomb.pdf', pdf);
    // The old validator copied ~1 MiB per occurrence: +1 GB here. Generous bound, not a timing.
    expect(rssMiB() - before).toBeLessThan(200);
    expect(outcome.success).toBe(false);
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE', signatures: [] });
    expect(report.reasons[0]).toMatch(/more than 50 PDF signature fields.*SEAL_SIM_MAX_SIGNATURES_PER_FILE/);
  });

  it('the cap is a setting; under it every field is judged, and the covered ranges are views of the file', async () => {
    const pdf = byteRangeBomb(60);
    const { report } = await validate('bomb.pdf', pdf, 100);
    expect(report.signatures).toHaveLength(60);
    expect(report.signatures.every((s) => s.subIndication === 'FORMAT_FAILURE')).toBe(true);
    const sealed = await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW });
    const [f] = scanPdf(sealed, 50).fields;
    expect(f!.covered[0].buffer).toBe(sealed.buffer);
    expect(f!.covered[1].buffer).toBe(sealed.buffer);
    expect(f!.covered[0].length + f!.covered[1].length).toBe(f!.byteRange[1] + f!.byteRange[3]);
  });
});

describe('XML signatures are bounded', () => {
  it('600 enveloped ds:Signature elements fail on the cap before any is checked', async () => {
    const xml = await manySignaturesXml(600, pki);
    const { outcome, report } = await validate('many.xml', xml);
    expect(outcome.success).toBe(false);
    expect(report).toMatchObject({ format: 'XAdES enveloped', indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' });
    expect(report.reasons[0]).toMatch(/more than 50 XML signatures/);
  });

  it('under the cap, the document is cloned once per file, not once per signature', async () => {
    const xml = await manySignaturesXml(8, pki);
    const doc0 = new DOMParser().parseFromString('<a/>', 'application/xml');
    const proto = Object.getPrototypeOf(Object.getPrototypeOf(doc0.documentElement)) as { cloneNode: (deep?: boolean) => unknown };
    const spy = vi.spyOn(proto, 'cloneNode');
    try {
      const { report } = await validate('eight.xml', xml);
      expect(report.signatures).toHaveLength(8);
      expect(report.indication, report.reasons.join('; ')).toBe('TOTAL-PASSED');
      const rootClones = spy.mock.contexts.filter(
        (c) => (c as { localName?: string }).localName === 'Invoice' && spy.mock.calls[spy.mock.contexts.indexOf(c)]![0] === true,
      );
      expect(rootClones.length).toBe(1);
    } finally {
      spy.mockRestore();
    }
    // the shared whole-document digest still sees a change to the document
    const tampered = await validate('eight.xml', Buffer.from(xml.toString('utf8').replace('123.45', '999.99')));
    expect(tampered.report.signatures.map((s) => s.subIndication)).toEqual(Array(8).fill('HASH_FAILURE'));
  });
});

describe('validation verifies what it received', () => {
  it('a .p7m whose time-stamp signed-attributes length byte was changed is a FORMAT_FAILURE', async () => {
    const p7m = buildSignedData({ signer: pki.seal, content: doc('notes.txt'), attach: true, signingTime: NOW, timestamp: (d) => tsa.tokenForDigest(d, NOW) });
    const ok = await validate('n.txt.p7m', p7m);
    expect(ok.report.indication, ok.report.reasons.join('; ')).toBe('TOTAL-PASSED');
    const bad = malformedTstP7m(p7m);
    expect(bad.equals(p7m)).toBe(false);
    const { outcome, report } = await validate('n.txt.p7m', bad);
    expect(outcome.success).toBe(false);
    expect(report).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(report.reasons.join()).toMatch(/not valid DER/);
  });

  it('trailing bytes after the CMS and non-minimal lengths are refused', async () => {
    const p7m = buildSignedData({ signer: pki.seal, content: doc('notes.txt'), attach: true, signingTime: NOW });
    const trailing = await validate('t.p7m', Buffer.concat([p7m, Buffer.from([0])]));
    expect(trailing.report.subIndication).toBe('FORMAT_FAILURE');
    // 30 82 LL LL → 30 83 00 LL LL: same value, longer length form (BER, not DER)
    expect(p7m[1]).toBe(0x82);
    const longer = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), p7m.subarray(2)]);
    const nm = await validate('l.p7m', longer);
    expect(nm.report.subIndication).toBe('FORMAT_FAILURE');
    expect(nm.report.reasons.join()).toMatch(/non-minimal length/);
  });
});

describe('every validation hostile case fails its files with a reason, cheaply', async () => {
  const { readdirSync } = await import('node:fs');
  const dir = new URL('../../../robustness/hostile-documents/cases/', import.meta.url);
  const names = readdirSync(dir).filter((n) => n.startsWith('validate-') && n.endsWith('.ts'));
  it('finds the cases', () => expect(names.length).toBeGreaterThanOrEqual(6));
  for (const n of names) {
    it(n, async () => {
      const c = (await import(new URL(n, dir).href)).default as import('../../../robustness/hostile-documents/case.js').HostileCase;
      expect(c.processId).toBe(4);
      const files = await c.files();
      const byName = new Map(files.map((f) => [f.name, f.bytes]));
      const before = rssMiB();
      for (const f of files) {
        const o = await validateFile(f, { pki, now: new Date(), sibling: (x) => byName.get(x) });
        expect(o.success, `${c.id}/${f.name}: ${o.detail}`).toBe(false);
        const r = JSON.parse(o.outputs[1]!.bytes.toString('utf8')) as ValidationReport;
        expect(r.reasons.length, o.detail).toBeGreaterThan(0);
        expect(r.indication).not.toBe('TOTAL-PASSED');
      }
      expect(rssMiB() - before, c.id).toBeLessThan(300);
    }, 60_000);
  }
});
