/**
 * X.509 v3 certificates for the test PKI, written directly as DER (RFC 5280) and signed with
 * node:crypto. Issuing one costs well under a millisecond and loads nothing: a fresh data
 * directory's certificates (they name the public URL, so a new port means new certificates) are
 * issued on the way to the first batch.
 *
 *   issueCertificate(spec): Buffer                 // DER
 *   generateKeyPem(alg): Promise<string>           // PKCS#8 PEM, generated off the event loop
 */
import { createHash, createPublicKey, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { ctx, generalizedTime, int, intBytes, octet, oid, seq, set, tlv, utcTime } from './der.js';
import { keyBitsOfSpki, type KeyAlgorithm } from './pki-material.js';
import { OID, signatureAlgorithmDer } from './oids.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A fresh private key as PKCS#8 PEM (libuv's thread pool: the event loop keeps answering). */
export async function generateKeyPem(alg: KeyAlgorithm): Promise<string> {
  const pair =
    alg === 'ECDSA-P256'
      ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
      : await generateKeyPairAsync('rsa', { modulusLength: alg === 'RSA-3072' ? 3072 : 2048, publicExponent: 0x10001 });
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** One attribute of a distinguished name: [OID, value]; C is a PrintableString, the rest UTF8String. */
export type Rdn = readonly [string, string];

export const ATTR = { CN: '2.5.4.3', O: '2.5.4.10', C: '2.5.4.6', organizationIdentifier: '2.5.4.97' } as const;

/** A Name in the order given (the first is encoded first, as `openssl x509 -subject` prints it). */
export function nameDer(rdns: readonly Rdn[]): Buffer {
  return seq(...rdns.map(([type, value]) => set(seq(oid(type), tlv(type === ATTR.C ? 0x13 : 0x0c, Buffer.from(value, 'utf8'))))));
}

/** KeyUsage bits (RFC 5280 §4.2.1.3). */
export const KU = { digitalSignature: 0, nonRepudiation: 1, keyCertSign: 5, cRLSign: 6 } as const;

function keyUsageDer(bits: readonly number[]): Buffer {
  let byte = 0;
  for (const b of bits) byte |= 0x80 >> b;
  const last = Math.max(...bits);
  return tlv(0x03, Buffer.from([7 - last, byte])); // named bits: trailing zero bits dropped
}

const ext = (id: string, value: Buffer, critical = false): Buffer => seq(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), octet(value));
const uri = (u: string): Buffer => tlv(0x86, Buffer.from(u, 'ascii'));
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const x509Time = (d: Date): Buffer => (d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d));

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export const keyIdOfSpki = (spki: Buffer): Buffer => createHash('sha1').update(keyBitsOfSpki(spki)).digest();

export interface CertSpec {
  subject: readonly Rdn[];
  /** The public key certified (any KeyObject: the public half is taken). */
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** The issuer's Name DER and key id; absent: self-signed (subject and its own key). */
  issuer?: { nameDer: Buffer; keyId: Buffer };
  signingKey: KeyObject;
  ca?: boolean;
  keyUsage: readonly number[];
  /** Extended key usages (OIDs); critical when `ekuCritical`. */
  eku?: readonly string[];
  ekuCritical?: boolean;
  policies?: readonly string[];
  crlUrl?: string;
  ocspUrl?: string;
  caIssuersUrl?: string;
  /** Extra extensions, already DER: [oid, value DER, critical]. */
  extra?: readonly (readonly [string, Buffer, boolean])[];
}

/** A random positive 96-bit serial number. */
export function randomSerial(): Buffer {
  const b = randomBytes(12);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b;
}

export function issueCertificate(spec: CertSpec, serial: Buffer = randomSerial()): Buffer {
  const spki = createPublicKey(spec.publicKey).export({ type: 'spki', format: 'der' });
  const subjectName = nameDer(spec.subject);
  const extensions: Buffer[] = [ext(OID.basicConstraints, seq(...(spec.ca ? [Buffer.from([0x01, 0x01, 0xff])] : [])), true)];
  if (spec.issuer) extensions.push(ext(OID.authorityKeyIdentifier, seq(tlv(0x80, spec.issuer.keyId))));
  extensions.push(ext(OID.subjectKeyIdentifier, octet(keyIdOfSpki(spki))));
  extensions.push(ext(OID.keyUsage, keyUsageDer(spec.keyUsage), true));
  if (spec.eku?.length) extensions.push(ext(OID.extKeyUsage, seq(...spec.eku.map((e) => oid(e))), spec.ekuCritical ?? false));
  if (spec.policies?.length) extensions.push(ext(OID.certificatePolicies, seq(...spec.policies.map((p) => seq(oid(p))))));
  if (spec.crlUrl) extensions.push(ext(OID.crlDistributionPoints, seq(seq(ctx(0, ctx(0, uri(spec.crlUrl)))))));
  const access: Buffer[] = [];
  if (spec.ocspUrl) access.push(seq(oid(OID.accessOcsp), uri(spec.ocspUrl)));
  if (spec.caIssuersUrl) access.push(seq(oid(OID.accessCaIssuers), uri(spec.caIssuersUrl)));
  if (access.length) extensions.push(ext(OID.authorityInfoAccess, seq(...access)));
  for (const [id, value, critical] of spec.extra ?? []) extensions.push(ext(id, value, critical));
  const sigAlg = signatureAlgorithmDer(spec.signingKey);
  const tbs = seq(
    ctx(0, int(2)), // v3
    intBytes(serial),
    sigAlg,
    spec.issuer?.nameDer ?? subjectName,
    seq(x509Time(spec.notBefore), x509Time(spec.notAfter)),
    subjectName,
    spki,
    ctx(3, seq(...extensions)),
  );
  return seq(tbs, sigAlg, tlv(0x03, Buffer.from([0]), sign('sha256', tbs, spec.signingKey)));
}
