/**
 * PAdES (ETSI EN 319 142-1): every signature of every revision, and the document time-stamps.
 * Level evidence per signature:
 *   B-T   a signature-time-stamp in its CMS, or a document time-stamp in a later revision
 *   B-LT  a DSS dictionary whose CRLs or OCSP responses decide the signer certificate's status
 *   B-LTA a document time-stamp, later than the signature, whose revision covers that DSS
 * Bytes appended after the last signed revision are accepted only when they add validation data
 * (a DSS); anything else is reported against the last signature.
 *
 *   padesSignatures(pdf, trust, maxSignatures): PadesResult
 */
import { cadesFacts } from './cades.js';
import { checkTimeStamp, type TimeStampReport } from './timestamp.js';
import { emptyFacts, judge, type Revision, type SignatureReport } from './judge.js';
import { scanPdf, type Dss, type PdfField } from './pdf.js';
import { issued, readCert, type Cert } from './certificates.js';
import { revocationStatus } from './revocation.js';
import type { Trust } from './trust.js';

export type PdfSignatureReport = SignatureReport & { revision: Revision };
export type DocumentTimeStampReport = TimeStampReport & { revision: Revision };

export interface PadesResult {
  signatures: PdfSignatureReport[];
  documentTimeStamps: DocumentTimeStampReport[];
  /** Set when the file holds more signature fields than allowed (nothing was checked). */
  tooMany?: number;
}

/** The DSS holds revocation data that decides the signer certificate's status (good or revoked). */
function dssKnowsSigner(signerDer: Buffer | undefined, pool: Buffer[], dss: Dss): boolean {
  const signer = signerDer ? readCert(signerDer) : undefined;
  if (!signer) return false;
  const issuer = pool.map(readCert).find((c): c is Cert => !!c && !c.der.equals(signer.der) && issued(c, signer));
  if (!issuer) return false;
  return revocationStatus(signer, issuer, { crls: dss.crls.map((der) => ({ der })), ocsps: dss.ocsps }, new Date()).status !== 'unknown';
}

const ACCEPTED_SUBFILTERS = ['ETSI.CAdES.detached', 'adbe.pkcs7.detached'];

export function padesSignatures(pdf: Buffer, trust: Trust, maxSignatures: number): PadesResult {
  const scan = scanPdf(pdf, maxSignatures);
  if (scan.tooMany !== undefined) return { signatures: [], documentTimeStamps: [], tooMany: scan.tooMany };
  const revisionOf = (f: PdfField): Revision => ({ number: f.index, byteRange: f.byteRange, coversWholeFile: !f.broken && f.revisionEnd === pdf.length });
  const docTs = scan.fields
    .filter((f) => f.kind === 'document-timestamp')
    .map((f) => ({
      field: f,
      report: f.broken
        ? { type: 'DOCUMENT_TIMESTAMP' as const, indication: 'TOTAL-FAILED' as const, subIndication: 'FORMAT_FAILURE' as const, reasons: [f.broken] }
        : checkTimeStamp(f.contents, f.covered, 'DOCUMENT_TIMESTAMP', trust),
    }));
  const dss = scan.dss;
  const dssUsable = !!dss && dss.certs.length > 0 && dss.crls.length + dss.ocsps.length > 0;
  // The end of the last revision that some field signs: later bytes were appended after signing.
  const signedEnd = Math.max(0, ...scan.fields.filter((f) => !f.broken).map((f) => f.revisionEnd));
  const appendedOnlyValidationData = signedEnd < pdf.length && !!dss && dss.offset >= signedEnd;
  const sigFields = scan.fields.filter((f) => f.kind === 'signature');
  const lastSig = sigFields.filter((f) => !f.broken).at(-1);
  const signatures = sigFields.map((f, i): PdfSignatureReport => {
    const id = `S-${i + 1}`;
    let facts;
    if (f.broken) {
      facts = emptyFacts('PAdES');
      facts.formatProblems.push(f.broken);
    } else {
      facts = cadesFacts(f.contents, f.covered, trust, 'PAdES');
      if (f.subFilter && !ACCEPTED_SUBFILTERS.includes(f.subFilter)) facts.formatProblems.push(`unsupported signature sub-filter ${f.subFilter}`);
      if (f.m && !facts.claimedSigningTime) facts.claimedSigningTime = f.m;
      // Document time-stamps of later revisions cover this signature.
      for (const d of docTs) if (!d.field.broken && d.field.byteRange[1] >= f.revisionEnd) facts.timeStamps.push(d.report);
      if (dss) {
        facts.certificates.push(...dss.certs);
        facts.embedded.crls.push(...dss.crls.map((der) => ({ der })));
        facts.embedded.ocsps.push(...dss.ocsps);
        if (dssUsable && dssKnowsSigner(facts.signerCert, [...dss.certs, ...facts.certificates, trust.anchorDer], dss)) {
          facts.longTermData = true;
          facts.archiveTimeStamp = docTs.some((d) => !d.field.broken && d.field.byteRange[1] > Math.max(dss.offset, f.revisionEnd));
        }
        facts.policyProblems.push(...dss.problems.map((p) => `DSS: ${p}`));
      }
      if (
        f === lastSig &&
        f.revisionEnd < pdf.length &&
        !appendedOnlyValidationData &&
        !docTs.some((d) => d.field.revisionEnd === pdf.length && !d.field.broken)
      )
        facts.policyProblems.push('the document was changed after the last signature (its ByteRange does not cover the whole file)');
    }
    return { ...judge(facts, id, trust), revision: revisionOf(f) };
  });
  return {
    signatures,
    documentTimeStamps: docTs.map((d) => {
      const { genTime: _g, ...r } = d.report as TimeStampReport & { genTime?: Date };
      return { ...r, revision: revisionOf(d.field) };
    }),
  };
}
