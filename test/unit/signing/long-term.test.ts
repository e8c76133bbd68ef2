/**
 * Long-term levels (processes 10-13) and the XAdES signed properties, checked structurally here;
 * test:interop checks the same outputs with openssl, pdfsig, xmlsec1 and the Java checker.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFArray, PDFDict, PDFDocument, PDFName, type PDFRawStream } from 'pdf-lib';
import type { Pki } from '../../../src/signing/pki.js';
import { createTsa } from '../../../src/signing/tsa.js';
import { processWith } from '../../../src/signing/engine.js';
import { extractPdfSignatures } from '../../helpers/pdf-signatures.js';
import { verifyXades } from '../../helpers/xades-check.js';
import { issuerSerialDer } from '../../../src/signing/cms.js';
import { cadesFacts } from '../../../src/signing/validation/cades.js';
import { judge } from '../../../src/signing/validation/judge.js';
import { loadProcesses } from '../../../src/processes-file.js';
import type { FileOutcome } from '../../../src/signing/signer.js';
import { NOW, doc, processById, sharedPki } from './helpers.js';

let pki: Pki;
let seal: (id: number, name: string, bytes?: Buffer) => Promise<FileOutcome>;
beforeAll(async () => {
  ({ pki } = await sharedPki());
  const env = { pki, tsa: createTsa(pki) };
  seal = (id, name, bytes) => processWith(env, { name, bytes: bytes ?? doc(name) }, { process: processById(id), now: NOW });
}, 120_000);

/** A CAdES signature judged by the validator (trust anchor and CRL of the test PKI). */
async function verifyCms(
  cms: Buffer,
  o: { detached: Buffer; anchorDer: Buffer; now: Date },
): Promise<{ reasons: string[]; timestamp: { present: boolean; valid: boolean } }> {
  const trust = { anchorDer: o.anchorDer, now: o.now, revocation: { crls: [{ der: pki.crlDer, live: true }], ocsps: [] } };
  return judge(cadesFacts(cms, [o.detached], trust), 'S-1', trust);
}

const eofCount = (b: Buffer): number => b.toString('latin1').split('%%EOF').length - 1;

async function dssOf(pdf: Buffer): Promise<{ certs: Buffer[]; crls: Buffer[]; vriKeys: string[] }> {
  const d = await PDFDocument.load(pdf);
  const dss = d.catalog.lookup(PDFName.of('DSS'), PDFDict);
  const streams = (k: string): Buffer[] =>
    (dss.lookup(PDFName.of(k), PDFArray)?.asArray() ?? []).map((r) => Buffer.from((d.context.lookup(r) as PDFRawStream).getContents()));
  const vri = dss.lookup(PDFName.of('VRI'), PDFDict);
  return { certs: streams('Certs'), crls: streams('CRLs'), vriKeys: vri.keys().map((k) => k.decodeText()) };
}

describe('PAdES-B-LT / B-LTA (processes 10, 11)', () => {
  it.each(['invoice.pdf', 'report.pdf'])('B-LT of %s: signature revision, then a DSS revision with chain, TSA and CRL', async (name) => {
    const o = await seal(10, name);
    expect(o.success, o.detail).toBe(true);
    const out = o.outputs[0]!.bytes;
    const input = doc(name);
    expect(out.subarray(0, input.length).equals(input)).toBe(true);
    expect(eofCount(out) - eofCount(input)).toBe(2);
    const [sig, ...more] = extractPdfSignatures(out);
    expect(more).toHaveLength(0);
    expect(sig!.coversWholeFile).toBe(false); // the DSS revision follows
    const c = await verifyCms(sig!.cms, { detached: sig!.signedBytes, anchorDer: pki.ca.der, now: new Date() });
    expect(c.reasons).toEqual([]);
    expect(c.timestamp.present).toBe(true);
    const dss = await dssOf(out);
    for (const cert of [pki.seal.cert.der, pki.ca.der, pki.tsa.cert.der]) expect(dss.certs.some((x) => x.equals(cert))).toBe(true);
    expect(dss.crls).toEqual([pki.crlDer]);
    expect(dss.vriKeys).toEqual([createHash('sha1').update(sig!.cms).digest('hex').toUpperCase()]);
  });

  it('B-LTA: a third revision holds a document time-stamp over everything before it', async () => {
    const o = await seal(11, 'invoice.pdf');
    const out = o.outputs[0]!.bytes;
    expect(eofCount(out) - eofCount(doc('invoice.pdf'))).toBe(3);
    const sigs = extractPdfSignatures(out);
    expect(sigs.map((s) => s.subFilter)).toEqual(['ETSI.CAdES.detached', 'ETSI.RFC3161']);
    expect(sigs[1]!.coversWholeFile).toBe(true);
    // the DSS revision lies inside the time-stamped range
    expect(sigs[1]!.signedBytes.includes(pki.crlDer)).toBe(true);
    // the token's message imprint is sha256 of the bytes the ByteRange covers
    expect(sigs[1]!.cms.includes(createHash('sha256').update(sigs[1]!.signedBytes).digest())).toBe(true);
  });

  it('B-LT of an already B-LT-sealed PDF extends the existing DSS (one DSS, two VRI entries)', async () => {
    const once = (await seal(10, 'report.pdf')).outputs[0]!.bytes;
    const twice = (await seal(10, 'report.pdf', once)).outputs[0]!.bytes;
    expect(twice.subarray(0, once.length).equals(once)).toBe(true);
    expect(extractPdfSignatures(twice)).toHaveLength(2);
    const dss = await dssOf(twice);
    expect(dss.vriKeys).toHaveLength(2);
    expect(dss.certs).toHaveLength(3); // the same chain is not embedded twice
    expect(dss.crls).toHaveLength(1);
  });
});

describe('CAdES-B-LT (process 12)', () => {
  it('the .p7s carries the signature time-stamp, the CA and TSA certificates and the CRL', async () => {
    const o = await seal(12, 'notes.txt');
    const p7s = o.outputs.find((f) => f.name === 'notes.txt.p7s')!.bytes;
    for (const der of [pki.seal.cert.der, pki.ca.der, pki.tsa.cert.der, pki.crlDer]) expect(p7s.includes(der)).toBe(true);
    const c = await verifyCms(p7s, { detached: doc('notes.txt'), anchorDer: pki.ca.der, now: new Date() });
    expect(c.reasons).toEqual([]);
    expect(c.timestamp).toMatchObject({ present: true, valid: true });
  });
});

describe('XAdES signed properties and B-LT (processes 3, 13)', () => {
  it.each([
    [3, 'invoice.xml', 'invoice.xml', 'text/xml'],
    [3, 'notes.txt', 'notes.txt.xades.xml', 'text/plain'],
    [13, 'invoice.pdf', 'invoice.pdf.xades.xml', 'application/pdf'],
  ])('process %d, %s: DataObjectFormat → the data Reference Id, MimeType, IssuerSerialV2', async (id, name, sigName, mime) => {
    const o = await seal(id, name);
    const xml = o.outputs.find((f) => f.name === sigName)!.bytes.toString('utf8');
    const refId = /<ds:Reference Id="([^"]+)" URI="[^"]*">/.exec(xml)?.[1];
    expect(refId).toBeTruthy();
    expect(xml).toContain(`<xades:DataObjectFormat ObjectReference="#${refId}"><xades:MimeType>${mime}</xades:MimeType></xades:DataObjectFormat>`);
    const isv2 = /<xades:IssuerSerialV2>([^<]+)<\/xades:IssuerSerialV2>/.exec(xml)?.[1];
    expect(Buffer.from(isv2!, 'base64').equals(issuerSerialDer(pki.seal.cert))).toBe(true);
    const data = sigName === name ? undefined : doc(name);
    const [check] = await verifyXades(Buffer.from(xml), data);
    expect(check!.error).toBeUndefined();
    expect(check!.signatureValid).toBe(true);
    expect(check!.signingCertificateMatches).toBe(true);
    if (id === 13) {
      expect(check!.timestampTokens).toHaveLength(1);
      expect(xml).toContain(
        `<xades:CertificateValues><xades:EncapsulatedX509Certificate>${pki.tsa.cert.der.toString('base64')}</xades:EncapsulatedX509Certificate></xades:CertificateValues>`,
      );
      expect(xml).toContain(
        `<xades:RevocationValues><xades:CRLValues><xades:EncapsulatedCRLValue>${pki.crlDer.toString('base64')}</xades:EncapsulatedCRLValue></xades:CRLValues></xades:RevocationValues>`,
      );
    } else expect(xml).not.toContain('CertificateValues');
  });

  it('the enveloped signature leaves the document bytes as they were, before the root end tag', async () => {
    const input = doc('invoice.xml');
    const out = (await seal(3, 'invoice.xml')).outputs[0]!.bytes;
    const at = out.indexOf('<ds:Signature ');
    expect(out.subarray(0, at).equals(input.subarray(0, at))).toBe(true);
    const end = out.indexOf('</ds:Signature>') + '</ds:Signature>'.length;
    expect(out.subarray(end).equals(input.subarray(at))).toBe(true);
  });
});

describe('processes file', () => {
  it('B-LTA is for PAdES only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealsim-procs-'));
    const f = join(dir, 'p.json');
    const base = { operation: 'seal', packaging: 'detached', acceptedFileTypes: ['*'], providerSettingsId: '1', tsaId: '1' };
    writeFileSync(f, JSON.stringify({ processes: [{ id: 1, format: 'CAdES', level: 'B-LTA', ...base }] }));
    expect(() => loadProcesses(f)).toThrow(/B-LTA is available for PAdES only/);
    writeFileSync(f, JSON.stringify({ processes: [{ id: 1, format: 'PAdES', level: 'B-LTA', ...base, packaging: 'enveloped' }] }));
    expect(loadProcesses(f).get(1)?.level).toBe('B-LTA');
  });
});

describe('incremental PAdES on PDFs with forms, indirect /Annots and several pages', () => {
  it('keeps existing fields and annotations, names the new field apart, and both revisions parse', async () => {
    const { padesSeal } = await import('../../../src/signing/pades.js');
    const d = await PDFDocument.create();
    const p1 = d.addPage();
    d.addPage();
    const form = d.getForm();
    form.createTextField('Signature1').addToPage(p1, { x: 10, y: 10, width: 100, height: 20 });
    // make page 1's /Annots an indirect array, as many producers write it
    const annots = p1.node.lookup(PDFName.of('Annots'), PDFArray);
    p1.node.set(PDFName.of('Annots'), d.context.register(annots));
    const input = Buffer.from(await d.save({ useObjectStreams: false }));
    const noNewline = input.subarray(0, input.length - 1); // ends right after %%EOF
    expect(noNewline[noNewline.length - 1]).not.toBe(0x0a);
    for (const pdf of [input, noNewline]) {
      const out = await padesSeal(pdf, { signer: pki.seal, now: NOW });
      expect(out.subarray(0, pdf.length).equals(pdf)).toBe(true);
      const back = await PDFDocument.load(out);
      expect(back.getPageCount()).toBe(2);
      const names = back
        .getForm()
        .getFields()
        .map((f) => f.getName());
      expect(names).toEqual(['Signature1', 'Signature2']);
      expect(back.getPage(0).node.lookup(PDFName.of('Annots'), PDFArray).size()).toBe(2);
      expect(back.getPage(1).node.get(PDFName.of('Annots'))).toBeUndefined();
      expect(back.catalog.lookup(PDFName.of('AcroForm'), PDFDict).get(PDFName.of('SigFlags'))?.toString()).toBe('3');
      const [sig] = extractPdfSignatures(out);
      const c = await verifyCms(sig!.cms, { detached: sig!.signedBytes, anchorDer: pki.ca.der, now: new Date() });
      expect(c.reasons).toEqual([]);
    }
  });

  it('seals a PDF whose startxref is damaged with a complete cross-reference table (no /Prev); refuses one that also has object streams', async () => {
    const { padesSeal } = await import('../../../src/signing/pades.js');
    const pdf = doc('report.pdf');
    const damaged = Buffer.from(pdf.toString('latin1').replace(/startxref\s+\d+/, 'startxref\n7'), 'latin1');
    const out = await padesSeal(damaged, { signer: pki.seal, now: NOW });
    expect(out.subarray(0, damaged.length).equals(damaged)).toBe(true);
    const tail = out.subarray(damaged.length).toString('latin1');
    expect(tail).toMatch(/xref\n0 1\n0000000000 65535 f\r\n/);
    expect(tail).not.toMatch(/\/Prev/);
    // every object the table lists stands at its offset
    const table = tail.slice(tail.lastIndexOf('\nxref\n') + 1);
    let n = 0;
    for (const sub of table.matchAll(/^(\d+) (\d+)\n((?:\d{10} \d{5} [nf]\r\n)+)/gm)) {
      sub[3]!
        .split('\r\n')
        .filter(Boolean)
        .forEach((line, i) => {
          const [off, , kind] = line.split(' ');
          if (kind !== 'n') return;
          expect(out.toString('latin1', Number(off), Number(off) + 20)).toMatch(new RegExp(`^${Number(sub[1]) + i} \\d+ obj`));
          n++;
        });
    }
    expect(n).toBeGreaterThan(10);
    const [sig] = extractPdfSignatures(out);
    expect((await verifyCms(sig!.cms, { detached: sig!.signedBytes, anchorDer: pki.ca.der, now: new Date() })).reasons).toEqual([]);
    const huge = Buffer.from(pdf.toString('latin1').replace(/\/Size \d+/, '/Size 99999999999'), 'latin1');
    await expect(padesSeal(huge, { signer: pki.seal, now: NOW })).rejects.toThrow(/more than a PDF may have/);
    const withObjStm = doc('invoice.pdf');
    const bad = Buffer.from(withObjStm.toString('latin1').replace(/startxref\s+\d+/, 'startxref\n7'), 'latin1');
    const o = await seal(1, 'x.pdf', bad);
    expect(o.success).toBe(false);
    expect(o.detail).toMatch(/was not sealed: .*repair the PDF/);
  });
});

describe('revocation data from the main thread', () => {
  it('the real signer asks its revocation source for the seal and TSA certificates and the worker embeds the answer', async () => {
    const { createRealSigner } = await import('../../../src/signing/real-signer.js');
    const { seq, int, oid } = await import('../../../src/signing/der.js');
    // A stand-in OCSPResponse (status successful, no body): the plumbing is what is checked here.
    const ocsp = seq(tlvEnum(0), seq(oid('1.3.6.1.5.5.7.48.1.1'), int(7)));
    const asked: Buffer[][] = [];
    const signer = createRealSigner({
      pki,
      threads: 1,
      revocation: (certs) => {
        asked.push(certs);
        return { crls: [pki.crlDer], ocsps: [ocsp] };
      },
    });
    try {
      const o = await signer.processFile({ name: 'notes.txt', bytes: doc('notes.txt') }, { process: processById(12), now: NOW });
      expect(o.success, o.detail).toBe(true);
      expect(asked).toEqual([[pki.seal.cert.der, pki.tsa.cert.der]]);
      expect(o.outputs[1]!.bytes.includes(ocsp)).toBe(true);
      await signer.processFile({ name: 'notes.txt', bytes: doc('notes.txt') }, { process: processById(2), now: NOW });
      expect(asked).toHaveLength(1); // B-T embeds nothing, so nothing is asked
    } finally {
      await signer.close();
    }
  }, 60_000);
});

function tlvEnum(n: number): Buffer {
  return Buffer.from([0x0a, 0x01, n]);
}
