/**
 * Signature algorithms the validator accepts, by OID (digests: oids.ts hashOfOid), and signature
 * verification over a list of byte views (the signed bytes are never concatenated into a copy).
 *
 *   digestOf(hash, parts): Buffer
 *   verifySignatureValue(o): boolean          // throws for an algorithm it does not implement
 */
import { createHash, createVerify, type KeyObject } from 'node:crypto';
import { hashOfOid, OID, type HashName } from '../oids.js';

/** Signature algorithm OIDs that fix their own digest. */
const SIG_HASH: Record<string, HashName> = {
  [OID.sha1WithRsa]: 'sha1',
  [OID.sha256WithRsa]: 'sha256',
  [OID.sha384WithRsa]: 'sha384',
  [OID.sha512WithRsa]: 'sha512',
  [OID.ecdsaWithSha1]: 'sha1',
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
};

/** Key-only OIDs (rsaEncryption, id-ecPublicKey): the digest comes from the SignerInfo's digestAlgorithm. */
const KEY_ONLY = new Set<string>([OID.rsaEncryption, OID.ecPublicKey]);

export function digestOf(hash: string, parts: readonly Buffer[]): Buffer {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return h.digest();
}

export class UnsupportedAlgorithm extends Error {
  override name = 'UnsupportedAlgorithm';
}

/** The digest a signature algorithm uses; `digestOid` applies to key-only algorithm ids. */
export function signatureHash(sigAlgOid: string, digestOid?: string): string {
  const fixed = SIG_HASH[sigAlgOid];
  if (fixed) return fixed;
  const keyOnlyHash = KEY_ONLY.has(sigAlgOid) && digestOid ? hashOfOid(digestOid) : undefined;
  if (keyOnlyHash) return keyOnlyHash;
  throw new UnsupportedAlgorithm(`unsupported signature algorithm ${sigAlgOid}`);
}

export function verifySignatureValue(o: { sigAlgOid: string; digestOid?: string; signed: readonly Buffer[]; key: KeyObject; signature: Buffer }): boolean {
  const v = createVerify(signatureHash(o.sigAlgOid, o.digestOid));
  for (const p of o.signed) v.update(p);
  try {
    return v.verify(o.key, o.signature);
  } catch {
    return false;
  }
}
