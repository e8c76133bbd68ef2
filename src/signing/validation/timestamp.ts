/**
 * RFC 3161 time-stamp tokens (signature, document and archive time-stamps), checked as received:
 * the token's DER is parsed strictly, its TSTInfo imprint compared with the bytes it must cover, its
 * signature verified over the exact signed attributes, and the TSA certificate chained to the anchor.
 *
 *   checkTimeStamp(token, covered, type, trust): TimeStampReport
 */
import { expectTag, kids, octetsOf, oidOf, parseDer, timeOf } from '../der.js';
import { digestOf } from './algorithms.js';
import { parseSignedData, verifySigner } from './cms.js';
import { hashOfOid, OID } from '../oids.js';
import { buildChain } from './chain.js';
import { readCert } from './certificates.js';
import { revocationStatus } from './revocation.js';
import { failed, indeterminate, PASSED, type Verdict } from './indication.js';
import { validationTimes, type Trust } from './trust.js';

export type TimeStampType = 'SIGNATURE_TIMESTAMP' | 'DOCUMENT_TIMESTAMP' | 'ARCHIVE_TIMESTAMP';

export interface TimeStampReport extends Verdict {
  type: TimeStampType;
  /** genTime of the TSTInfo. */
  time?: string;
  tsa?: string;
  reasons: string[];
}

/** `covered`: the bytes whose digest the imprint must be (views, hashed incrementally). */
export function checkTimeStamp(token: Buffer, covered: readonly Buffer[], type: TimeStampType, trust: Trust): TimeStampReport & { genTime?: Date } {
  const out = (v: Verdict, reasons: string[], extra: Partial<TimeStampReport> & { genTime?: Date } = {}) => ({ type, ...v, ...extra, reasons });
  let sd;
  let genTime: Date;
  let imprintOk: boolean;
  try {
    sd = parseSignedData(token, 'time-stamp token');
    if (sd.eContentType !== OID.tstInfo) return out(failed('FORMAT_FAILURE'), ['the time-stamp token does not carry a TSTInfo']);
    if (!sd.eContent) return out(failed('FORMAT_FAILURE'), ['the time-stamp token has no TSTInfo content']);
    const tst = kids(expectTag(parseDer(sd.eContent, 'TSTInfo'), 0x30, 'TSTInfo'));
    const [alg, hashed] = kids(expectTag(tst[2], 0x30, 'messageImprint'));
    genTime = timeOf(expectTag(tst[4], 0x18, 'genTime'));
    const h = hashOfOid(oidOf(kids(alg!)[0]!));
    if (!h) return out(failed('FORMAT_FAILURE'), [`unsupported time-stamp imprint algorithm ${oidOf(kids(alg!)[0]!)}`]);
    imprintOk = digestOf(h, covered).equals(octetsOf(hashed!, 'hashedMessage'));
  } catch (e) {
    return out(failed('FORMAT_FAILURE'), [`the time-stamp token cannot be parsed: ${(e as Error).message}`]);
  }
  const extra = { time: genTime.toISOString(), genTime };
  const sig = verifySigner(sd);
  const tsaCert = sig.signerCert;
  const base = { ...extra, ...(tsaCert ? { tsa: readCert(tsaCert)?.subject ?? '(unparseable certificate)' } : {}) };
  if (!imprintOk) return out(failed('HASH_FAILURE'), ['the time-stamp imprint does not match the data it should cover'], base);
  if (sig.hashProblems.length)
    return out(
      failed('HASH_FAILURE'),
      sig.hashProblems.map((p) => `time-stamp: ${p}`),
      base,
    );
  if (sig.cryptoProblems.length)
    return out(failed('SIG_CRYPTO_FAILURE'), ['the time-stamp signature does not verify', ...sig.cryptoProblems.map((p) => `time-stamp: ${p}`)], base);
  if (!tsaCert) return out(indeterminate('NO_SIGNING_CERTIFICATE_FOUND'), ['the time-stamp token does not include the TSA certificate'], base);
  if (sig.signerCertProblems.length)
    return out(
      indeterminate('NO_SIGNING_CERTIFICATE_FOUND'),
      sig.signerCertProblems.map((p) => `time-stamp: ${p}`),
      base,
    );
  const chain = buildChain(tsaCert, sd.certificates, trust.anchorDer, [...validationTimes(trust.now), genTime], 'TSA');
  if (!chain.anchored) return out(indeterminate('NO_CERTIFICATE_CHAIN_FOUND'), chain.problems, base);
  if (!chain.leaf!.extKeyUsage.includes(OID.timeStamping))
    return out(indeterminate('CHAIN_CONSTRAINTS_FAILURE'), ['the TSA certificate lacks the timeStamping EKU'], base);
  if (chain.outOfBounds.length)
    return out(
      indeterminate('OUT_OF_BOUNDS_NO_POE'),
      chain.outOfBounds.map((o) => o.text),
      base,
    );
  if (chain.path.length > 1) {
    const rev = revocationStatus(chain.leaf!, chain.path[1]!, { crls: trust.revocation.crls, ocsps: [...trust.revocation.ocsps, ...sd.ocsps] }, new Date());
    if (rev.status === 'revoked' && rev.revokedAt! <= genTime)
      return out(failed('REVOKED'), [`the TSA certificate was revoked on ${rev.revokedAt!.toISOString()}, before the time-stamp`], base);
    if (rev.status === 'unknown')
      return out(
        indeterminate('TRY_LATER'),
        rev.reasons.map((r) => `TSA certificate revocation status unknown: ${r}`),
        base,
      );
  }
  return out(PASSED, [], base);
}
