/**
 * Certificate facts the validator needs, read from the DER as received: node's X509Certificate for
 * names, validity and keys; the raw subject Name and public-key bits for OCSP CertID matching.
 *
 *   readCert(der): Cert | undefined
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { bitsOf, bodyOf, bytesOf, hexOfMagnitude, kids, parseDer } from '../der.js';

export interface Cert {
  der: Buffer;
  x: X509Certificate;
  subject: string;
  issuer: string;
  serialHex: string;
  /** DER of the subject Name. */
  subjectDer: Buffer;
  /** DER of the issuer Name. */
  issuerDer: Buffer;
  /** subjectPublicKey BIT STRING content (OCSP issuerKeyHash input). */
  publicKeyBits: Buffer;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extKeyUsage: string[];
}

const oneLine = (s: string): string => s.split('\n').join(', ');

export function readCert(der: Buffer): Cert | undefined {
  try {
    const x = new X509Certificate(der);
    const tbs = kids(kids(parseDer(der, 'certificate'))[0]!);
    const i = tbs[0]!.tag === 0xa0 ? 1 : 0;
    const serial = tbs[i]!;
    const spki = kids(tbs[i + 5]!);
    return {
      der,
      x,
      subject: oneLine(x.subject),
      issuer: oneLine(x.issuer),
      serialHex: hexOfMagnitude(bodyOf(serial)),
      issuerDer: bytesOf(tbs[i + 2]!),
      subjectDer: bytesOf(tbs[i + 4]!),
      publicKeyBits: bitsOf(spki[1]!, 'subjectPublicKey'),
      publicKey: x.publicKey,
      notBefore: new Date(x.validFrom),
      notAfter: new Date(x.validTo),
      extKeyUsage: x.toLegacyObject().ext_key_usage ?? [],
    };
  } catch {
    return undefined;
  }
}

/** Whether `issuer` issued `cert` (names match and the signature verifies). */
export function issued(issuer: Cert, cert: Cert): boolean {
  return cert.x.checkIssued(issuer.x) && cert.x.verify(issuer.publicKey);
}
