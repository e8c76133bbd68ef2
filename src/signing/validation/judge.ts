/**
 * Turns what a format module found about one signature into its ETSI EN 319 102-1 verdict, its
 * baseline level and its report entry. One order of checks for every format:
 *
 *   1 FORMAT_FAILURE            the container or a ByteRange cannot be read as the standard says
 *   2 SIGNED_DATA_NOT_FOUND     a detached signature without its data file
 *   3 HASH_FAILURE              the signed data does not match its digest
 *   4 NO_SIGNING_CERTIFICATE_FOUND  no signer certificate (cryptography cannot be checked)
 *   5 SIG_CRYPTO_FAILURE        the signature value does not verify
 *   6 NO_SIGNING_CERTIFICATE_FOUND  the signing-certificate attribute names another certificate
 *   7 NO_CERTIFICATE_CHAIN_FOUND    no path to the simulator's trust anchor
 *   8 NOT_YET_VALID / OUT_OF_BOUNDS_NO_POE  certificate validity (see below)
 *   9 REVOKED / REVOKED_NO_POE / TRY_LATER  revocation (see below)
 *  10 SIG_CONSTRAINTS_FAILURE   this validator's policy: every time-stamp present passes, nothing but
 *                               validation data was appended after a PDF's last signature
 *
 * Time and revocation follow EN 319 102-1's use of proof of existence (POE): the best-signature-time
 * is the earliest time-stamp (signature, document or archive) that itself passed. A revoked signer
 * certificate passes when that time is before the revocation (the signature provably existed
 * earlier); otherwise it is INDETERMINATE/REVOKED_NO_POE, because a time-stamp only bounds the
 * signing time from above. TOTAL-FAILED/REVOKED needs proof that the signature was made after the
 * revocation: a content time-stamp (CAdES) later than the revocation time. A certificate used
 * before its notBefore with POE is TOTAL-FAILED/NOT_YET_VALID. A certificate that is expired (or not
 * yet valid) at the validation time is INDETERMINATE/OUT_OF_BOUNDS_NO_POE: this validator does not
 * run the long-term (archival) process that would accept it on the strength of B-LT/B-LTA data.
 * No usable revocation data for the signer certificate is INDETERMINATE/TRY_LATER.
 */
import { X509Certificate } from 'node:crypto';
import { buildChain } from './chain.js';
import { revocationStatus, type RevocationSources, type RevocationStatus } from './revocation.js';
import { failed, indeterminate, PASSED, type Verdict } from './indication.js';
import type { TimeStampReport } from './timestamp.js';
import { validationTimes, type Trust } from './trust.js';

export type BaselineLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
export type SignatureFormat = 'PAdES' | 'CAdES' | 'XAdES';

/** What a format module found about one signature. */
export interface SignatureFacts {
  format: SignatureFormat;
  formatProblems: string[];
  /** Set when the signed data is missing (detached signature without its file). */
  signedDataMissing?: string;
  signerCert?: Buffer;
  /** Certificates the signature (or the document's DSS) carries. */
  certificates: Buffer[];
  signerCertProblems: string[];
  hashProblems: string[];
  cryptoProblems: string[];
  claimedSigningTime?: Date;
  timeStamps: (TimeStampReport & { genTime?: Date })[];
  /** Content time-stamps that passed: lower bounds of the signing time. */
  contentTimeStamps?: Date[];
  /** Revocation data embedded in the signature or the document. */
  embedded: RevocationSources;
  /** Validation data for B-LT is present (certificate and revocation values, or a PDF DSS). */
  longTermData: boolean;
  /** An archive time-stamp (CAdES/XAdES) or a document time-stamp after the DSS (PAdES) is present. */
  archiveTimeStamp: boolean;
  policyProblems: string[];
}

/** PDFs: the revision a signature (or document time-stamp) signs. */
export interface Revision {
  /** 1-based position among the file's signature fields. */
  number: number;
  byteRange: [number, number, number, number];
  /** The revision this field signs is the whole file (nothing was appended after it). */
  coversWholeFile: boolean;
}

export interface SignatureReport extends Verdict {
  id: string;
  signatureFormat: SignatureFormat;
  level: BaselineLevel;
  signer?: string;
  signerIssuer?: string;
  /** Claimed signing time (signing-time attribute, xades:SigningTime or the PDF's /M). */
  signingTime?: string;
  /** The earliest time-stamp that passed: proof the signature existed then. */
  bestSignatureTime?: string;
  timeStamps: TimeStampReport[];
  revocation?: { status: RevocationStatus['status']; source?: string; revokedAt?: string };
  /** PDFs only. */
  revision?: Revision;
  reasons: string[];
  /** Legacy: indication is TOTAL-PASSED. */
  valid: boolean;
  /** Legacy: the first signature (or document) time-stamp. */
  timestamp: { present: boolean; valid: boolean; time?: string; tsa?: string; reasons: string[] };
}

export function levelOf(f: SignatureFacts): BaselineLevel {
  const t = f.timeStamps.some((x) => x.type === 'SIGNATURE_TIMESTAMP' || x.type === 'DOCUMENT_TIMESTAMP');
  if (!t) return 'B-B';
  if (!f.longTermData) return 'B-T';
  return f.archiveTimeStamp ? 'B-LTA' : 'B-LT';
}

const oneLine = (s: string): string => s.split('\n').join(', ');

export function judge(f: SignatureFacts, id: string, trust: Trust): SignatureReport {
  const reasons: string[] = [];
  const verdicts: Verdict[] = [];
  const add = (v: Verdict, rs: readonly string[]): void => {
    if (!rs.length) return;
    verdicts.push(v);
    reasons.push(...rs);
  };
  add(failed('FORMAT_FAILURE'), f.formatProblems);
  if (f.signedDataMissing) add(indeterminate('SIGNED_DATA_NOT_FOUND'), [f.signedDataMissing]);
  add(failed('HASH_FAILURE'), f.hashProblems);
  if (!f.signerCert && !f.formatProblems.length && !f.signedDataMissing)
    add(indeterminate('NO_SIGNING_CERTIFICATE_FOUND'), f.signerCertProblems.length ? f.signerCertProblems : ['no signer certificate']);
  add(failed('SIG_CRYPTO_FAILURE'), f.cryptoProblems);
  if (f.signerCert) add(indeterminate('NO_SIGNING_CERTIFICATE_FOUND'), f.signerCertProblems);

  const passedTimes = f.timeStamps.filter((t) => t.indication === 'TOTAL-PASSED' && t.genTime).map((t) => t.genTime!.getTime());
  const poe = passedTimes.length ? new Date(Math.min(...passedTimes)) : undefined;
  let revocation: SignatureReport['revocation'];
  let signer: string | undefined;
  let signerIssuer: string | undefined;
  if (f.signerCert) {
    try {
      const x = new X509Certificate(f.signerCert);
      signer = oneLine(x.subject);
      signerIssuer = oneLine(x.issuer);
    } catch {
      signer = '(unparseable certificate)';
    }
    const chain = buildChain(f.signerCert, f.certificates, trust.anchorDer, validationTimes(trust.now));
    if (!chain.anchored) add(indeterminate('NO_CERTIFICATE_CHAIN_FOUND'), chain.problems);
    else {
      const early = poe && chain.leaf && poe < chain.leaf.notBefore;
      if (early) add(failed('NOT_YET_VALID'), [`the signature existed on ${poe.toISOString()} (time-stamp), before the signer certificate became valid`]);
      add(
        indeterminate('OUT_OF_BOUNDS_NO_POE'),
        chain.outOfBounds.map((o) => o.text),
      );
      if (chain.path.length > 1) {
        const rev = revocationStatus(
          chain.leaf!,
          chain.path[1]!,
          {
            crls: [...trust.revocation.crls, ...f.embedded.crls],
            ocsps: [...trust.revocation.ocsps, ...f.embedded.ocsps],
          },
          new Date(),
        );
        revocation = {
          status: rev.status,
          ...(rev.source ? { source: rev.source } : {}),
          ...(rev.revokedAt ? { revokedAt: rev.revokedAt.toISOString() } : {}),
        };
        if (rev.status === 'revoked') {
          const at = rev.revokedAt!;
          const lower = (f.contentTimeStamps ?? []).filter((t) => t > at);
          if (lower.length)
            add(failed('REVOKED'), [
              `the signer certificate was revoked on ${at.toISOString()}; a content time-stamp proves the signature was made after that`,
            ]);
          else if (!poe || poe >= at)
            add(indeterminate('REVOKED_NO_POE'), [
              `the signer certificate was revoked on ${at.toISOString()} and no time-stamp proves the signature existed before that`,
            ]);
        } else if (rev.status === 'unknown')
          add(
            indeterminate('TRY_LATER'),
            rev.reasons.map((r) => `the signer certificate's revocation status is unknown: ${r}`),
          );
      }
    }
  }
  for (const t of f.timeStamps)
    if (t.indication !== 'TOTAL-PASSED')
      add(
        indeterminate('SIG_CONSTRAINTS_FAILURE'),
        t.reasons.map((r) => `${tsLabel(t.type)}: ${r}`),
      );
  add(indeterminate('SIG_CONSTRAINTS_FAILURE'), f.policyProblems);

  const v = verdicts[0] ?? PASSED;
  const legacyTs = f.timeStamps.find((t) => t.type === 'SIGNATURE_TIMESTAMP') ?? f.timeStamps.find((t) => t.type === 'DOCUMENT_TIMESTAMP');
  return {
    id,
    signatureFormat: f.format,
    level: levelOf(f),
    indication: v.indication,
    ...(v.subIndication ? { subIndication: v.subIndication } : {}),
    ...(signer ? { signer } : {}),
    ...(signerIssuer ? { signerIssuer } : {}),
    ...(f.claimedSigningTime ? { signingTime: f.claimedSigningTime.toISOString() } : {}),
    ...(poe ? { bestSignatureTime: poe.toISOString() } : {}),
    timeStamps: f.timeStamps.map(({ genTime: _g, ...t }) => t),
    ...(revocation ? { revocation } : {}),
    reasons: [...new Set(reasons)],
    valid: v.indication === 'TOTAL-PASSED',
    timestamp: legacyTs
      ? {
          present: true,
          valid: legacyTs.indication === 'TOTAL-PASSED',
          ...(legacyTs.time ? { time: legacyTs.time } : {}),
          ...(legacyTs.tsa ? { tsa: legacyTs.tsa } : {}),
          reasons: legacyTs.reasons,
        }
      : { present: false, valid: false, reasons: [] },
  };
}

function tsLabel(t: TimeStampReport['type']): string {
  return t === 'SIGNATURE_TIMESTAMP' ? 'signature time-stamp' : t === 'DOCUMENT_TIMESTAMP' ? 'document time-stamp' : 'archive time-stamp';
}

/** Facts with nothing found yet (format modules fill them in). */
export function emptyFacts(format: SignatureFormat): SignatureFacts {
  return {
    format,
    formatProblems: [],
    certificates: [],
    signerCertProblems: [],
    hashProblems: [],
    cryptoProblems: [],
    timeStamps: [],
    embedded: { crls: [], ocsps: [] },
    longTermData: false,
    archiveTimeStamp: false,
    policyProblems: [],
  };
}
