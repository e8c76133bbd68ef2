/**
 * PAdES-B-B / B-T: pdf-lib placeholder (`ETSI.CAdES.detached`, /M from `now`), then
 * the simulator's own CMS (no signingTime attribute) over the ByteRange bytes.
 *
 *   padesSeal(pdf: Buffer, o: PadesOptions): Promise<Buffer>
 *   extractPdfSignatures(pdf: Buffer): PdfSignature[]       // for validation and tests
 *
 * Note (P11): pdf-lib re-saves the whole file, so a PDF that already carries a signature loses it.
 */
import { PDFDocument } from 'pdf-lib';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import type { Identity } from './pki-material.js';
import { buildSignedData } from './cms.js';
import { readTlv } from './der.js';

export interface PadesOptions {
  signer: Identity;
  now: Date;
  /** sha256(signatureValue) → TimeStampToken DER; makes PAdES-B-T. */
  timestamp?: (digest: Buffer) => Buffer;
  signatureLength?: number;
}

const PLACEHOLDER = '**********';

export async function padesSeal(pdf: Buffer, o: PadesOptions): Promise<Buffer> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  if (doc.getPageCount() === 0) throw new Error('the PDF has no pages');
  pdflibAddPlaceholder({
    pdfDoc: doc,
    reason: 'Sealed by Seal Simulator (TEST seal, no legal value)',
    contactInfo: '',
    name: 'Seal Simulator TEST Seal',
    location: '',
    signingTime: o.now,
    subFilter: 'ETSI.CAdES.detached',
    signatureLength: o.signatureLength ?? 16384,
  });
  let out = Buffer.from(await doc.save({ useObjectStreams: false }));

  const brPlaceholder = `/ByteRange [ 0 /${PLACEHOLDER} /${PLACEHOLDER} /${PLACEHOLDER} ]`;
  let brPos = out.lastIndexOf(brPlaceholder);
  let brLen = brPlaceholder.length;
  if (brPos < 0) {
    const alt = `/ByteRange [0 /${PLACEHOLDER} /${PLACEHOLDER} /${PLACEHOLDER}]`;
    brPos = out.lastIndexOf(alt);
    brLen = alt.length;
  }
  if (brPos < 0) throw new Error('signature placeholder not found after saving the PDF');
  const contentsTag = out.indexOf('/Contents ', brPos + brLen);
  const start = out.indexOf('<', contentsTag);
  const end = out.indexOf('>', start) + 1;
  const byteRange = [0, start, end, out.length - end];
  let brText = `/ByteRange [${byteRange.join(' ')}]`;
  if (brText.length > brLen) throw new Error('ByteRange does not fit its placeholder');
  brText += ' '.repeat(brLen - brText.length);
  out = Buffer.concat([out.subarray(0, brPos), Buffer.from(brText, 'latin1'), out.subarray(brPos + brLen)]);

  const signed = Buffer.concat([out.subarray(0, start), out.subarray(end)]);
  const cms = buildSignedData({ signer: o.signer, content: signed, timestamp: o.timestamp });
  const room = end - start - 2;
  const hex = cms.toString('hex');
  if (hex.length > room) throw new Error(`signature (${hex.length / 2} bytes) exceeds the placeholder`);
  out.write(hex.padEnd(room, '0'), start + 1, 'latin1');
  return out;
}

export interface PdfSignature {
  byteRange: [number, number, number, number];
  /** The CMS, with the zero padding trimmed by its DER length. */
  cms: Buffer;
  /** The bytes the ByteRange covers. */
  signedBytes: Buffer;
  subFilter?: string;
  /** True when the ByteRange covers the whole file except the Contents hex string. */
  coversWholeFile: boolean;
  /** /M of the signature dictionary, if readable. */
  m?: Date;
  /** The ByteRange does not point at a /Contents hex string (the PDF was rewritten after signing). */
  broken?: boolean;
}

function parsePdfDate(s: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(s);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz] = m;
  let iso = `${y}-${mo}-${d}T${h}:${mi}:${se}`;
  if (!tz || tz === 'Z') iso += 'Z';
  else iso += `${tz.slice(0, 3)}:${tz.replace(/'/g, '').slice(3, 5)}`;
  const dt = new Date(iso);
  return Number.isNaN(dt.getTime()) ? undefined : dt;
}

/** Finds every `/ByteRange [a b c d] … /Contents <hex>` signature in a PDF (textual scan). */
export function extractPdfSignatures(pdf: Buffer): PdfSignature[] {
  const text = pdf.toString('latin1');
  const out: PdfSignature[] = [];
  const re = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const br = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number];
    const [a, b, c, d] = br;
    if (a !== 0 || b <= 0 || c <= b || c + d > pdf.length || pdf[b] !== 0x3c || pdf[c - 1] !== 0x3e) {
      // A signature dictionary whose ByteRange no longer points at its /Contents: the file was
      // rewritten (not incrementally updated) after signing.
      out.push({ byteRange: br, cms: Buffer.alloc(0), signedBytes: Buffer.alloc(0), coversWholeFile: false, broken: true });
      continue;
    }
    const hex = text.slice(b + 1, c - 1).replace(/\s+/g, '');
    const raw = Buffer.from(hex, 'hex');
    let cms = raw;
    try {
      const t = readTlv(raw);
      cms = raw.subarray(0, t.end);
    } catch {
      /* keep raw */
    }
    const signedBytes = Buffer.concat([pdf.subarray(a, b), pdf.subarray(c, c + d)]);
    // The signature dictionary around this ByteRange: look back/forward for its bounds.
    const dictStart = text.lastIndexOf('<<', m.index);
    const dictEnd = text.indexOf('>>', c);
    const dict = text.slice(Math.max(0, dictStart), dictEnd > 0 ? dictEnd : c + 2000).replace(text.slice(b, c), '');
    const sf = /\/SubFilter\s*\/([A-Za-z0-9.#_-]+)/.exec(dict);
    const mm = /\/M\s*\((D:[^)]*)\)/.exec(dict);
    const sig: PdfSignature = { byteRange: br, cms, signedBytes, coversWholeFile: c + d === pdf.length };
    if (sf) sig.subFilter = sf[1]!;
    if (mm) {
      const dt = parsePdfDate(mm[1]!);
      if (dt) sig.m = dt;
    }
    out.push(sig);
  }
  return out;
}
