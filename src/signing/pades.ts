/**
 * PAdES baseline signatures, each added to a PDF by incremental update (pdf-update.ts): the input
 * is a byte-exact prefix of the output, so earlier signatures stay valid.
 *
 *   padesSeal(pdf: Buffer, o: PadesOptions): Promise<Buffer>
 *     B-B   one revision: signature dictionary (ETSI.CAdES.detached, /M from `now`) + invisible
 *           signature field/widget on page 1 (/Annots) in the AcroForm (/SigFlags 3)
 *     B-T   the CMS carries a signature time-stamp (`timestamp`)
 *     B-LT  a further revision adds the DSS dictionary (`ltv`: certificates, CRLs, OCSP responses,
 *           and a VRI entry for the new signature)
 *     B-LTA a further revision adds a document time-stamp (/SubFilter /ETSI.RFC3161, `documentTimestamp`)
 *
 * A PDF whose certification signature forbids changes (/DocMDP /P 1) is refused (PdfRefusal);
 * /P 2 and 3 allow signing, so a seal is added. The signature field is invisible (/Rect [0 0 0 0]),
 * as an e-seal applied by a server has no appearance to show.
 */
import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFString, PDFHexString, decodePDFRawStream } from 'pdf-lib';
import type { Identity } from './pki-material.js';
import { buildSignedData } from './cms.js';
import { appendToArray, openForUpdate, PdfRefusal, type PdfUpdater } from './pdf-update.js';

export { PdfRefusal } from './pdf-update.js';

/** Validation material for B-LT: DER certificates, CRLs and OCSP responses (OCSPResponse). */
export interface LtvMaterial {
  certs: Buffer[];
  crls: Buffer[];
  ocsps: Buffer[];
}

export interface PadesOptions {
  signer: Identity;
  now: Date;
  /** sha256(signatureValue) → TimeStampToken DER; makes PAdES-B-T. */
  timestamp?: (digest: Buffer) => Buffer;
  /** Bytes reserved for the CMS in /Contents. */
  signatureLength?: number;
  /** Adds a DSS revision (PAdES-B-LT). */
  ltv?: LtvMaterial;
  /** sha256(ByteRange bytes) → TimeStampToken DER; adds a document time-stamp revision (PAdES-B-LTA). */
  documentTimestamp?: (digest: Buffer) => Buffer;
}

const REASON = 'Sealed by Seal Simulator (TEST seal, no legal value)';
const NAME = 'Seal Simulator TEST Seal';
/** `[0 b c d]` padded with spaces to a fixed width so the numbers can be written after layout. */
const BYTE_RANGE_WIDTH = 36;

function pdfDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/** Refuses a PDF whose certification signature allows no changes (DocMDP /P 1). */
function refuseIfLocked(u: PdfUpdater): void {
  const perms = u.resolve(u.catalog.get(PDFName.of('Perms')), PDFDict);
  const certSig = perms && u.resolve(perms.get(PDFName.of('DocMDP')), PDFDict);
  if (!certSig) return;
  const refs = u.resolve(certSig.get(PDFName.of('Reference')), PDFArray);
  for (let i = 0; refs && i < refs.size(); i++) {
    const r = u.resolve(refs.get(i), PDFDict);
    if (!r || r.get(PDFName.of('TransformMethod')) !== PDFName.of('DocMDP')) continue;
    const params = u.resolve(r.get(PDFName.of('TransformParams')), PDFDict);
    const p = params && u.resolve(params.get(PDFName.of('P')), PDFNumber);
    if ((p ? p.asNumber() : 2) === 1)
      throw new PdfRefusal('the PDF carries a certification signature that permits no changes (DocMDP /P 1); sealing it would invalidate that signature');
  }
}

/** A field name not used by the AcroForm's top-level fields yet. */
function freeFieldName(u: PdfUpdater, fields: PDFArray | undefined, base: string): string {
  const taken = new Set<string>();
  for (let i = 0; fields && i < fields.size(); i++) {
    const t = u.resolve(fields.get(i), PDFDict)?.get(PDFName.of('T'));
    if (t instanceof PDFString || t instanceof PDFHexString) taken.add(t.decodeText());
  }
  for (let n = 1; ; n++) if (!taken.has(`${base}${n}`)) return `${base}${n}`;
}

/**
 * Adds an invisible signature field (merged field + widget) on page 1, pointing at `valueRef`, to
 * /Annots and to the AcroForm's /Fields, with /SigFlags 3.
 */
function addSignatureField(u: PdfUpdater, valueRef: PDFRef, base: string): void {
  const page = u.firstPage();
  const acroKey = PDFName.of('AcroForm');
  let acroRef = u.catalog.get(acroKey);
  let acro = u.resolve(acroRef, PDFDict);
  if (!acro) {
    acro = u.context.obj({}) as PDFDict;
    acroRef = u.add(acro);
    u.catalog.set(acroKey, acroRef);
    u.markChanged(u.catalogRef);
  }
  const acroOwner = acroRef instanceof PDFRef ? acroRef : u.catalogRef;
  const fields = u.resolve(acro.get(PDFName.of('Fields')), PDFArray);
  const widget = u.context.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    T: PDFString.of(freeFieldName(u, fields, base)),
    V: valueRef,
    F: 132, // Print + Locked
    Rect: [0, 0, 0, 0],
    P: page.ref,
  });
  const widgetRef = u.add(widget);
  appendToArray(u, { ref: page.ref, dict: page.dict }, 'Annots', widgetRef);
  appendToArray(u, { ref: acroOwner, dict: acro }, 'Fields', widgetRef);
  acro.set(PDFName.of('SigFlags'), PDFNumber.of(3));
  u.markChanged(acroOwner);
}

/**
 * Appends one revision holding a signature-type dictionary and its field, then fills the ByteRange
 * and /Contents: `contents(digest of the covered bytes)` → DER.
 */
function signRevision(u: PdfUpdater, o: { dictHead: string; reserve: number; fieldBase: string; contents: (digest: Buffer) => Buffer }): { cms: Buffer } {
  const sigRef = u.reserve();
  addSignatureField(u, sigRef, o.fieldBase);
  const head = `<< ${o.dictHead} /ByteRange `;
  const body = `${head}${'[0 0 0 0]'.padEnd(BYTE_RANGE_WIDTH)} /Contents <${'0'.repeat(o.reserve * 2)}> >>`;
  const { bytes, offsets } = u.commit(new Map([[sigRef.objectNumber, Buffer.from(body, 'latin1')]]));
  const objAt = offsets.get(sigRef.objectNumber)! + `${sigRef.objectNumber} 0 obj\n`.length;
  const brAt = objAt + head.length;
  const start = brAt + BYTE_RANGE_WIDTH + ' /Contents '.length; // the '<'
  const end = start + o.reserve * 2 + 2; // after the '>'
  const br = `[0 ${start} ${end} ${bytes.length - end}]`;
  if (br.length > BYTE_RANGE_WIDTH) throw new Error('the PDF is too large for the ByteRange field');
  bytes.write(br.padEnd(BYTE_RANGE_WIDTH), brAt, 'latin1');
  const digest = createHash('sha256').update(bytes.subarray(0, start)).update(bytes.subarray(end)).digest();
  const der = o.contents(digest);
  if (der.length > o.reserve) throw new Error(`signature (${der.length} bytes) exceeds the ${o.reserve} bytes reserved for it`);
  bytes.write(der.toString('hex'), start + 1, 'latin1');
  return { cms: der };
}

/** The DSS revision: streams for every certificate, CRL and OCSP response, and a VRI entry. */
function addDss(u: PdfUpdater, ltv: LtvMaterial, signatureDer: Buffer): void {
  const dssKey = PDFName.of('DSS');
  let dssRef = u.catalog.get(dssKey);
  let dss = u.resolve(dssRef, PDFDict);
  if (!dss) {
    dss = u.context.obj({ Type: 'DSS' }) as PDFDict;
    dssRef = u.add(dss);
    u.catalog.set(dssKey, dssRef);
    u.markChanged(u.catalogRef);
  }
  const owner = { ref: dssRef instanceof PDFRef ? dssRef : u.catalogRef, dict: dss };
  // An existing DSS (a PDF sealed at B-LT before) keeps its entries; what it already holds is
  // referenced from the new VRI entry rather than embedded twice.
  const have = new Map<string, PDFRef>();
  for (const key of ['Certs', 'CRLs', 'OCSPs']) {
    const arr = u.resolve(dss.get(PDFName.of(key)), PDFArray);
    for (let i = 0; arr && i < arr.size(); i++) {
      const r = arr.get(i);
      const st = u.resolve(r, PDFRawStream);
      if (!(r instanceof PDFRef) || !st) continue;
      try {
        have.set(`${key}:${Buffer.from(decodePDFRawStream(st).decode()).toString('base64')}`, r);
      } catch {
        /* an undecodable stream is left alone */
      }
    }
  }
  const streams = (key: string, ders: Buffer[]): PDFRef[] =>
    ders.map((der) => {
      const known = have.get(`${key}:${der.toString('base64')}`);
      if (known) return known;
      const ref = u.add(Buffer.concat([Buffer.from(`<< /Length ${der.length} >>\nstream\n`, 'latin1'), der, Buffer.from('\nendstream', 'latin1')]));
      appendToArray(u, owner, key, ref);
      return ref;
    });
  const certs = streams('Certs', ltv.certs);
  const crls = streams('CRLs', ltv.crls);
  const ocsps = streams('OCSPs', ltv.ocsps);
  // VRI key: upper-case hex SHA-1 of the signature's CMS (the /Contents value without padding).
  const vriKey = PDFName.of(createHash('sha1').update(signatureDer).digest('hex').toUpperCase());
  const vriEntry = u.context.obj({
    ...(certs.length ? { Cert: certs } : {}),
    ...(crls.length ? { CRL: crls } : {}),
    ...(ocsps.length ? { OCSP: ocsps } : {}),
  });
  let vri = u.resolve(dss.get(PDFName.of('VRI')), PDFDict);
  const vriRef = dss.get(PDFName.of('VRI'));
  if (!vri) {
    vri = u.context.obj({}) as PDFDict;
    dss.set(PDFName.of('VRI'), vri);
  } else if (vriRef instanceof PDFRef) u.markChanged(vriRef);
  vri.set(vriKey, vriEntry);
  if (owner.ref) u.markChanged(owner.ref);
  u.commit();
}

export async function padesSeal(pdf: Buffer, o: PadesOptions): Promise<Buffer> {
  const u = await openForUpdate(pdf);
  refuseIfLocked(u);
  const utf16 = (s: string): string => PDFHexString.fromText(s).toString();
  const { cms } = signRevision(u, {
    dictHead: `/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (${pdfDate(o.now)}) /Name ${utf16(NAME)} /Reason ${utf16(REASON)}`,
    reserve: o.signatureLength ?? 16384,
    fieldBase: 'Signature',
    contents: (digest) => buildSignedData({ signer: o.signer, digest, ...(o.timestamp ? { timestamp: o.timestamp } : {}) }),
  });
  if (o.ltv) addDss(u, o.ltv, cms);
  if (o.documentTimestamp) {
    const stamp = o.documentTimestamp;
    signRevision(u, {
      dictHead: '/Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161',
      reserve: 8192,
      fieldBase: 'DocumentTimeStamp',
      contents: (digest) => stamp(digest),
    });
  }
  return u.bytes();
}
