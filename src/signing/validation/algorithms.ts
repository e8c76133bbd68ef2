/**
 * Digest and signature algorithms the validator accepts, by OID, and signature verification over
 * a list of byte views (the signed bytes are never concatenated into a copy).
 *
 *   hashNameOf(oid): string | undefined
 *   digestOf(hash, parts): Buffer
 *   verifySignatureValue(o): boolean          // throws for an algorithm it does not implement
 */
import { createHash, createVerify, type KeyObject } from 'node:crypto';

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithm OIDs that fix their own digest. */
const SIG_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** Key-only OIDs (rsaEncryption, id-ecPublicKey): the digest comes from the SignerInfo's digestAlgorithm. */
const KEY_ONLY = new Set(['1.2.840.113549.1.1.1', '1.2.840.10045.2.1']);

export const hashNameOf = (oid: string): string | undefined => HASHES[oid];

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
  if (KEY_ONLY.has(sigAlgOid) && digestOid && HASHES[digestOid]) return HASHES[digestOid]!;
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
