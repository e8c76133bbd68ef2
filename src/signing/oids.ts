/**
 * Every OBJECT IDENTIFIER the simulator writes or reads in more than one place, by name, and the
 * algorithm identifiers it signs with: the sealer, the TSA, the OCSP responder, the certificate
 * issuer and the validator all take them from here.
 *
 *   OID.signedData, OID.sha256, OID.timeStamping, …
 *   hashOfOid(oid)                      // '2.16.840.1.101.3.4.2.1' → 'sha256' (node:crypto's name)
 *   signatureAlgorithmDer(key)          // ecdsa-with-SHA256 or sha256WithRSAEncryption, as DER
 */
import type { KeyObject } from 'node:crypto';
import { nul, oid, seq } from './der.js';

export const OID = {
  // CMS content types (RFC 5652, RFC 3161)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  // CMS attributes (RFC 5652, RFC 5035, ETSI EN 319 122-1)
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  contentTimeStamp: '1.2.840.113549.1.9.16.2.20',
  certificateValues: '1.2.840.113549.1.9.16.2.23',
  revocationValues: '1.2.840.113549.1.9.16.2.24',
  archiveTimeStampV3: '0.4.0.1733.2.4',
  /** RevocationInfoChoice `other` holding an OCSPResponse (RFC 5940). */
  riOcspResponse: '1.3.6.1.5.5.7.16.2',
  // Digests
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // Keys and signatures
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  // Extended key usages
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  // OCSP (RFC 6960)
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  // Authority information access methods
  accessOcsp: '1.3.6.1.5.5.7.48.1',
  accessCaIssuers: '1.3.6.1.5.5.7.48.2',
  // Certificate and CRL extensions (RFC 5280)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const HASHES: Record<string, HashName> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };

/** node:crypto's name of the digest an OID names; undefined for one the simulator does not take. */
export const hashOfOid = (oid: string): HashName | undefined => HASHES[oid];

/** The OID of a digest by node:crypto's name. */
export const oidOfHash = (hash: HashName): string => OID[hash];

/** The AlgorithmIdentifier the simulator signs with for `key` (SHA-256 with ECDSA or RSA PKCS#1 v1.5). */
export function signatureAlgorithmDer(key: KeyObject): Buffer {
  return key.asymmetricKeyType === 'ec' ? seq(oid(OID.ecdsaWithSha256)) : seq(oid(OID.sha256WithRsa), nul());
}
