/**
 * Revocation data of the test PKI as DER: the CRL (RFC 5280 §5) and OCSP (RFC 6960) requests and
 * responses. Pure functions of their inputs (no disk, no clock, no state), synchronous, built with
 * the small DER writer like the CMS code, so sealing processes may use them as well.
 *
 *   buildCrl(issuer, { number, thisUpdate, nextUpdate, revoked }): Buffer
 *   parseOcspRequest(der): OcspRequest                 // throws OcspMalformed
 *   buildOcspResponse(responder, ca, { now, nextUpdate, nonceExt, answers }): Buffer
 *   ocspStatusOnly(status): Buffer                     // malformedRequest, internalError, …
 *   serialHexOf(certDer) / serialHexOfInteger(tlv)     // one spelling for serial numbers
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { children, content, ctx, decodeOid, generalizedTime, hexOfMagnitude, intBytes, int, nul, octet, oid, readTlv, seq, tlv, utcTime } from './der.js';
import { keyBitsOfSpki, tbsFields, type CertInfo, type Identity } from './pki-material.js';
import { hashOfOid, OID, oidOfHash, signatureAlgorithmDer } from './oids.js';

/** CRLReason (RFC 5280 §5.3.1). */
export const CRL_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type CrlReason = keyof typeof CRL_REASONS;

export interface RevokedEntry {
  /** Serial number, lower-case hex without leading zero bytes (see serialHexOf). */
  serial: string;
  revokedAt: Date;
  reason: CrlReason;
}

// ---------------------------------------------------------------------------------------------
// small readers

/** An INTEGER TLV's magnitude as lower-case hex, leading zero bytes dropped ("00" for zero). */
export function serialHexOfInteger(integerTlv: Buffer): string {
  return hexOfMagnitude(content(integerTlv));
}

/** Normalises a serial given as hex (any case, optional colons or a 0x prefix, leading zeros). */
export function normaliseSerialHex(hex: string): string {
  const h = hex.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-f]+$/.test(h)) throw new Error(`not a hexadecimal serial number: ${JSON.stringify(hex)}`);
  const even = h.length % 2 ? `0${h}` : h;
  return serialHexOfInteger(tlv(0x02, Buffer.from(even, 'hex')));
}

export const serialHexOf = (certDer: Buffer): string => serialHexOfInteger(tbsFields(certDer).serial);

const publicKeyBits = (certDer: Buffer): Buffer => keyBitsOfSpki(tbsFields(certDer).spki);

/** The certificate's subjectKeyIdentifier, or RFC 5280's method 1 (SHA-1 of the key bits) without one. */
export function keyIdOf(certDer: Buffer): Buffer {
  for (const e of tbsFields(certDer).extensions) {
    const parts = children(content(e));
    if (decodeOid(parts[0]!) === OID.subjectKeyIdentifier) return content(content(parts[parts.length - 1]!));
  }
  return createHash('sha1').update(publicKeyBits(certDer)).digest();
}

function signed(tbs: Buffer, key: KeyObject): Buffer[] {
  const signature = sign('sha256', tbs, key);
  return [tbs, signatureAlgorithmDer(key), tlv(0x03, Buffer.from([0]), signature)];
}

const extension = (id: string, value: Buffer, critical = false): Buffer => seq(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), octet(value));
const enumerated = (n: number): Buffer => tlv(0x0a, Buffer.from([n]));
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const x509Time = (d: Date): Buffer => (d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d));

// ---------------------------------------------------------------------------------------------
// CRL

export interface CrlContent {
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly RevokedEntry[];
}

/** A v2 CRL signed by `issuer` (the CA): AKI and CRLNumber extensions, a reasonCode per entry. */
export function buildCrl(issuer: { cert: CertInfo; key: KeyObject }, c: CrlContent): Buffer {
  const entries = [...c.revoked]
    .sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime())
    .map((r) => {
      const reason = CRL_REASONS[r.reason];
      // unspecified "SHOULD be absent" (RFC 5280 §5.3.1).
      const ext = reason === 0 ? [] : [seq(extension(OID.crlReason, enumerated(reason)))];
      return seq(intBytes(Buffer.from(r.serial.length % 2 ? `0${r.serial}` : r.serial, 'hex')), x509Time(r.revokedAt), ...ext);
    });
  const tbs = seq(
    int(1), // v2
    signatureAlgorithmDer(issuer.key),
    issuer.cert.subjectNameDer,
    x509Time(c.thisUpdate),
    x509Time(c.nextUpdate),
    ...(entries.length ? [seq(...entries)] : []),
    ctx(0, seq(extension(OID.authorityKeyIdentifier, seq(tlv(0x80, keyIdOf(issuer.cert.der)))), extension(OID.crlNumber, int(c.number)))),
  );
  return seq(...signed(tbs, issuer.key));
}

// ---------------------------------------------------------------------------------------------
// OCSP

export class OcspMalformed extends Error {}

export interface OcspCertId {
  /** The CertID as the client encoded it: echoed verbatim in the answer. */
  der: Buffer;
  hash: string | undefined;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  serial: string;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /** The whole nonce Extension TLV, echoed in the response (openssl ocsp checks it). */
  nonceExt: Buffer | undefined;
}

/** Parses a DER OCSPRequest. The optional request signature is ignored (RFC 6960 §4.1.2 allows that). */
export function parseOcspRequest(der: Buffer): OcspRequest {
  try {
    if (readTlv(der).end !== der.length) throw new Error('trailing bytes');
    const tbs = children(content(der))[0]!;
    const parts = children(content(tbs));
    const list = parts.find((p) => p[0] === 0x30);
    if (!list) throw new Error('no requestList');
    const certIds = children(content(list)).map((r) => {
      const certId = children(content(r))[0]!;
      const [alg, nameHash, keyHash, serial] = children(content(certId));
      if (!alg || !nameHash || !keyHash || !serial || serial[0] !== 0x02) throw new Error('bad CertID');
      return {
        der: certId,
        hash: hashOfOid(decodeOid(children(content(alg))[0]!)),
        issuerNameHash: content(nameHash),
        issuerKeyHash: content(keyHash),
        serial: serialHexOfInteger(serial),
      };
    });
    if (certIds.length === 0) throw new Error('empty requestList');
    let nonceExt: Buffer | undefined;
    const exts = parts.find((p) => p[0] === 0xa2);
    if (exts) nonceExt = children(content(children(content(exts))[0]!)).find((e) => decodeOid(children(content(e))[0]!) === OID.ocspNonce);
    return { certIds, nonceExt };
  } catch (e) {
    throw new OcspMalformed(`not a DER OCSPRequest (RFC 6960 §4.1.1): ${(e as Error).message}`);
  }
}

/** The CertID (RFC 6960 §4.1.1) of the certificate with `serial` issued by `ca`. */
export function certIdFor(ca: CertInfo, serial: string, hash: 'sha1' | 'sha256' = 'sha1'): Buffer {
  const h = (b: Buffer) => createHash(hash).update(b).digest();
  return seq(
    seq(oid(oidOfHash(hash)), nul()),
    octet(h(ca.subjectNameDer)),
    octet(h(publicKeyBits(ca.der))),
    intBytes(Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex')),
  );
}

/** Does `certId` name a certificate issued by `ca`? (hash of its subject Name and of its key bits) */
export function issuedBy(certId: OcspCertId, ca: CertInfo): boolean {
  if (!certId.hash) return false;
  const h = (b: Buffer) => createHash(certId.hash!).update(b).digest();
  return h(ca.subjectNameDer).equals(certId.issuerNameHash) && h(publicKeyBits(ca.der)).equals(certId.issuerKeyHash);
}

export type OcspCertStatus = { status: 'good' } | { status: 'unknown' } | { status: 'revoked'; revokedAt: Date; reason: CrlReason };

export interface OcspAnswer {
  certId: OcspCertId;
  status: OcspCertStatus;
}

/** OCSPResponseStatus values other than successful (RFC 6960 §4.2.1). */
export const OCSP_ERRORS = { malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;

export const ocspStatusOnly = (status: keyof typeof OCSP_ERRORS): Buffer => seq(enumerated(OCSP_ERRORS[status]));

/** A successful OCSPResponse with a BasicOCSPResponse signed by the delegated responder. */
export function buildOcspResponse(
  responder: Identity,
  o: { now: Date; nextUpdate: Date; nonceExt?: Buffer | undefined; answers: readonly OcspAnswer[] },
): Buffer {
  const single = o.answers.map((a) => {
    const s = a.status;
    const certStatus =
      s.status === 'good'
        ? Buffer.from([0x80, 0x00])
        : s.status === 'unknown'
          ? Buffer.from([0x82, 0x00])
          : tlv(0xa1, generalizedTime(s.revokedAt), ...(CRL_REASONS[s.reason] === 0 ? [] : [ctx(0, enumerated(CRL_REASONS[s.reason]))]));
    return seq(a.certId.der, certStatus, generalizedTime(o.now), ctx(0, generalizedTime(o.nextUpdate)));
  });
  const responderId = ctx(2, octet(createHash('sha1').update(publicKeyBits(responder.cert.der)).digest()));
  const tbs = seq(responderId, generalizedTime(o.now), seq(...single), ...(o.nonceExt ? [ctx(1, seq(o.nonceExt))] : []));
  const basic = seq(...signed(tbs, responder.key), ctx(0, seq(responder.cert.der)));
  return seq(enumerated(0), ctx(0, seq(oid(OID.ocspBasic), octet(basic))));
}
