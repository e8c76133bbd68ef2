/**
 * The PKI as plain data and its in-memory form, without generation, key cache or files (pki.ts):
 * sealing processes import only this module.
 *
 *   pkiFromMaterial(m: PkiMaterial): Pki      // synchronous; no generation, no disk
 *   certInfo(pemOrDer): CertInfo             // parse once, pre-encode what signatures need
 *   tbsFields(certDer), keyBitsOfSpki(spki)  // the certificate fields the issuer, TSA and OCSP responder read
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { children, content, sha256 } from './der.js';

/**
 * Key types of a generated test PKI. ECDSA-P256 is the default: the EU DSS library's default
 * validation policy lists ECDSA 256 with no expiration date, while RSA (PKCS#1 v1.5) of both the
 * 2048 and the 3072 classes expires there on 2029-01-01 (see README, "Test PKI").
 */
export const KEY_ALGORITHMS = ['ECDSA-P256', 'RSA-3072', 'RSA-2048'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** A certificate plus pre-computed bits that every signature needs (pre-encoded once). */
export interface CertInfo {
  pem: string;
  der: Buffer;
  /** DER of the issuer Name (for IssuerAndSerialNumber / ESSCertIDv2). */
  issuerNameDer: Buffer;
  /** DER of the subject Name. */
  subjectNameDer: Buffer;
  /** DER of the INTEGER serialNumber (full TLV). */
  serialDer: Buffer;
  /** sha256 of the certificate DER. */
  sha256: Buffer;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
}

export interface Identity {
  cert: CertInfo;
  key: KeyObject;
  /** The issuing CA, included in the CMS certificates set. */
  issuer: CertInfo;
  keyPem: string;
}

/** Plain-data form of the PKI (PEM strings): what crosses to the sealing processes. */
export interface PkiMaterial {
  keyAlgorithm: KeyAlgorithm;
  caPem: string;
  sealPem: string;
  sealKeyPem: string;
  tsaPem: string;
  tsaKeyPem: string;
  expiredSealPem: string;
  expiredSealKeyPem: string;
  untrustedCaPem: string;
  untrustedSealPem: string;
  untrustedSealKeyPem: string;
  /** A seal certificate of the CA that is on the CRL and answered `revoked` by OCSP from its issuance. */
  revokedSealPem: string;
  revokedSealKeyPem: string;
  /** The delegated OCSP responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck), issued by the CA. */
  ocspPem: string;
  ocspKeyPem: string;
  /** Base URL the certificates' CRL distribution points and AIA point under (no trailing slash). */
  publicUrl: string;
  /** The CA's CRL when the PKI was loaded (base64 DER); the main thread sends newer ones per file. */
  crlDerB64: string;
}

export interface Pki {
  keyAlgorithm: KeyAlgorithm;
  ca: CertInfo;
  seal: Identity;
  tsa: Identity;
  expiredSeal: Identity;
  untrustedSeal: Identity;
  untrustedCa: CertInfo;
  revokedSeal: Identity;
  ocsp: Identity;
  /** Base URL of the CRL, caIssuers and OCSP addresses in the certificates (no trailing slash). */
  publicUrl: string;
  /** The CA's CRL when the PKI was loaded; the live one comes from the revocation state (revocation.ts). */
  crlDer: Buffer;
  /** PEM forms, to hand to workers (`pkiFromMaterial`). */
  material: PkiMaterial;
}

export function toPem(der: Buffer, label: string): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (!m) throw new Error('not a PEM block');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

/** The TBSCertificate fields this simulator reads from a certificate, as DER slices of it (RFC 5280 §4.1). */
export interface TbsFields {
  serial: Buffer;
  issuerName: Buffer;
  subjectName: Buffer;
  spki: Buffer;
  /** Each Extension SEQUENCE (empty without an extensions field). */
  extensions: Buffer[];
}

export function tbsFields(certDer: Buffer): TbsFields {
  const tbs = children(content(certDer))[0]!;
  const f = children(content(tbs));
  const i = f[0]![0] === 0xa0 ? 1 : 0; // [0] version
  // serial, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional fields
  const ext = f.slice(i + 6).find((x) => x[0] === 0xa3);
  return {
    serial: f[i]!,
    issuerName: f[i + 2]!,
    subjectName: f[i + 4]!,
    spki: f[i + 5]!,
    extensions: ext ? children(content(children(content(ext))[0]!)) : [],
  };
}

/** The subjectPublicKey BIT STRING's bits of a SubjectPublicKeyInfo: what key identifiers and OCSP's issuerKeyHash hash. */
export const keyBitsOfSpki = (spki: Buffer): Buffer => content(children(content(spki))[1]!).subarray(1);

/** Parses a certificate once and pre-computes the DER fragments every signature needs. */
export function certInfo(pemOrDer: string | Buffer): CertInfo {
  const der = typeof pemOrDer === 'string' ? pemToDer(pemOrDer) : pemOrDer;
  const pem = typeof pemOrDer === 'string' ? pemOrDer : toPem(der, 'CERTIFICATE');
  const { serial: serialDer, issuerName: issuerNameDer, subjectName: subjectNameDer } = tbsFields(der);
  const xc = new X509Certificate(der);
  return {
    pem,
    der,
    issuerNameDer,
    subjectNameDer,
    serialDer,
    sha256: sha256(der),
    subject: xc.subject.split('\n').join(', '),
    issuer: xc.issuer.split('\n').join(', '),
    notBefore: new Date(xc.validFrom),
    notAfter: new Date(xc.validTo),
    publicKey: xc.publicKey,
  };
}

type KeyParser = (pem: string) => KeyObject;

function identity(certPem: string, keyPemStr: string, issuer: CertInfo, parse: KeyParser): Identity {
  return { cert: certInfo(certPem), key: parse(keyPemStr), issuer, keyPem: keyPemStr };
}

/** Rebuilds a Pki from PEM material without touching the disk or generating anything. */
export function pkiFromMaterial(m: PkiMaterial, parseKey: KeyParser = createPrivateKey): Pki {
  const ca = certInfo(m.caPem);
  const untrustedCa = certInfo(m.untrustedCaPem);
  return {
    keyAlgorithm: m.keyAlgorithm,
    ca,
    seal: identity(m.sealPem, m.sealKeyPem, ca, parseKey),
    tsa: identity(m.tsaPem, m.tsaKeyPem, ca, parseKey),
    expiredSeal: identity(m.expiredSealPem, m.expiredSealKeyPem, ca, parseKey),
    untrustedSeal: identity(m.untrustedSealPem, m.untrustedSealKeyPem, untrustedCa, parseKey),
    untrustedCa,
    revokedSeal: identity(m.revokedSealPem, m.revokedSealKeyPem, ca, parseKey),
    ocsp: identity(m.ocspPem, m.ocspKeyPem, ca, parseKey),
    publicUrl: m.publicUrl,
    crlDer: Buffer.from(m.crlDerB64, 'base64'),
    material: m,
  };
}
