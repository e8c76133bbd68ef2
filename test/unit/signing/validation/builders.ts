/**
 * Test inputs the sealer does not make (yet): incremental PDF revisions (a second signature, a DSS,
 * a document time-stamp), CRLs and OCSP responses signed by the test CA, and CMS signatures with
 * extra unsigned attributes (CAdES-B-LT / B-LTA evidence). Written with the project's DER writer.
 */
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSignedData } from '../../../../src/signing/cms.js';
import { children, content, generalizedTime, int, nul, octet, oid, seq, set, tlv } from '../../../../src/signing/der.js';
import type { CertInfo, Identity } from '../../../../src/signing/pki-material.js';

export const caKeyOf = (dir: string): KeyObject => createPrivateKey(readFileSync(join(dir, 'ca.key.pem'), 'utf8'));

const sigAlg = (key: KeyObject): Buffer => (key.asymmetricKeyType === 'ec' ? seq(oid('1.2.840.10045.4.3.2')) : seq(oid('1.2.840.113549.1.1.11'), nul()));
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

/** A CRL of `ca` listing `revoked` (certificate, revocation time). */
export function makeCrl(ca: CertInfo, caKey: KeyObject, revoked: { cert: CertInfo; at: Date }[], thisUpdate: Date, nextUpdate: Date): Buffer {
  const entries = revoked.map((r) => seq(r.cert.serialDer, generalizedTime(r.at)));
  const tbs = seq(
    int(1),
    sigAlg(caKey),
    ca.subjectNameDer,
    generalizedTime(thisUpdate),
    generalizedTime(nextUpdate),
    ...(entries.length ? [seq(...entries)] : []),
  );
  return seq(tbs, sigAlg(caKey), bits(sign('sha256', tbs, caKey)));
}

/** The subjectPublicKey BIT STRING content of a certificate. */
function publicKeyBits(cert: CertInfo): Buffer {
  const tbs = children(content(cert.der))[0]!;
  const f = children(content(tbs));
  const i = f[0]![0] === 0xa0 ? 1 : 0;
  const spki = children(content(f[i + 5]!));
  return content(spki[1]!).subarray(1);
}

/** An OCSPResponse (successful, basic) about `cert`, signed by the CA itself. */
export function makeOcsp(ca: CertInfo, caKey: KeyObject, cert: CertInfo, status: 'good' | { revokedAt: Date }, producedAt: Date): Buffer {
  const h = (b: Buffer) => createHash('sha256').update(b).digest();
  const certId = seq(seq(oid('2.16.840.1.101.3.4.2.1')), octet(h(ca.subjectNameDer)), octet(h(publicKeyBits(ca))), cert.serialDer);
  const st = status === 'good' ? Buffer.from([0x80, 0x00]) : tlv(0xa1, generalizedTime(status.revokedAt));
  const single = seq(certId, st, generalizedTime(producedAt));
  const tbs = seq(tlv(0xa1, ca.subjectNameDer), generalizedTime(producedAt), seq(single));
  const basic = seq(tbs, sigAlg(caKey), bits(sign('sha256', tbs, caKey)));
  return seq(Buffer.from([0x0a, 0x01, 0x00]), tlv(0xa0, seq(oid('1.3.6.1.5.5.7.48.1.1'), octet(basic))));
}

/** Rebuilds a ContentInfo(SignedData) with `attrs` (Attribute DER) added to the first SignerInfo's unsigned attributes. */
export function withUnsignedAttrs(cms: Buffer, ...attrs: Buffer[]): Buffer {
  const ci = children(content(cms));
  const sd = children(content(content(ci[1]!)))!;
  const siSet = sd[sd.length - 1]!;
  const si = children(content(siSet))[0]!;
  const f = children(content(si));
  const last = f[f.length - 1]!;
  const unsigned = last[0] === 0xa1 ? [...children(content(last)), ...attrs] : attrs;
  const fields = last[0] === 0xa1 ? f.slice(0, -1) : f;
  const newSi = seq(...fields, tlv(0xa1, ...unsigned));
  const newSd = seq(...sd.slice(0, -1), set(newSi));
  return seq(ci[0]!, tlv(0xa0, newSd));
}

export const attribute = (type: string, ...values: Buffer[]): Buffer => seq(oid(type), set(...values));

// ---- incremental PDF revisions -------------------------------------------------------------

interface Obj {
  num: number;
  body: Buffer;
}

function trailerOf(pdf: Buffer): { size: number; root: number; prev: number; info?: string } {
  const t = pdf.toString('latin1', Math.max(0, pdf.length - 4096));
  const sizes = [...t.matchAll(/\/Size\s+(\d+)/g)];
  const roots = [...t.matchAll(/\/Root\s+(\d+)\s+0\s+R/g)];
  const sx = [...t.matchAll(/startxref\s+(\d+)/g)];
  return { size: Number(sizes.at(-1)![1]), root: Number(roots.at(-1)![1]), prev: Number(sx.at(-1)![1]) };
}

function objectText(pdf: Buffer, num: number): string {
  const t = pdf.toString('latin1');
  const at = t.lastIndexOf(`\n${num} 0 obj`);
  const end = t.indexOf('endobj', at);
  return t.slice(t.indexOf('obj', at) + 3, end).trim();
}

/** Appends `objects` as one incremental update (xref section with /Prev, same /Root). */
export function appendRevision(pdf: Buffer, objects: Obj[], sizeAtLeast = 0): Buffer {
  const tr = trailerOf(pdf);
  const parts: Buffer[] = [pdf, Buffer.from('\n')];
  let off = pdf.length + 1;
  const offsets = new Map<number, number>();
  for (const o of objects) {
    const b = Buffer.concat([Buffer.from(`${o.num} 0 obj\n`), o.body, Buffer.from('\nendobj\n')]);
    offsets.set(o.num, off);
    parts.push(b);
    off += b.length;
  }
  const xrefAt = off;
  let xref = 'xref\n0 1\n0000000000 65535 f \n';
  for (const [num, o] of [...offsets].sort((a, b) => a[0] - b[0])) xref += `${num} 1\n${String(o).padStart(10, '0')} 00000 n \n`;
  const size = Math.max(tr.size, sizeAtLeast, ...objects.map((o) => o.num + 1));
  xref += `trailer\n<< /Size ${size} /Root ${tr.root} 0 R /Prev ${tr.prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  parts.push(Buffer.from(xref));
  return Buffer.concat(parts);
}

const BR_PLACEHOLDER = '/ByteRange [0 0000000000 0000000000 0000000000]';

/** Fills the ByteRange and /Contents of the field whose placeholder is in `pdf`, with `make(coveredBytes)` as contents. */
function fillSignature(pdf: Buffer, make: (covered: Buffer) => Buffer): Buffer {
  const brPos = pdf.lastIndexOf(BR_PLACEHOLDER);
  const start = pdf.indexOf('/Contents <', brPos) + '/Contents '.length;
  const end = pdf.indexOf('>', start) + 1;
  const br = `/ByteRange [0 ${start} ${end} ${pdf.length - end}]`.padEnd(BR_PLACEHOLDER.length, ' ');
  pdf.write(br, brPos, 'latin1');
  const value = make(Buffer.concat([pdf.subarray(0, start), pdf.subarray(end)]));
  const hex = value.toString('hex');
  if (hex.length > end - start - 2) throw new Error('signature does not fit');
  pdf.write(hex.padEnd(end - start - 2, '0'), start + 1, 'latin1');
  return pdf;
}

/** Adds a signature field (or a document time-stamp) in a new revision, keeping earlier ones intact. */
function addField(pdf: Buffer, sigDict: string, make: (covered: Buffer) => Buffer, room = 16384): Buffer {
  const tr = trailerOf(pdf);
  const root = objectText(pdf, tr.root);
  const acro = /\/AcroForm\s+(\d+)\s+0\s+R/.exec(root);
  if (!acro) throw new Error('the PDF has no AcroForm reference');
  const acroNum = Number(acro[1]);
  const form = objectText(pdf, acroNum);
  const v = tr.size;
  const fieldNum = tr.size + 1;
  const fields = /\/Fields\s*\[([^\]]*)\]/.exec(form)![1]!.trim();
  const sig = `<<\n${sigDict}\n${BR_PLACEHOLDER}\n/Contents <${'0'.repeat(room * 2)}>\n>>`;
  const widget = `<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature${fieldNum}) /V ${v} 0 R /Rect [0 0 0 0] /F 132 >>`;
  const newForm = `<< /Fields [ ${fields} ${fieldNum} 0 R ] /SigFlags 3 >>`;
  const out = appendRevision(pdf, [
    { num: acroNum, body: Buffer.from(newForm) },
    { num: v, body: Buffer.from(sig, 'latin1') },
    { num: fieldNum, body: Buffer.from(widget) },
  ]);
  return fillSignature(out, make);
}

const pdfDate = (d: Date): string => `D:${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

/** A second (third, ...) PAdES signature in its own revision. */
export function addSignatureRevision(pdf: Buffer, o: { signer: Identity; now: Date; timestamp?: (digest: Buffer) => Buffer }): Buffer {
  return addField(pdf, `/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n/M (${pdfDate(o.now)})`, (covered) =>
    buildSignedData({ signer: o.signer, content: covered, ...(o.timestamp ? { timestamp: o.timestamp } : {}) }),
  );
}

/** A document time-stamp (ETSI.RFC3161) over everything before it. */
export function addDocTimeStamp(pdf: Buffer, token: (digest: Buffer) => Buffer): Buffer {
  return addField(pdf, '/Type /DocTimeStamp\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.RFC3161', (covered) =>
    token(createHash('sha256').update(covered).digest()),
  );
}

/** A DSS dictionary with the given certificates, CRLs and OCSP responses, in a new revision. */
export function addDss(pdf: Buffer, v: { certs: Buffer[]; crls?: Buffer[]; ocsps?: Buffer[] }): Buffer {
  const tr = trailerOf(pdf);
  let n = tr.size;
  const objs: Obj[] = [];
  const stream = (b: Buffer): number => {
    const num = n++;
    objs.push({ num, body: Buffer.concat([Buffer.from(`<< /Length ${b.length} >>\nstream\n`), b, Buffer.from('\nendstream')]) });
    return num;
  };
  const refs = (list: Buffer[] = []) => list.map((b) => `${stream(b)} 0 R`).join(' ');
  const certs = refs(v.certs);
  const crls = refs(v.crls);
  const ocsps = refs(v.ocsps);
  const dssNum = n++;
  objs.push({ num: dssNum, body: Buffer.from(`<< /Type /DSS /Certs [ ${certs} ] /CRLs [ ${crls} ] /OCSPs [ ${ocsps} ] >>`) });
  const root = objectText(pdf, tr.root)
    .replace(/\/DSS\s+\d+\s+0\s+R/, '')
    .replace(/>>\s*$/, `/DSS ${dssNum} 0 R\n>>`);
  objs.push({ num: tr.root, body: Buffer.from(root, 'latin1') });
  return appendRevision(pdf, objs);
}
