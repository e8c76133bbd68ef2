/**
 * The signatures of a PDF as a test inspects them: a plain textual scan for every
 * `/ByteRange [a b c d] … /Contents <hex>`, independent of the validator's own reader
 * (src/signing/validation/pdf.ts), so a test of the sealer does not check it with the code under test.
 */
import { readTlv } from '../../src/signing/der.js';
import { parsePdfDate } from '../../src/signing/pdf-date.js';

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
