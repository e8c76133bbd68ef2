/**
 * CAdES (ETSI EN 319 122-1) signatures: a `.p7s` with its data file, a `.p7m`, and the CMS inside a
 * PAdES signature. Collects the facts judge.ts decides on, including the baseline level evidence:
 *   B-T   a signature-time-stamp unsigned attribute
 *   B-LT  revocation values in SignedData.crls or a revocation-values attribute (with the
 *         certificates in SignedData.certificates or a certificate-values attribute)
 *   B-LTA an archive-time-stamp-v3 attribute (detected for the level; its ATSv3 hash index is not
 *         recomputed, so it is not used as proof of existence)
 *
 *   cadesFacts(cmsDer, content, trust, what?): SignatureFacts
 */
import { bytesOf, type DerError, kids } from '../der.js';
import { parseSignedData, verifySigner, type SignedDataParts } from './cms.js';
import { OID } from '../oids.js';
import { checkTimeStamp } from './timestamp.js';
import { emptyFacts, type SignatureFacts, type SignatureFormat } from './judge.js';
import type { Trust } from './trust.js';

/** `content`: the signed data as views (detached); undefined = the eContent (enveloping). */
export function cadesFacts(
  cmsDer: Buffer,
  content: readonly Buffer[] | undefined,
  trust: Trust,
  format: SignatureFormat = 'CAdES',
): SignatureFacts & { sd?: SignedDataParts } {
  const f: SignatureFacts & { sd?: SignedDataParts } = emptyFacts(format);
  let sd: SignedDataParts;
  try {
    sd = parseSignedData(cmsDer, 'CMS signature');
  } catch (e) {
    f.formatProblems.push(`not a CMS SignedData: ${(e as Error).message}`);
    return f;
  }
  f.sd = sd;
  const si = sd.signerInfos[0];
  if (!si) {
    f.formatProblems.push('the SignedData has no signer');
    return f;
  }
  if (!content && !sd.eContent) {
    f.formatProblems.push('the .p7m carries no content');
    return f;
  }
  const check = verifySigner(sd, content);
  f.certificates = [...sd.certificates];
  if (check.signerCert) f.signerCert = check.signerCert;
  f.signerCertProblems = check.signerCertProblems;
  f.hashProblems = check.hashProblems;
  f.cryptoProblems = check.cryptoProblems;
  if (check.signingTime) f.claimedSigningTime = check.signingTime;
  f.embedded = { crls: sd.crls.map((der) => ({ der })), ocsps: [...sd.ocsps] };
  try {
    for (const v of si.unsigned.get(OID.certificateValues) ?? []) for (const c of kids(v)) f.certificates.push(bytesOf(c));
    for (const v of si.unsigned.get(OID.revocationValues) ?? []) {
      for (const part of kids(v)) {
        if (part.tag === 0xa0) for (const c of kids(kids(part)[0]!)) f.embedded.crls.push({ der: bytesOf(c) });
        if (part.tag === 0xa1) for (const o of kids(kids(part)[0]!)) f.embedded.ocsps.push(bytesOf(o));
      }
    }
  } catch (e) {
    f.formatProblems.push(`the long-term validation attributes cannot be read: ${(e as DerError).message}`);
  }
  f.longTermData = f.embedded.crls.length + f.embedded.ocsps.length > 0;
  f.archiveTimeStamp = si.unsigned.has(OID.archiveTimeStampV3);
  // The token is checked as the bytes it arrived as: a view into the CMS, never a re-encoding.
  for (const tok of si.unsigned.get(OID.signatureTimeStampToken) ?? [])
    f.timeStamps.push(checkTimeStamp(bytesOf(tok), [si.signature], 'SIGNATURE_TIMESTAMP', trust));
  const data = content ?? (sd.eContent ? [sd.eContent] : []);
  for (const tok of si.signed.get(OID.contentTimeStamp) ?? []) {
    const ts = checkTimeStamp(bytesOf(tok), data, 'SIGNATURE_TIMESTAMP', trust);
    if (ts.indication === 'TOTAL-PASSED' && ts.genTime) (f.contentTimeStamps ??= []).push(ts.genTime);
    else f.policyProblems.push(...ts.reasons.map((r) => `content time-stamp: ${r}`));
  }
  return f;
}
